"""Staff journeys through the Broker Portal's pages in Chromium, each checked on the screen and
in the ledger: an advisor captures a block with two fills, previews it equal-quantity over a
group, books it and downloads its FIXML; an Onboarding Officer credits a client's deposit notice
and the client sees the cash; a maker books a journal above the approval limit, cannot approve
it, and a second person does."""

from __future__ import annotations

import contextlib
import io
import secrets
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from allocations.fixml import fixml_validate
from ledger.models import CashBalance, Position
from tests.support.clientportal import funding_rows_purge

from .conftest import committed_staff_with_totp, console_errors, serve_static, totp_now

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "staff-journey-pass-2026"  # test-only credential of throwaway users
SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"


def _logged_in(browser, portal_url, username, password, key, *, start="/broker/"):
    """A browser context past the password and the TOTP code, through the login pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{portal_url}{start}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", totp_now(key))
    page.click("button:has-text('Continue')")
    page.wait_for_load_state("networkidle")
    page.close()
    return context


def _cash(account, currency="USD") -> Decimal:
    row = CashBalance.objects.filter(account=account, currency=currency).first()
    return row.quantity if row else Decimal(0)


@contextlib.contextmanager
def _committed(tenant, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(tenant):
        yield
    connection.set_schema_to_public()


def _ledger_purge(tenant, django_db_blocker, *, account_ids, instrument_ids=()):
    from tests.support.ledger import ledger_purge

    with django_db_blocker.unblock():
        ledger_purge(account_ids=account_ids)
        if instrument_ids:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL ledger.allow_purge = 'on'")
                for table in ("ledger_taxlot", "ledger_realizedgain", "ledger_position"):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE instrument_id = ANY(%s)",  # noqa: S608
                        [list(instrument_ids)],
                    )
                cursor.execute(
                    "DELETE FROM ledger_instrument WHERE id = ANY(%s)", [list(instrument_ids)]
                )


# --- block capture ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def block_desk(portal_data, django_db_blocker):
    """An advisor (Advisor/Trader, trade on a master with three subs), an equal group and an
    instrument; all removed afterwards."""
    from allocations.models import Allocation, AllocationGroup, AllocationLine, Block, BlockFill
    from allocations.services import group_create
    from allocations.services.groups import MemberSpec
    from compliance.services.grants import grant_add
    from ledger.services import account_open
    from ledger.tests.factories import instrument_make

    tenant = portal_data.tenant
    with committed_staff_with_totp(
        tenant,
        django_db_blocker,
        prefix="advisor",
        password=STAFF_PASSWORD,
        groups=["Advisor/Trader"],
    ) as (advisor, key):
        with _committed(tenant, django_db_blocker):
            master = account_open(tenant=tenant, title="Journey master", account_type="master")
            subs = [
                account_open(
                    tenant=tenant,
                    title=f"Journey client {n}",
                    account_type="sub",
                    parent=master,
                    margin_type="reg_t",
                )
                for n in (1, 2, 3)
            ]
            grant_add(actor=None, user=advisor, accounts=[master], perms=["trade"], tenant=tenant)
            group = group_create(
                actor=advisor,
                tenant=tenant,
                name=f"Journey equal {secrets.token_hex(2)}",
                master=master,
                method="equal",
                members=[MemberSpec(account=a, priority=100) for a in subs],
            )
            instrument = instrument_make(f"JRN{secrets.token_hex(3).upper()}")
        try:
            yield {
                "tenant": tenant,
                "advisor": advisor,
                "key": key,
                "master": master,
                "subs": subs,
                "group": group,
                "instrument": instrument,
            }
        finally:
            with _committed(tenant, django_db_blocker):
                blocks = Block.objects.filter(master=master)
                BlockFill.objects.filter(block__in=blocks).update(allocation=None)
                AllocationLine.objects.filter(allocation__block__in=blocks).delete()
                Allocation.objects.filter(block__in=blocks).delete()
                BlockFill.objects.filter(block__in=blocks).delete()
                blocks.delete()
                AllocationGroup.objects.filter(pk=group.pk).delete()
            _ledger_purge(
                tenant,
                django_db_blocker,
                account_ids=[master.pk, *(s.pk for s in subs)],
                instrument_ids=[instrument.pk],
            )


def test_advisor_captures_a_block_books_it_equally_and_downloads_the_fixml(
    browser, portal_url, block_desk, screenshots, tmp_path
):
    from django.utils import timezone

    from allocations.models import Allocation, Block
    from ledger.services import instrument_settlement_rule

    desk = block_desk
    master, subs, instrument = desk["master"], desk["subs"], desk["instrument"]
    trade_day = instrument_settlement_rule(instrument).previous_business_day(timezone.localdate())
    context = _logged_in(browser, portal_url, desk["advisor"].username, STAFF_PASSWORD, desk["key"])
    page = context.new_page()
    errors = console_errors(page)
    # when: the block and its two fills are typed in
    page.goto(f"{portal_url}/broker/allocations/")
    page.click("a.button:has-text('Capture a block')")
    page.select_option("#master", str(master.pk))
    page.fill("#symbol", instrument.symbol)
    page.select_option("#side", "buy")
    page.fill("#trade_date", trade_day.isoformat())
    for n, (quantity, price, at, commission) in enumerate(
        [("60", "10.00", "10:00:00", "1.20"), ("40", "10.50", "10:05:00", "0.80")], start=1
    ):
        page.fill(f"input[name='fill-{n}-quantity']", quantity)
        page.fill(f"input[name='fill-{n}-price']", price)
        page.fill(f"input[name='fill-{n}-time']", at)
        page.fill(f"input[name='fill-{n}-commission']", commission)
    page.screenshot(path=screenshots / "broker-block-capture.png", full_page=True)
    page.click("button:has-text('Capture the block')")
    page.wait_for_url("**/broker/allocations/blocks/*/")
    # then the block page lists both fills, and the master holds them
    with tenant_context(desk["tenant"]):
        block = Block.objects.get(master=master)
    connection.set_schema_to_public()
    fills_text = page.inner_text("table.listing >> nth=0")
    assert f"{block.reference}-1" in fills_text and f"{block.reference}-2" in fills_text
    assert "Block " + block.reference + " captured with its fills." in page.inner_text("body")
    assert Position.objects.get(account=master, instrument=instrument).quantity == Decimal(100)
    # when: previewed over the equal group and booked
    page.select_option("#group", str(desk["group"].pk))
    page.click(f"form[action$='/blocks/{block.pk}/preview/'] button")
    page.wait_for_url("**/broker/allocations/*/")
    preview_text = page.inner_text("body")
    page.click("form[action$='/book/'] button")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=screenshots / "broker-block-booked.png", full_page=True)
    # then: booked on the screen and in the ledger, 34/33/33 by largest remainder
    with tenant_context(desk["tenant"]):
        allocation = Allocation.objects.get(block=block)
    connection.set_schema_to_public()
    assert allocation.state == "booked" and allocation.quantity == Decimal(100)
    assert allocation.avg_price == Decimal("10.2")
    assert all(sub.number in preview_text for sub in subs)
    assert "Booked" in page.inner_text("body")
    held = [Position.objects.get(account=s, instrument=instrument).quantity for s in subs]
    assert sorted(held) == [Decimal(33), Decimal(33), Decimal(34)]
    assert not Position.objects.filter(
        account=master, instrument=instrument, quantity__gt=0
    ).exists()
    # when: the FIXML is downloaded from the page
    with page.expect_download() as download_info:
        page.click(f"main a[href$='/allocations/{allocation.pk}/fixml/']")
    path = tmp_path / "allocation.fixml.xml"
    download_info.value.save_as(path)
    data = path.read_bytes()
    page.close()
    context.close()
    # then it is valid FIXML naming the allocation and every sub-account
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    assert f'ID="{allocation.reference}"'.encode() in data
    assert all(f'Acct="{s.number}"'.encode() in data for s in subs)
    assert errors == []


# --- deposit notices ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deposit_desk(portal_data, django_db_blocker):
    """A client (password + TOTP, view and fund on a new cash account) and an Onboarding
    Officer; removed afterwards."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clientportal.models import DepositNotice
    from tests.support.clientportal import account_for_client, client_user_make

    tenant = portal_data.tenant
    with committed_staff_with_totp(
        tenant,
        django_db_blocker,
        prefix="onboarding",
        password=STAFF_PASSWORD,
        groups=["Onboarding Officer"],
    ) as (officer, officer_key):
        with _committed(tenant, django_db_blocker):
            client = client_user_make(
                username=f"depositor-{secrets.token_hex(3)}", password=STAFF_PASSWORD
            )
            device = TOTPDevice.objects.create(user=client, name="phone", confirmed=True)
            account = account_for_client(tenant=tenant, user=client, title="Dana Depositor")
        try:
            yield {
                "tenant": tenant,
                "officer": officer,
                "officer_key": officer_key,
                "client": client,
                "client_key": device.key,
                "account": account,
            }
        finally:
            with _committed(tenant, django_db_blocker):
                funding_rows_purge(account_ids=[account.pk])
                DepositNotice.objects.filter(account=account).delete()
                client.delete()
            _ledger_purge(tenant, django_db_blocker, account_ids=[account.pk])


