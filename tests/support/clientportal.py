"""Portal fixtures shared by unit tests, browser tests and the load test: a client login with
accounts, cash and positions in the shared ledger. Call inside `tenant_context(tenant)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from ledger.imports import ExecutionRow, executions_import
from ledger.models import Account, Instrument, Price
from ledger.services import account_open, cash_deposit
from tenants.roles import CLIENT


def client_user_make(*, username: str, password: str | None = None):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.test",
        password=password,
        first_name="Casey",
        last_name="Client",
    )
    group, _ = Group.objects.get_or_create(name=CLIENT)
    user.groups.add(group)
    return user


def account_for_client(
    *,
    tenant,
    user,
    title: str = "Casey Client",
    account_type: str = "individual",
    perms: tuple[str, ...] = ("view", "fund"),
    base_currency: str = "USD",
) -> Account:
    account = account_open(
        tenant=tenant, title=title, account_type=account_type, base_currency=base_currency
    )
    for need in perms:
        assign_perm(f"ledger.{need}_account", user, account)
    return account


def instruments_make(*, prefix: str, count: int, asset_class: str = "STK") -> list[Instrument]:
    """`count` instruments with closes today (100 + i) and yesterday (99 + i)."""
    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"{prefix}{i:04d}", asset_class=asset_class, currency="USD")
        for i in range(count)
    )
    today = timezone.localdate()
    Price.objects.bulk_create(
        [
            Price(instrument=inst, date=day, close=Decimal(100 + i) - offset)
            for i, inst in enumerate(instruments)
            for day, offset in ((today, Decimal(0)), (today - timedelta(days=1), Decimal(1)))
        ]
    )
    return instruments


def account_fund_and_buy(
    *,
    account: Account,
    cash: Decimal,
    instruments: list[Instrument],
    quantity: Decimal,
    price: Decimal,
    key: str,
) -> None:
    """Deposit `cash` (settled) and buy `quantity` of each instrument at `price` ten days ago."""
    booked_on = timezone.localdate() - timedelta(days=10)
    cash_deposit(
        account=account,
        amount=cash,
        currency="USD",
        idempotency_key=f"{key}:deposit",
        value_date=booked_on,
    )
    # The ledger's bulk execution import books many trades in a few statements.
    executions_import(
        rows=[
            ExecutionRow(
                execution_id=f"{key}:buy:{index}",
                account_number=account.number,
                symbol=instrument.symbol,
                side="BUY",
                quantity=quantity,
                price=price,
                trade_date=booked_on,
                commission=Decimal("1.00"),
            )
            for index, instrument in enumerate(instruments)
        ]
    )


@dataclass
class PortalFixture:
    """Committed portal data for browser tests and the load test; remove with
    `portal_fixture_purge`."""

    tenant: object
    user: object
    password: str
    totp_key: str
    account: Account
    second_account: Account
    instrument_ids: list[int]
    page_ids: list[int]


def portal_fixture_create(
    *, tenant, prefix: str, positions: int, password: str, history_days: int = 40
) -> PortalFixture:
    """A client (password + confirmed TOTP device) with a cash account holding `positions`
    stocks, a second, empty IRA, NAV history, an announcement and a FAQ. Commits."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from branding.pages import AnnouncementPage, FAQPage
    from ledger.services import nav_snapshots_rebuild
    from tests.support.branding import content_page_add

    with tenant_context(tenant):
        user = client_user_make(username=f"{prefix}-client", password=password)
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        account = account_for_client(tenant=tenant, user=user, title="Casey Client")
        ira = account_for_client(tenant=tenant, user=user, account_type="ira", title="Casey IRA")
        instruments = instruments_make(prefix=f"{prefix.upper()}Z", count=positions)
        account_fund_and_buy(
            account=account,
            cash=Decimal(positions * 600 + 25_000),
            instruments=instruments,
            quantity=Decimal(5),
            price=Decimal(90),
            key=f"{prefix}:fixture",
        )
        today = timezone.localdate()
        nav_snapshots_rebuild(
            start=today - timedelta(days=history_days), end=today, account_ids=[account.pk]
        )
        pages = [
            content_page_add(
                AnnouncementPage(title=f"Market holiday ({prefix})", summary="Closed Friday.")
            ),
            content_page_add(FAQPage(title=f"Questions ({prefix})", slug=f"faq-{prefix}")),
        ]
    return PortalFixture(
        tenant=tenant,
        user=user,
        password=password,
        totp_key=device.key,
        account=account,
        second_account=ira,
        instrument_ids=[i.pk for i in instruments],
        page_ids=[p.pk for p in pages],
    )


def portal_fixture_purge(fixture: PortalFixture) -> None:
    """Remove what `portal_fixture_create` and the tests on it committed (the audit trail is
    append-only and stays)."""
    from django.db import connection, transaction
    from wagtail.models import Page

    from clientportal.models import DepositNotice, Message, MessageThread, WithdrawalRequest
    from tests.support.ledger import ledger_purge

    with tenant_context(fixture.tenant), transaction.atomic():
        user = fixture.user
        Message.objects.filter(thread__client=user).delete()
        MessageThread.objects.filter(client=user).delete()
        WithdrawalRequest.objects.filter(requested_by=user).delete()
        funding_rows_purge(account_ids=[fixture.account.pk, fixture.second_account.pk])
        DepositNotice.objects.filter(notified_by=user).delete()
        for page in Page.objects.filter(pk__in=fixture.page_ids):
            page.delete()
        get_user_model().objects.filter(pk=user.pk).delete()
    ledger_purge(account_ids=[fixture.account.pk, fixture.second_account.pk])
    # Raw deletes: the ORM's cascade collector would look for tenant tables (allocations) that
    # point at instruments, and those do not exist in the public schema.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ledger.allow_purge = 'on'")
        for table in ("ledger_taxlot", "ledger_realizedgain", "ledger_position", "ledger_price"):
            cursor.execute(
                f"DELETE FROM {table} WHERE instrument_id = ANY(%s)",  # noqa: S608
                [fixture.instrument_ids],
            )
        cursor.execute("DELETE FROM ledger_instrument WHERE id = ANY(%s)", [fixture.instrument_ids])


def funding_rows_purge(*, account_ids: list[int]) -> None:
    """The funding desk's rows (deposit credits, journals) naming these accounts; call inside
    the tenant's schema before the accounts and notices go."""
    from funding.models import DepositCredit, Journal, JournalBatch

    DepositCredit.objects.filter(notice__account_id__in=account_ids).delete()
    journals = Journal.objects.filter(from_account_id__in=account_ids) | Journal.objects.filter(
        to_account_id__in=account_ids
    )
    batch_ids = set(journals.exclude(batch=None).values_list("batch_id", flat=True))
    journals.delete()
    JournalBatch.objects.filter(pk__in=batch_ids, journals=None).delete()
