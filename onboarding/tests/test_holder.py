"""The address of record of an opened account's holder: changed by a reviewer on the client's
request, validated as an application's, audited as `client.address_change` for the client's
login (what surveillance matches), and deciding the client's region for disclosures."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from ledger.services import account_open
from onboarding.models import Application
from onboarding.selectors import client_country
from onboarding.services import holder_address_change
from tenants.roles import ONBOARDING_OFFICER, VIEWER
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

from .factories import staff_user

US_ADDRESS = {
    "address_line1": "7 Navy Yard",
    "city": "Arlington",
    "postal_code": "22202",
    "country": "US",
}
UK_ADDRESS = {
    "address_line1": "10 Fleet Street",
    "address_line2": "Flat 3",
    "city": "London",
    "region": "",
    "postal_code": "EC4Y 1AA",
    "country": "GB",
}


def _opened(tenant, username="holder@example.com"):
    holder = user_make(tenant=tenant, username=username, roles=["Client"])
    with tenant_context(tenant):
        account = account_open(tenant=tenant, title="Holder", account_type="individual")
        application = Application.objects.create(
            first_name="Ada",
            last_name="Holder",
            email=username,
            state="opened",
            user=holder,
            account=account,
            **US_ADDRESS,
        )
    return holder, account, application


def test_a_reviewer_changes_the_address_and_it_is_audited_for_the_clients_login(tenant_a):
    # given
    holder, account, application = _opened(tenant_a)
    with tenant_context(tenant_a):
        officer = staff_user(ONBOARDING_OFFICER)
        assert client_country(user=holder) == "US"
        # when
        holder_address_change(
            application=application, address=UK_ADDRESS, actor=officer, ip="192.0.2.1"
        )
        # then the address of record and so the client's region changed
        application.refresh_from_db()
        assert (application.address_line1, application.postal_code, application.country) == (
            "10 Fleet Street",
            "EC4Y 1AA",
            "GB",
        )
        assert client_country(user=holder) == "GB"
        record = AuditRecord.objects.get(action="client.address_change")
        assert record.target == "user:holder@example.com"
        assert (record.actor_username, record.ip) == (officer.get_username(), "192.0.2.1")
        assert record.details["account"] == account.number
        assert record.details["before"]["country"] == "US"
        assert record.details["after"] == {
            "address_line1": "10 Fleet Street",
            "address_line2": "Flat 3",
            "city": "London",
            "region": "",
            "postal_code": "EC4Y 1AA",
            "country": "GB",
        }
        # and the same address again changes and records nothing
        holder_address_change(application=application, address=UK_ADDRESS, actor=officer)
        assert AuditRecord.objects.filter(action="client.address_change").count() == 1


@pytest.mark.parametrize(
    "address",
    [dict(UK_ADDRESS, country="XX"), dict(UK_ADDRESS, city=""), {**UK_ADDRESS, "phone": "1"}],
    ids=["unknown-country", "no-city", "not-an-address-field"],
)
def test_an_invalid_address_is_refused_and_nothing_changes(tenant_a, address):
    holder, _, application = _opened(tenant_a)
    with tenant_context(tenant_a):
        officer = staff_user(ONBOARDING_OFFICER)
        with pytest.raises(ValidationError):
            holder_address_change(application=application, address=address, actor=officer)
        application.refresh_from_db()
        assert (application.city, application.country) == ("Arlington", "US")
        assert not AuditRecord.objects.filter(action="client.address_change").exists()


def test_only_a_reviewer_and_only_for_an_opened_account(tenant_a):
    holder, _, application = _opened(tenant_a)
    with tenant_context(tenant_a):
        viewer = staff_user(VIEWER)
        with pytest.raises(PermissionDenied):
            holder_address_change(application=application, address=UK_ADDRESS, actor=viewer)
        draft = Application.objects.create(first_name="D", last_name="Raft", **US_ADDRESS)
        with pytest.raises(ValidationError, match="no opened account"):
            holder_address_change(
                application=draft, address=UK_ADDRESS, actor=staff_user(ONBOARDING_OFFICER)
            )
        application.refresh_from_db()
        assert application.country == "US"
        assert not AuditRecord.objects.filter(action="client.address_change").exists()


def test_the_screen_changes_the_address_and_another_tenant_gets_404(tenant_a, tenant_b):
    # given an opened application of tenant A, an officer of each tenant
    _, _, application = _opened(tenant_a)
    with tenant_context(tenant_a):
        officer_a = staff_user(ONBOARDING_OFFICER)
    with tenant_context(tenant_b):
        officer_b = staff_user(ONBOARDING_OFFICER)
    mine = login(tenant_client(tenant_a), officer_a, tenant_a)
    theirs = login(tenant_client(tenant_b), officer_b, tenant_b)
    url = f"/broker/onboarding/{application.pk}/address/"
    # when
    page = mine.get(f"/broker/onboarding/{application.pk}/")
    done = mine.post(url, UK_ADDRESS)
    foreign_get = theirs.get(f"/broker/onboarding/{application.pk}/")
    foreign_post = theirs.post(url, dict(UK_ADDRESS, country="FR", city="Paris"))
    # then
    assert "Change the address of record" in page.content.decode()
    assert done.status_code == 302
    assert (foreign_get.status_code, foreign_post.status_code) == (404, 404)
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert (application.city, application.country) == ("London", "GB")