def test_officer_credits_a_deposit_notice_and_the_client_sees_the_cash(
    browser, portal_url, deposit_desk, screenshots
):
    from clientportal.models import DepositNotice

    desk = deposit_desk
    account = desk["account"]
    # given: the client notifies a wire through the client portal
    client_context = _logged_in(
        browser,
        portal_url,
        desk["client"].username,
        STAFF_PASSWORD,
        desk["client_key"],
        start="/login/",
    )
    page = client_context.new_page()
    page.goto(f"{portal_url}/transfers/")
    page.select_option("#id_deposit-account", str(account.pk))
    page.fill("#id_deposit-amount", "2500.00")
    page.select_option("#id_deposit-currency", "USD")
    page.select_option("#id_deposit-method", "wire")
    page.fill("#id_deposit-expected_on", "2026-12-01")
    page.fill("#id_deposit-reference", "WIRE-JOURNEY")
    page.click("button:has-text('Send notice')")
    page.wait_for_load_state("networkidle")
    assert "Awaiting the money" in page.inner_text("#deposit-notices")
    with tenant_context(desk["tenant"]):
        notice = DepositNotice.objects.get(account=account)
    connection.set_schema_to_public()
    # when: the Onboarding Officer finds it in the queue and credits what was received
    staff_context = _logged_in(
        browser, portal_url, desk["officer"].username, STAFF_PASSWORD, desk["officer_key"]
    )
    staff = staff_context.new_page()
    errors = console_errors(staff)
    staff.goto(f"{portal_url}/broker/funding/deposits/")
    assert "WIRE-JOURNEY" in staff.inner_text("#deposit-notices")
    staff.click(f"text=DN-{notice.pk}")
    staff.fill("#amount", "2500.00")
    staff.fill("#bank_reference", "BANK-REF-1")
    staff.click("button:has-text('Credit the deposit')")
    staff.wait_for_load_state("networkidle")
    staff.screenshot(path=screenshots / "broker-deposit-credited.png", full_page=True)
    # then: the page and the ledger say credited
    assert staff.inner_text("#status") == "Credited"
    assert "2,500.00" in staff.inner_text("#credits")
    assert _cash(account) == Decimal("2500.00")
    # and the client sees the cash and the notice's status
    page.goto(f"{portal_url}/cash/")
    assert "2,500.00" in page.inner_text("table")
    page.goto(f"{portal_url}/transfers/")
    assert "Credited" in page.inner_text("#deposit-notices")
    for p, c in ((page, client_context), (staff, staff_context)):
        p.close()
        c.close()
    assert errors == []


