"""Fetch-and-check for ledger accounts reached from request input.

A tenant user's rights on an account are django-guardian object permissions (on the user or on
one of their groups) in the tenant's schema: `view_account`, `trade_account`, `fund_account`,
`report_account`. A permission granted on an advisor master covers every sub-account under it.

Every view, admin view and API endpoint that takes an account id from a request goes through
`access_account`: an account that does not exist, belongs to another tenant, is a platform
account or is simply not granted is the same 404. A user who may see an account but not do the
asked-for action on it (a view-only user trying to trade or fund) gets PermissionDenied (403).
"""

from collections.abc import Collection

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from ledger.models import Account

NEEDS = ("view", "trade", "fund", "report")
PERMISSION_CODENAMES = {need: f"{need}_account" for need in NEEDS}


# The account content type's id per schema. Each tenant schema has its own content type table,
# so django-tenants empties ContentType's cache at every schema switch (every request); an id
# never changes once created.
_ACCOUNT_CONTENT_TYPE_IDS: dict[str, int] = {}


def _account_content_type_id() -> int:
    schema = connection.schema_name
    ct_id = _ACCOUNT_CONTENT_TYPE_IDS.get(schema)
    if ct_id is None:
        ct_id = ContentType.objects.get_for_model(Account).pk
        _ACCOUNT_CONTENT_TYPE_IDS[schema] = ct_id
    return ct_id


def _codename(need: str) -> str:
    try:
        return PERMISSION_CODENAMES[need]
    except KeyError:
        raise ValueError(f"Unknown account permission need {need!r}; one of {NEEDS}.") from None


def granted_account_ids(*, user, need: str = "view") -> QuerySet:
    """Ids of accounts on which `user` holds the permission directly (not through a master),
    as a subquery-ready values queryset of integers (user grants and group grants)."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    codename = _codename(need)
    content_type_id = _account_content_type_id()
    by_user = UserObjectPermission.objects.filter(
        user_id=user.pk, content_type_id=content_type_id, permission__codename=codename
    )
    by_group = GroupObjectPermission.objects.filter(
        group__user__id=user.pk, content_type_id=content_type_id, permission__codename=codename
    )
    as_ids = {"account_id": Cast("object_pk", BigIntegerField())}
    return (
        by_user.annotate(**as_ids)
        .values("account_id")
        .union(by_group.annotate(**as_ids).values("account_id"))
    )


def accounts_visible(*, user, tenant, need: str = "view") -> QuerySet[Account]:
    """The tenant's accounts on which `user` may do `need`: granted directly, or a sub-account
    of a granted master. Never another tenant's account and never a platform account."""
    _codename(need)
    if user is None or not user.is_authenticated or not user.is_active or tenant is None:
        return Account.objects.none()
    scoped = Account.objects.filter(tenant_id=tenant.pk)
    if user.is_superuser:
        return scoped
    # Materialised ids: a UNION cannot be used inside IN (...) together with an OR on Django's
    # query compiler for every backend, and a user's grants are a short list.
    ids = list(granted_account_ids(user=user, need=need).values_list("account_id", flat=True))
    if not ids:
        return Account.objects.none()
    return scoped.filter(Q(pk__in=ids) | Q(parent_id__in=ids))


# `accounts_visible` as one statement, for pages that list them on every request (the client
# portal's account selector): the grants (user and group) and the accounts in one round trip and
# without the ORM's query building. Tables are the tenant's own (search path).
_VISIBLE_SQL = """
WITH granted AS (
    SELECT u.object_pk::bigint AS id
    FROM guardian_userobjectpermission u JOIN auth_permission p ON p.id = u.permission_id
    WHERE u.user_id = %(user)s AND u.content_type_id = %(ct)s AND p.codename = %(codename)s
    UNION
    SELECT g.object_pk::bigint
    FROM guardian_groupobjectpermission g JOIN auth_permission p ON p.id = g.permission_id
    JOIN auth_user_groups ug ON ug.group_id = g.group_id
    WHERE ug.user_id = %(user)s AND g.content_type_id = %(ct)s AND p.codename = %(codename)s
)
SELECT a.* FROM ledger_account a
WHERE a.tenant_id = %(tenant)s
  AND (a.id IN (SELECT id FROM granted) OR a.parent_id IN (SELECT id FROM granted))
  AND NOT a.account_type = ANY(%(excluded)s)
ORDER BY a.number
"""


