"""What the ledger knows that an order's pre-trade checks read, in one round trip: the account
(locked for update when the order is to be placed, so two orders cannot both pass a
buying-power check on the same cash), the instrument, its last close, the position, the needs
the login holds on the account (or its advisor master), the USD rates and the account's
valuation inputs (cash and holdings).

The statements go to the server as one simple-protocol query (psycopg's client-side cursor,
several result sets). The lock is the first statement; under READ COMMITTED every later
statement takes its own snapshot once the lock is held, so what they read includes whatever
an order that held the lock before committed. One statement reading the locked row and the
cash together would read the cash as of before the wait."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.utils import timezone

from ledger.access import PERMISSION_CODENAMES, _account_content_type_id
from ledger.domain.fx import UsdRates
from ledger.domain.valuation import Valuation
from ledger.models import Account, Instrument
from ledger.selectors.holdings import CASH_ROWS_SQL, CashRow, cash_rows_from
from ledger.selectors.market import USD_RATES_SQL, usd_rates_from
from ledger.selectors.valuation import HOLDINGS_SQL, cash_inputs_by_account, valuations_from

ZERO = Decimal(0)
_NEEDS = {codename: need for need, codename in PERMISSION_CODENAMES.items()}


@functools.cache
def _columns(model) -> tuple[list[str], str]:
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    return names, ", ".join(connection.ops.quote_name(f.column) for f in fields)


@dataclass(frozen=True)
class LastPrice:
    close: Decimal
    on: date


@dataclass
class OrderLedgerFacts:
    """The ledger's part of an order's facts; `account` is None for an id that is not the
    tenant's (and then nothing else of it was kept)."""

    account: Account | None
    instrument: Instrument | None
    last_price: LastPrice | None
    position: Decimal
    granted: frozenset[str]  # needs ("view", "trade", ...) held on the account or its master
    rates: UsdRates
    as_of: date
    cash: list[CashRow] = field(default_factory=list)
    holdings: list[tuple] = field(default_factory=list)
    also: list[list[tuple]] = field(default_factory=list)  # the rows of the caller's statements

    @cached_property
    def valuation(self) -> Valuation | None:
        """The account's valuation now, without its positions' detail (as
        `valuations_for_accounts(..., with_positions=False)`)."""
        if self.account is None:
            return None
        return valuations_from(
            [self.account],
            cash=cash_inputs_by_account(self.cash),
            holdings={self.account.pk: self.holdings},
            rates=self.rates,
            with_positions=False,
        )[self.account.pk]


def order_facts_for(
    *,
    tenant,
    account_id: int,
    instrument_id: int,
    user_id: int | None,
    lock: bool = True,
    as_of: date | None = None,
    also: list[tuple[str, list | dict]] = (),
) -> OrderLedgerFacts:
    """The ledger's facts of an order for the tenant's account `account_id` in `instrument_id`,
    by `user_id`: one round trip, the account row locked for update first when `lock`. `also`:
    the caller's own `(sql, params)` statements about the same order, sent in the same round
    trip after the lock (their rows in `also`; the caller scopes them)."""
    as_of = as_of or timezone.localdate()
    account_names, account_columns = _columns(Account)
    instrument_names, instrument_columns = _columns(Instrument)
    tenant_id = getattr(tenant, "pk", None)
    account = [account_id]
    statements = [
        (
            f"SELECT {account_columns} FROM ledger_account WHERE id = %s AND tenant_id = %s"  # noqa: S608
            + (" FOR UPDATE" if lock else ""),
            [account_id, tenant_id],
        ),
        (f"SELECT {instrument_columns} FROM ledger_instrument WHERE id = %s", [instrument_id]),  # noqa: S608
        (
            "SELECT close, date FROM ledger_price WHERE instrument_id = %s "
            "ORDER BY date DESC LIMIT 1",
            [instrument_id],
        ),
        (
            "SELECT quantity FROM ledger_position WHERE account_id = %s AND instrument_id = %s",
            [account_id, instrument_id],
        ),
        (_grants_sql(), {"a": account_id, "u": user_id or 0, "ct": _account_content_type_id()}),
        (USD_RATES_SQL, [as_of]),
        (CASH_ROWS_SQL, [account, as_of, account]),
        (HOLDINGS_SQL, [as_of, account]),
        *also,
    ]
    results = statements_rows(statements)
    account_row, instrument_row, price, position, grants, rates, cash, holdings = results[:8]
    extra = results[8:]
    instrument = (
        Instrument.from_db(connection.alias, instrument_names, instrument_row[0])
        if instrument_row
        else None
    )
    last = LastPrice(price[0][0], price[0][1]) if price else None
    if not account_row:
        return OrderLedgerFacts(
            account=None,
            instrument=instrument,
            last_price=last,
            position=ZERO,
            granted=frozenset(),
            rates=usd_rates_from(rates),
            as_of=as_of,
            also=extra,
        )
    return OrderLedgerFacts(
        account=Account.from_db(connection.alias, account_names, account_row[0]),
        instrument=instrument,
        last_price=last,
        position=position[0][0] if position else ZERO,
        granted=frozenset(_NEEDS[c] for (c,) in grants if c in _NEEDS),
        rates=usd_rates_from(rates),
        as_of=as_of,
        cash=cash_rows_from(cash),
        holdings=holdings,
        also=extra,
    )


@functools.cache
def _grants_sql() -> str:
    """The codenames granted to the user (%(u)s) or their groups on the account (%(a)s) or its
    master, as `ledger.access` reads them (django-guardian's object permissions)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from guardian.models import GroupObjectPermission, UserObjectPermission

    users = UserObjectPermission._meta.db_table
    groups = GroupObjectPermission._meta.db_table
    permissions = Permission._meta.db_table
    memberships = get_user_model().groups.through._meta.db_table
    return (
        "WITH target AS (SELECT id::text AS pk FROM ledger_account WHERE id = %(a)s "  # noqa: S608
        "UNION ALL SELECT parent_id::text FROM ledger_account "
        "WHERE id = %(a)s AND parent_id IS NOT NULL) "
        f"SELECT p.codename FROM {users} g JOIN {permissions} p ON p.id = g.permission_id "
        "WHERE g.user_id = %(u)s AND g.content_type_id = %(ct)s "
        "AND g.object_pk IN (SELECT pk FROM target) "
        f"UNION SELECT p.codename FROM {groups} g JOIN {permissions} p ON p.id = g.permission_id "
        f"JOIN {memberships} m ON m.group_id = g.group_id "
        "WHERE m.user_id = %(u)s AND g.content_type_id = %(ct)s "
        "AND g.object_pk IN (SELECT pk FROM target)"
    )


def statements_rows(statements: list[tuple[str, list | dict]]) -> list[list[tuple]]:
    """The rows of each `(sql, params)` statement, sent to the server together as one query
    (one round trip); each statement takes its own snapshot under READ COMMITTED."""
    with connection.cursor() as cursor:
        sql = ";\n".join(cursor.mogrify(s, p) for s, p in statements)
        cursor.execute(sql)
        out = [cursor.fetchall()]
        while cursor.nextset():
            out.append(cursor.fetchall())
    if len(out) != len(statements):
        raise RuntimeError(f"{len(statements)} statements gave {len(out)} results")
    return out
