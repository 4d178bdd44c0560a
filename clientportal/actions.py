"""Staff verbs of the client portal's Broker Portal side (see compliance.actions): replying to a
client's message, approving or rejecting a withdrawal request. The services write the audit
records and refuse a request that is no longer pending."""

from compliance.actions import Action

from . import services

APPROVE_PERMISSION = "clientportal.change_withdrawalrequest"


class StaffMessagePost(Action):
    fields = ("thread", "body")
    staff_only = True

    def perform(self):
        return services.message_post(
            thread=self.thread, sender=self.actor, body=self.body, from_staff=True
        )


class WithdrawalDecision(Action):
    fields = ("withdrawal",)
    staff_only = True
    permission = APPROVE_PERMISSION


class WithdrawalApprove(WithdrawalDecision):
    """Book the withdrawal through the ledger, which refuses it if cash is now short."""

    def perform(self):
        return services.withdrawal_request_approve(
            staff=self.actor, tenant=self.tenant, request_id=self.withdrawal.pk
        )


class WithdrawalReject(WithdrawalDecision):
    fields = ("withdrawal", "note")

    def perform(self):
        return services.withdrawal_request_reject(
            staff=self.actor, request_id=self.withdrawal.pk, note=self.note
        )