def accounts_visible_list(
    *, user, tenant, need: str = "view", exclude_types: tuple[str, ...] = ()
) -> list[Account]:
    """`accounts_visible(...)` without the types in `exclude_types`, ordered by number, as a
    list: one query."""
    codename = _codename(need)
    if user is None or not user.is_authenticated or not user.is_active or tenant is None:
        return []
    if user.is_superuser:
        scoped = Account.objects.filter(tenant_id=tenant.pk).exclude(account_type__in=exclude_types)
        return list(scoped.order_by("number"))
    params = {
        "user": user.pk,
        "ct": _account_content_type_id(),
        "codename": codename,
        "tenant": tenant.pk,
        "excluded": list(exclude_types),
    }
    return list(Account.objects.raw(_VISIBLE_SQL, params))


def _granted_by_need(*, user, needs: tuple[str, ...]) -> dict[str, set[int]]:
    """One query: the ids granted directly to the user or their groups, per need."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    codenames = {PERMISSION_CODENAMES[n]: n for n in needs}
    common = {
        "content_type_id": _account_content_type_id(),
        "permission__codename__in": list(codenames),
    }
    rows = (
        UserObjectPermission.objects.filter(user_id=user.pk, **common)
        .values_list("object_pk", "permission__codename")
        .union(
            GroupObjectPermission.objects.filter(group__user__id=user.pk, **common).values_list(
                "object_pk", "permission__codename"
            )
        )
    )
    granted: dict[str, set[int]] = {n: set() for n in needs}
    for object_pk, codename in rows:
        granted[codenames[codename]].add(int(object_pk))
    return granted


def account_allows(
    *, user, tenant, account: Account, need: str, granted: Collection[str] | None = None
) -> bool:
    """Whether `user` may do `need` on `account` (which must be the tenant's). `granted`: the
    needs the user holds on the account or its master, already read
    (`ledger.selectors.order_facts_for`); else they are read here."""
    _codename(need)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if account.tenant_id is None or tenant is None or account.tenant_id != tenant.pk:
        return False
    if user.is_superuser:
        return True
    if granted is not None:
        return need in granted
    ids = _granted_by_need(user=user, needs=(need,))[need]
    return account.pk in ids or account.parent_id in ids


def access_account(*, user, tenant, account_id, need: str = "view") -> Account:
    """The tenant's account `account_id` if `user` may see it and do `need` on it.

    Raises Http404 alike for a missing id, a malformed id, another tenant's account and an
    account not granted; PermissionDenied when the user may see the account but not do `need`.
    Two queries: the user's grants, then the account.
    """
    _codename(need)
    try:
        account_pk = int(account_id)
    except (TypeError, ValueError):
        raise Http404("No such account.") from None
    if user is None or not user.is_authenticated or not user.is_active or tenant is None:
        raise Http404("No such account.")
    account = (
        Account.objects.filter(pk=account_pk, tenant_id=tenant.pk).select_related("parent").first()
    )
    if account is None:
        raise Http404("No such account.")
    if user.is_superuser:
        return account
    granted = _granted_by_need(user=user, needs=tuple(dict.fromkeys(("view", need))))

    def holds(n: str) -> bool:
        return account.pk in granted[n] or account.parent_id in granted[n]

    if not holds("view"):
        raise Http404("No such account.")
    if not holds(need):
        raise PermissionDenied(f"You may not {need} in this account.")
    return account


def access_account_by_number(*, user, tenant, number: str, need: str = "view") -> Account:
    """As `access_account`, for routes and imports that name the account by its number."""
    account = (
        accounts_visible(user=user, tenant=tenant, need="view")
        .filter(number=str(number))
        .only("pk")
        .first()
    )
    if account is None:
        raise Http404("No such account.")
    return access_account(user=user, tenant=tenant, account_id=account.pk, need=need)
