"""Staff verbs of the funding desk (see compliance.actions for how an Action works). The roles
are the desk's (funding.access); the services check what depends on the notice's or journal's
state, the four eyes among them, and write the audit records."""

from compliance.actions import Action
from funding import services
from funding.access import DEPOSIT_CREDIT_ROLES, JOURNAL_APPROVER_ROLES, JOURNAL_MAKER_ROLES


class DepositNoticeCredit(Action):
    """Credit money received against a client's deposit notice."""

    fields = ("notice", "amount", "idempotency_key", "value_date", "bank_reference", "accept_over")
    value_date = None
    bank_reference = ""
    accept_over = False
    allowed_roles = DEPOSIT_CREDIT_ROLES
    staff_only = True
    refusal = "Only an Onboarding Officer may credit or reject deposit notices."

    def perform(self):
        return services.deposit_notice_credit(
            actor=self.actor,
            tenant=self.tenant,
            notice=self.notice,
            amount=self.amount,
            idempotency_key=self.idempotency_key,
            value_date=self.value_date,
            bank_reference=self.bank_reference,
            accept_over=self.accept_over,
        )


class DepositNoticeReject(Action):
    """Reject a deposit notice with the reason the client sees."""

    fields = ("notice", "reason")
    allowed_roles = DEPOSIT_CREDIT_ROLES
    staff_only = True
    refusal = DepositNoticeCredit.refusal

    def perform(self):
        return services.deposit_notice_reject(
            actor=self.actor, tenant=self.tenant, notice=self.notice, reason=self.reason
        )


class JournalCreate(Action):
    """Make a cash or position journal (booked within the limit, else awaiting approval)."""

    fields = ("spec", "request_key")
    allowed_roles = JOURNAL_MAKER_ROLES
    staff_only = True
    refusal = "Only an Onboarding Officer may book journals."

    def perform(self):
        return services.journal_create(
            actor=self.actor, tenant=self.tenant, spec=self.spec, request_key=self.request_key
        )


class JournalsUpload(Action):
    """Make every journal of a CSV file, all or none."""

    fields = ("filename", "data")
    allowed_roles = JOURNAL_MAKER_ROLES
    staff_only = True
    refusal = JournalCreate.refusal

    def perform(self):
        return services.journals_upload(
            actor=self.actor, tenant=self.tenant, filename=self.filename, data=self.data
        )


class JournalDecision(Action):
    fields = ("journal",)
    allowed_roles = JOURNAL_APPROVER_ROLES
    staff_only = True
    refusal = "Only an Onboarding or Compliance Officer may approve, reject or reverse journals."


class JournalApprove(JournalDecision):
    """The second person approves and books a journal (never its maker)."""

    def perform(self):
        return services.journal_approve(actor=self.actor, tenant=self.tenant, journal=self.journal)


class JournalReject(JournalDecision):
    fields = ("journal", "reason")

    def perform(self):
        return services.journal_reject(
            actor=self.actor, tenant=self.tenant, journal=self.journal, reason=self.reason
        )


class JournalReverse(JournalDecision):
    def perform(self):
        return services.journal_reverse(actor=self.actor, tenant=self.tenant, journal=self.journal)
