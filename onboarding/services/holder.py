"""Changes to an account holder's details after the account opened: the address of record,
which decides the client's region for disclosures (compliance.disclosures) and which
surveillance watches (a withdrawal to a new destination soon after an address change is the
account-takeover pattern of FINRA Regulatory Notice 20-32; clientportal.surveillance)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.services import audit_record

from ..models import Application
from ..validation import application_data_clean
from .workflow import State, reviewer_require

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")
ADDRESS_CHANGE = "client.address_change"


@transaction.atomic
def holder_address_change(
    *, application: Application, address: dict, actor, ip: str | None = None
) -> Application:
    """Change the address of record of the holder of an opened account (the holder's latest
    application, which `onboarding.selectors.client_country` reads), as an Onboarding or
    Compliance Officer does on the client's documented request. Every field is validated as an
    application's is; the audit record `client.address_change` names the client's login (the
    target surveillance matches) and holds the address before and after. Nothing changes (and
    nothing is recorded) when the address is the same."""
    reviewer_require(actor)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state != State.OPENED or locked.user_id is None:
        raise ValidationError(
            f"Application #{locked.pk} has no opened account: change the address on the "
            "application itself."
        )
    unknown = sorted(set(address) - set(ADDRESS_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "is not a field of an address"))
    given = {name: address.get(name, "") for name in ADDRESS_FIELDS}
    cleaned, errors = application_data_clean(given, complete=False)
    for name in ("address_line1", "city", "postal_code", "country"):
        if not cleaned.get(name) and name not in errors:
            errors[name] = "is required"
    if errors:
        raise ValidationError(errors)
    before = {name: getattr(locked, name) for name in ADDRESS_FIELDS}
    after = {name: cleaned.get(name, "") for name in ADDRESS_FIELDS}
    if after == before:
        return locked
    for name, value in after.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action=ADDRESS_CHANGE,
        target=f"user:{locked.user.get_username()}",
        details={
            "application": locked.pk,
            "account": locked.account.number if locked.account_id else "",
            "before": before,
            "after": after,
        },
        ip=ip,
    )
    return locked