# --- journals with four eyes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def journal_desk(portal_data, django_db_blocker):
    """A maker (Onboarding Officer), a checker (Compliance Officer), two accounts, a limit of
    1,000 USD; all removed or restored afterwards."""
    from funding.models import FundingSettings
    from ledger.services import account_open, cash_deposit

    tenant = portal_data.tenant
    with (
        committed_staff_with_totp(
            tenant,
            django_db_blocker,
            prefix="maker",
            password=STAFF_PASSWORD,
            groups=["Onboarding Officer"],
        ) as (maker, maker_key),
        committed_staff_with_totp(
            tenant,
            django_db_blocker,
            prefix="checker",
            password=STAFF_PASSWORD,
            groups=["Compliance Officer"],
        ) as (checker, checker_key),
    ):
        with _committed(tenant, django_db_blocker):
            settings_row = FundingSettings.load()
            previous_limit = settings_row.journal_approval_limit
            settings_row.journal_approval_limit = Decimal("1000.00")
            settings_row.save()
            one = account_open(tenant=tenant, title="Journal source", account_type="individual")
            two = account_open(tenant=tenant, title="Journal target", account_type="individual")
            cash_deposit(
                account=one,
                amount=Decimal("9000"),
                currency="USD",
                idempotency_key=f"journey-journal:{one.pk}",
            )
        try:
            yield {
                "tenant": tenant,
                "maker": maker,
                "maker_key": maker_key,
                "checker": checker,
                "checker_key": checker_key,
                "one": one,
                "two": two,
            }
        finally:
            with _committed(tenant, django_db_blocker):
                funding_rows_purge(account_ids=[one.pk, two.pk])
                FundingSettings.objects.update(journal_approval_limit=previous_limit)
            _ledger_purge(tenant, django_db_blocker, account_ids=[one.pk, two.pk])


