"""The access review report: who can do what on which account of the tenant.

One row per (user, account): the rights the user holds there and where they come from (a direct
grant on the account, a grant on its master, or a group). Reads only; the tenant is explicit.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission, UserObjectPermission

from brokerportal import csvsafe
from ledger.access import NEEDS
from ledger.models import Account
from ledger.selectors import accounts_for
from tenants.roles import ALL_ROLES


@dataclass
class AccessRow:
    username: str
    full_name: str
    roles: str
    active: bool
    account_number: str
    account_title: str
    account_type: str
    rights: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)

    @property
    def via_text(self) -> str:
        return ", ".join(sorted(self.via))


CSV_HEADER = ["username", "name", "roles", "active", "account", "title", "type", "rights", "via"]


def review_rows(
    *, tenant, username: str = "", account_number: str = "", right: str = ""
) -> list[AccessRow]:
    content_type = ContentType.objects.get_for_model(Account)
    users = {u.pk: u for u in get_user_model().objects.prefetch_related("groups")}
    accounts = {a.pk: a for a in accounts_for(tenant=tenant).prefetch_related("subs")}
    grants = defaultdict(set)  # (user_id, account_id) -> {(need, via)}

    def add(user_id, account_id, codename, via):
        account = accounts.get(account_id)
        if account is None or user_id not in users:
            return  # another tenant's account or a deleted user: never shown
        need = codename.removesuffix("_account")
        grants[(user_id, account_id)].add((need, via))
        for sub in account.subs.all():
            grants[(user_id, sub.pk)].add((need, f"master {account.number}"))

    direct = UserObjectPermission.objects.filter(content_type=content_type).values_list(
        "user_id", "object_pk", "permission__codename"
    )
    for user_id, object_pk, codename in direct:
        add(user_id, int(object_pk), codename, "direct")
    by_group = GroupObjectPermission.objects.filter(content_type=content_type).values_list(
        "group__user__id", "group__name", "object_pk", "permission__codename"
    )
    for user_id, group_name, object_pk, codename in by_group:
        if user_id is not None:
            add(user_id, int(object_pk), codename, f"group {group_name}")

    rows = []
    for (user_id, account_id), held in grants.items():
        user, account = users[user_id], accounts[account_id]
        rights = sorted({need for need, _ in held}, key=NEEDS.index)
        if username and username.lower() not in user.get_username().lower():
            continue
        if account_number and account_number.upper() not in account.number:
            continue
        if right and right not in rights:
            continue
        roles = sorted(g.name for g in user.groups.all() if g.name in ALL_ROLES)
        rows.append(
            AccessRow(
                username=user.get_username(),
                full_name=user.get_full_name(),
                roles=", ".join(roles),
                active=user.is_active,
                account_number=account.number,
                account_title=account.title,
                account_type=account.account_type,
                rights=rights,
                via={via for _, via in held},
            )
        )
    rows.sort(key=lambda r: (r.username, r.account_number))
    return rows


def access_review_csv(rows: list[AccessRow], out) -> None:
    writer = csvsafe.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        values = (
            r.username,
            r.full_name,
            r.roles,
            "yes" if r.active else "no",
            r.account_number,
            r.account_title,
            r.account_type,
            " ".join(r.rights),
            r.via_text,
        )
        writer.writerow(values)
