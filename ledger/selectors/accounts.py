"""A tenant's accounts. Every read of `ledger.selectors` scopes its accounts here: a platform
account or another tenant's account is as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db.models import BigIntegerField, F, Func, QuerySet

from ledger.journal.sqlbulk import ids_in
from ledger.models import Account

# Accounts as the selectors take them: ids, or `Account` objects the caller already obtained
# through `ledger.access` (then no query is made to scope them).
Accounts = Iterable[int | Account]


def account_ids_of(accounts: Accounts) -> list[int]:
    """The ids of `accounts` (ids or `Account` objects), in the order given."""
    return [a.pk if isinstance(a, Account) else int(a) for a in accounts]


def accounts_for(*, tenant, account_ids: Accounts | None = None) -> QuerySet[Account]:
    qs = Account.objects.filter(tenant=tenant).exclude(account_type=Account.Type.PLATFORM)
    if account_ids is not None:
        # One array parameter whatever the number of ids (an allocation books to thousands).
        qs = qs.filter(pk__in=ids_in(account_ids_of(account_ids)))
    return qs.select_related("parent")


def account_get(*, tenant, account_id) -> Account:
    """Raises Account.DoesNotExist for another tenant's account."""
    return accounts_for(tenant=tenant).get(pk=account_id)


def account_by_number(*, tenant, number: str) -> Account:
    return accounts_for(tenant=tenant).get(number=number)


def masters_for(*, tenant) -> QuerySet[Account]:
    """The tenant's advisor masters."""
    return accounts_for(tenant=tenant).filter(account_type=Account.Type.MASTER)


def accounts_scoped(*, tenant, account_ids: Accounts) -> list[Account]:
    """The tenant's accounts among `account_ids`, once each, in the order given: `Account`
    objects are checked as they are, ids are read (one query)."""
    given = list(account_ids)
    ids = [a for a in given if not isinstance(a, Account)]
    read = {a.pk: a for a in accounts_for(tenant=tenant, account_ids=ids)} if ids else {}
    out: dict[int, Account] = {}
    for a in given:
        if isinstance(a, Account):
            if a.tenant_id == tenant.pk and not a.is_platform:
                out.setdefault(a.pk, a)
        elif int(a) in read:
            out.setdefault(int(a), read[int(a)])
    return list(out.values())


def account_ids_scoped(*, tenant, account_ids: Accounts) -> list[int]:
    """The ids of the tenant's accounts among `account_ids` (see `accounts_scoped`)."""
    given = list(account_ids)
    if all(isinstance(a, Account) for a in given):
        return [a.pk for a in accounts_scoped(tenant=tenant, account_ids=given)]
    return list(accounts_for(tenant=tenant, account_ids=given).values_list("pk", flat=True))


# The distinct base currencies of a tenant's client accounts, read by skipping through the
# (tenant, base_currency) index: one probe per currency instead of reading every account.
_TENANT_CURRENCIES_SQL = """
WITH RECURSIVE c(code) AS (
    (SELECT base_currency FROM ledger_account
     WHERE tenant_id = %(tenant)s AND account_type <> %(platform)s
     ORDER BY base_currency LIMIT 1)
    UNION ALL
    SELECT (SELECT base_currency FROM ledger_account
            WHERE tenant_id = %(tenant)s AND account_type <> %(platform)s
              AND base_currency > c.code
            ORDER BY base_currency LIMIT 1)
    FROM c WHERE c.code IS NOT NULL
)
SELECT code FROM c WHERE code IS NOT NULL
"""


def base_currencies_for(*, tenant) -> list[str]:
    """The base currencies of the tenant's accounts (platform accounts aside), sorted: one
    query whatever the number of accounts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _TENANT_CURRENCIES_SQL, {"tenant": tenant.pk, "platform": Account.Type.PLATFORM}
        )
        return [code for (code,) in cursor.fetchall()]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def microseconds_of(field: str) -> Func:
    """A timestamp column as whole microseconds since the epoch, for reads of many rows: an
    integer is read at once, where Django's loader of `timestamptz` parses each value's text
    in Python (most of the time of a report of 100,000 accounts, or of an API page of 1,000)."""
    return Func(
        F(field),
        template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
        output_field=BigIntegerField(),
    )


def instant_of(microseconds: int) -> datetime:
    """The aware (UTC) datetime of `microseconds_of`, exact to the microsecond."""
    return _EPOCH + timedelta(microseconds=microseconds)