def test_a_journal_above_the_limit_waits_for_a_second_person(
    browser, portal_url, journal_desk, screenshots
):
    from funding.models import Journal

    desk = journal_desk
    one, two = desk["one"], desk["two"]
    maker_context = _logged_in(
        browser, portal_url, desk["maker"].username, STAFF_PASSWORD, desk["maker_key"]
    )
    page = maker_context.new_page()
    errors = console_errors(page)
    # when: the maker books 4,000 USD, above the 1,000 USD limit
    page.goto(f"{portal_url}/broker/funding/journals/new/")
    page.check("input[name='kind'][value='cash']")
    page.fill("#from_account", one.number)
    page.fill("#to_account", two.number)
    page.fill("#currency", "USD")
    page.fill("#amount", "4000.00")
    page.fill("#memo", "Family transfer")
    page.click("button:has-text('Book the journal')")
    page.wait_for_url("**/broker/funding/journals/*/")
    # then it waits, nothing moved, and the maker's own approval is refused
    assert page.inner_text("#status") == "Awaiting approval"
    assert "awaits a second person's approval" in page.inner_text("body")
    assert (_cash(one), _cash(two)) == (Decimal(9000), Decimal(0))
    page.click("button:has-text('Approve and book')")
    page.wait_for_load_state("networkidle")
    assert "a second person must approve it (four eyes)" in page.inner_text("body")
    assert page.inner_text("#status") == "Awaiting approval"
    assert _cash(two) == Decimal(0)
    with tenant_context(desk["tenant"]):
        journal = Journal.objects.get(from_account=one)
    connection.set_schema_to_public()
    # when: the checker approves it from the queue
    checker_context = _logged_in(
        browser, portal_url, desk["checker"].username, STAFF_PASSWORD, desk["checker_key"]
    )
    checker = checker_context.new_page()
    checker_errors = console_errors(checker)
    checker.goto(f"{portal_url}/broker/funding/journals/")
    assert journal.reference in checker.inner_text("#journals")
    checker.click(f"text={journal.reference}")
    checker.click("button:has-text('Approve and book')")
    checker.wait_for_load_state("networkidle")
    checker.screenshot(path=screenshots / "broker-journal-approved.png", full_page=True)
    # then: booked on the screen and in the ledger, under the journal's idempotency key
    assert checker.inner_text("#status").startswith("Booked — approved by")
    with tenant_context(desk["tenant"]):
        journal.refresh_from_db()
        entry = journal.entry
    connection.set_schema_to_public()
    assert entry.idempotency_key == f"funding-journal:{desk['tenant'].schema_name}:{journal.pk}"
    assert (_cash(one), _cash(two)) == (Decimal(5000), Decimal(4000))
    checker.goto(f"{portal_url}/broker/funding/journals/")
    assert journal.reference not in checker.inner_text("#journals")
    for p, c in ((page, maker_context), (checker, checker_context)):
        p.close()
        c.close()
    assert errors == [] and checker_errors == []
