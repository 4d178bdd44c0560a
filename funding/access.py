"""Who works the funding desk, and fetch-and-check for its objects reached from request input.

Funding operations are a desk's work over every account of the tenant, so they go by role, not
by account grants: Onboarding Officers credit deposit notices and make journals; Onboarding and
Compliance Officers approve, reject and reverse journals (never the journal's own maker, see
`funding.services.journals`); both see the queues. A notice or journal of another tenant lives
in another schema and so does not exist here: the same 404 as a missing id.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clientportal.models import DepositNotice
from funding.models import Journal
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER, has_role

DESK_ROLES = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER)
DEPOSIT_CREDIT_ROLES = (ONBOARDING_OFFICER,)
JOURNAL_MAKER_ROLES = (ONBOARDING_OFFICER,)
JOURNAL_APPROVER_ROLES = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER)


def desk_member(user) -> bool:
    return has_role(user, *DESK_ROLES)


def desk_require(user) -> None:
    if not desk_member(user):
        raise PermissionDenied("Only Onboarding and Compliance Officers work the funding desk.")


def deposit_credit_require(user) -> None:
    if not has_role(user, *DEPOSIT_CREDIT_ROLES):
        raise PermissionDenied("Only an Onboarding Officer may credit or reject deposit notices.")


def journal_make_require(user) -> None:
    if not has_role(user, *JOURNAL_MAKER_ROLES):
        raise PermissionDenied("Only an Onboarding Officer may book journals.")


def journal_approve_require(user) -> None:
    if not has_role(user, *JOURNAL_APPROVER_ROLES):
        raise PermissionDenied(
            "Only an Onboarding or Compliance Officer may approve, reject or reverse journals."
        )


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None


def access_deposit_notice(*, user, tenant, notice_id) -> DepositNotice:
    """A deposit notice of the tenant for a desk member; 404 for anyone else or any other id."""
    if not desk_member(user):
        raise Http404("No such deposit notice.")
    notice = (
        DepositNotice.objects.filter(pk=_pk(notice_id), account__tenant_id=tenant.pk)
        .select_related("account", "notified_by", "decided_by")
        .first()
    )
    if notice is None:
        raise Http404("No such deposit notice.")
    return notice


def access_journal(*, user, tenant, journal_id) -> Journal:
    if not desk_member(user):
        raise Http404("No such journal.")
    journal = (
        Journal.objects.filter(pk=_pk(journal_id), from_account__tenant_id=tenant.pk)
        .select_related(
            "from_account", "to_account", "instrument", "maker", "approver", "reversed_by"
        )
        .first()
    )
    if journal is None:
        raise Http404("No such journal.")
    return journal
