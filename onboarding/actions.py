"""Staff verbs of onboarding (see compliance.actions for how an Action works). Reviewers are
Onboarding and Compliance Officers; anyone else gets 404, as for the screens. The services
write the audit records and check what depends on the application's state."""

from compliance.actions import Action

from . import services
from .services.watchlist import WATCHLIST_MAX_BYTES
from .services.workflow import REVIEWER_REFUSAL, REVIEWER_ROLES


class ReviewerAction(Action):
    allowed_roles = REVIEWER_ROLES
    hide_refusal = True
    refusal = REVIEWER_REFUSAL


class ApplicationAction(ReviewerAction):
    fields = ("application", "reason")
    reason = ""


class ApplicationReviewStart(ApplicationAction):
    def perform(self):
        return services.application_review_start(
            application=self.application, actor=self.actor, ip=self.ip
        )


class ApplicationInformationRequest(ApplicationAction):
    def perform(self):
        return services.application_information_request(
            application=self.application, actor=self.actor, reason=self.reason, ip=self.ip
        )


class ApplicationApprove(ApplicationAction):
    def perform(self):
        return services.application_approve(
            application=self.application, actor=self.actor, reason=self.reason, ip=self.ip
        )


class ApplicationReject(ApplicationAction):
    def perform(self):
        return services.application_reject(
            application=self.application, actor=self.actor, reason=self.reason, ip=self.ip
        )


class ApplicationWithdraw(ApplicationAction):
    def perform(self):
        return services.application_withdraw(
            application=self.application, actor=self.actor, reason=self.reason, ip=self.ip
        )


class ApplicationChecksRun(ApplicationAction):
    def perform(self):
        return services.application_checks_run(application=self.application)


class CheckOverride(ApplicationAction):
    fields = ("application", "reason", "check_name")

    def perform(self):
        return services.check_override(
            application=self.application,
            check_name=self.check_name,
            actor=self.actor,
            reason=self.reason,
            ip=self.ip,
        )


# The verbs of an application's page, by the slug its buttons post to.
APPLICATION_ACTIONS: dict[str, type[ApplicationAction]] = {
    "review_start": ApplicationReviewStart,
    "information_request": ApplicationInformationRequest,
    "approve": ApplicationApprove,
    "reject": ApplicationReject,
    "withdraw": ApplicationWithdraw,
    "checks_run": ApplicationChecksRun,
    "override": CheckOverride,
}


class DocumentAdd(ReviewerAction):
    """A reviewer attaches a document the applicant sent by other means."""

    fields = ("application", "kind", "upload")

    def perform(self):
        return services.document_upload(
            application=self.application,
            kind=self.kind,
            upload=self.upload,
            actor=self.actor,
            ip=self.ip,
        )


class HolderAddressChange(ReviewerAction):
    """The address of record of an opened account's holder, on the client's request."""

    fields = ("application", "address")

    def perform(self):
        return services.holder_address_change(
            application=self.application, address=self.address, actor=self.actor, ip=self.ip
        )


class BulkImport(ReviewerAction):
    fields = ("upload",)

    def perform(self):
        return services.bulk_import(actor=self.actor, upload=self.upload, ip=self.ip)


class WatchlistReplace(ReviewerAction):
    fields = ("upload",)

    def perform(self):
        return services.watchlist_replace(
            actor=self.actor,
            data=self.upload.read(WATCHLIST_MAX_BYTES + 1),
            source=self.upload.name or "upload",
            ip=self.ip,
        )
