"""The Broker Portal's home: what waits, per role, each a count linking to its queue."""

from decimal import Decimal

from django_tenants.utils import tenant_context

from clientportal.models import WithdrawalRequest
from ledger.services import account_open
from onboarding.models import Application
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client


def _tiles(response):
    return {t.code: (t.count, t.url) for t in response.context["tiles"]}


def test_onboarding_officer_sees_applications_and_withdrawals_to_do(tenant_a):
    # given
    officer = user_make(tenant=tenant_a, username="home-oo", roles=["Onboarding Officer"])
    advisor = user_make(tenant=tenant_a, username="home-adv", roles=["Advisor/Trader"])
    client_user = user_make(tenant=tenant_a, username="home-client", roles=["Client"])
    account = account_open(tenant=tenant_a, title="Home Holder", account_type="individual")
    with tenant_context(tenant_a):
        for n in range(3):
            Application.objects.create(first_name=f"A{n}", last_name="B", state="submitted")
        WithdrawalRequest.objects.create(
            account=account,
            requested_by=client_user,
            amount=Decimal("5"),
            currency="USD",
            destination="bank",
        )
    # when
    officer_home = login(tenant_client(tenant_a), officer, tenant_a).get("/broker/")
    advisor_home = login(tenant_client(tenant_a), advisor, tenant_a).get("/broker/")
    # then
    tiles = _tiles(officer_home)
    assert tiles["applications"] == (3, "/broker/onboarding/")
    assert tiles["withdrawals"] == (1, "/broker/withdrawals/")
    assert "blocks" not in tiles
    assert "What waits today" in officer_home.content.decode()
    assert set(_tiles(advisor_home)) >= {"blocks", "messages", "exceptions"}
    assert "applications" not in _tiles(advisor_home)
