"""What a portal page is about: the accounts the user may see, the selected account (or all of
them, consolidated) and the navigation. Every account comes through `ledger.access`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache, wraps

from django.contrib.auth.decorators import login_required
from django.urls import get_script_prefix, get_urlconf, reverse

from ledger.access import access_account, accounts_visible_list
from ledger.models import Account

SESSION_KEY = "portal_account"
ALL = "all"
NAV = (
    ("clientportal:home", "Dashboard"),
    ("clientportal:positions", "Positions"),
    ("clientportal:orders", "Orders"),
    ("clientportal:performance", "Performance"),
    ("clientportal:cash", "Cash"),
    ("clientportal:transfers", "Transfers"),
    ("clientportal:activity", "Activity"),
    ("clientportal:statements", "Statements"),
    ("clientportal:messages", "Messages"),
    ("clientportal:content", "Info"),
)


@dataclass
class NavItem:
    url: str
    label: str
    current: bool
    # The tab that carries the unread messages badge (`{% unread_badge %}`).
    unread_badge: bool = False


@dataclass
class PortalScope:
    accounts: list[Account]
    account: Account | None
    consolidated: bool
    nav: list[NavItem] = field(default_factory=list)

    @property
    def real_accounts(self) -> list[Account]:
        """Paper accounts never enter a consolidated figure with real money."""
        return [a for a in self.accounts if not a.is_paper]

    @property
    def can_consolidate(self) -> bool:
        return len(self.real_accounts) > 1

    @property
    def selected(self) -> list[Account]:
        """The accounts the page shows: all real ones when consolidated, else the one."""
        if self.consolidated:
            return self.real_accounts
        return [self.account] if self.account else []

    @property
    def selected_ids(self) -> list[int]:
        return [a.pk for a in self.selected]

    @property
    def label(self) -> str:
        if self.consolidated:
            return f"All accounts ({len(self.real_accounts)})"
        if self.account and self.account.is_paper:
            return f"{self.account.number} · PAPER (simulated)"
        return f"{self.account.number} · {self.account.title}" if self.account else ""


def portal_scope(request) -> PortalScope:
    """Selection from `?account=<id>|all`, else the one remembered in the session, else the
    first account. An id that is not the user's is a 404 (from `access_account`)."""
    user, tenant = request.user, request.tenant
    accounts = accounts_visible_list(user=user, tenant=tenant, exclude_types=(Account.Type.MASTER,))
    asked = request.GET.get("account")
    wanted = asked or request.session.get(SESSION_KEY)
    consolidated, account = False, accounts[0] if accounts else None
    if wanted == ALL and sum(1 for a in accounts if not a.is_paper) > 1:
        consolidated = True
    elif asked and asked != ALL:
        # The visible accounts passed the same grant check; anything else (another tenant's,
        # not granted, malformed) is for `access_account` to refuse alike.
        account = next((a for a in accounts if str(a.pk) == asked), None) or access_account(
            user=user, tenant=tenant, account_id=asked
        )
    elif wanted and wanted != ALL:
        # A remembered choice whose grant was since revoked falls back to the first account.
        account = next((a for a in accounts if a.pk == wanted), account)
    if "account" in request.GET:
        remembered = ALL if consolidated else (account.pk if account else None)
        # Only a change is written: a link that names the account is not a session write.
        if request.session.get(SESSION_KEY) != remembered:
            request.session[SESSION_KEY] = remembered
    scope = PortalScope(accounts=accounts, account=account, consolidated=consolidated)
    scope.nav = _nav(request)
    return scope


def portal_page(view):
    """The one pipeline of a client portal page: the login is required, then the page's scope
    (`portal_scope`) is built once, as `request.portal`, before the view runs; templates read
    it as `portal` (context processor `portal_context`)."""

    @login_required
    @wraps(view)
    def page(request, *args, **kwargs):
        request.portal = portal_scope(request)
        return view(request, *args, **kwargs)

    return page


def portal_context(request) -> dict:
    """`portal` for every template rendered under `portal_page`."""
    scope = getattr(request, "portal", None)
    return {"portal": scope} if scope is not None else {}


@lru_cache(maxsize=64)
def _nav_urls(urlconf, script_prefix: str) -> tuple[str, ...]:
    """The navigation's URLs, the same on every page of a URL conf and prefix."""
    return tuple(reverse(name, urlconf=urlconf) for name, _ in NAV)


def _nav(request) -> list[NavItem]:
    """The tabs; the Messages tab carries the unread badge (`{% unread_badge %}`)."""
    items = []
    urls = _nav_urls(get_urlconf(), get_script_prefix())
    for (name, label), url in zip(NAV, urls, strict=True):
        current = request.path == url if url == "/" else request.path.startswith(url)
        unread = name == "clientportal:messages"
        items.append(NavItem(url, label, current, unread_badge=unread))
    return items
