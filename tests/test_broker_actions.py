"""Every Broker Portal POST goes through an Action (compliance.actions).

The URL patterns of the tenant URL conf under /broker/ are walked; each of the project's views
there either declares the Actions its POST executes (`@action_view(...)`) or only reads
(`@read_view`: GET and HEAD, anything else 405). A view with neither fails: a new screen is
checked the day it is added. Wagtail's own admin views are left out by the explicit list below.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from compliance.actions import Action

TENANT_URLCONF = "brokerportal.urls_tenant"
BROKER_PREFIX = "broker/"
# Wagtail's own admin (pages, images, documents, snippets, users, sites, embeds, redirects,
# settings, forms, search promotions): their POSTs are Wagtail's, which has its own actions.
WAGTAIL_OWN_MODULES = (
    "wagtail.admin.",
    "wagtail.images.",
    "wagtail.documents.",
    "wagtail.contrib.",
    "wagtail.users.",
    "wagtail.sites.",
    "wagtail.embeds.",
    "wagtail.snippets.",
)
# Routes of Wagtail's admin served by a Django view.
WAGTAIL_OWN_ROUTES = {"broker/test404/"}
# POSTs of the project that write nothing, with why.
POSTS_WITHOUT_WRITES = {
    # Renders the login page and dashboard in the brand typed into the form; nothing is saved.
    "branding.wagtail_hooks.brand_preview",
}


def _view_module(callback) -> str:
    return (getattr(callback, "view_class", None) or callback).__module__


def broker_views() -> list[tuple[str, object]]:
    """(route, view) of every URL pattern under /broker/, recursively."""
    found = []

    def walk(resolver, prefix: str):
        for entry in resolver.url_patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, text)
            elif isinstance(entry, URLPattern) and text.startswith(BROKER_PREFIX):
                found.append((text, entry.callback))

    walk(get_resolver(TENANT_URLCONF), "")
    return found


def project_views() -> list[tuple[str, object]]:
    return [
        (route, view)
        for route, view in broker_views()
        if route not in WAGTAIL_OWN_ROUTES
        and not (_view_module(view) + ".").startswith(WAGTAIL_OWN_MODULES)
    ]


def _read_view_itself(view):
    """The `read_view` wrapper inside the layers Wagtail puts around an admin view (each layer
    copies the attributes of the one it wraps)."""
    while getattr(getattr(view, "__wrapped__", None), "reads_only", False):
        view = view.__wrapped__
    return view


def _qualified(view) -> str:
    return f"{_view_module(view)}.{view.__name__}"


def test_every_broker_portal_post_goes_through_an_action():
    # given
    views = project_views()
    # when
    missing = sorted(
        f"{route} ({_qualified(view)})"
        for route, view in views
        if not getattr(view, "action_classes", None)
        and not getattr(view, "reads_only", False)
        and _qualified(view) not in POSTS_WITHOUT_WRITES
    )
    not_actions = sorted(
        f"{route}: {cls!r}"
        for route, view in views
        for cls in getattr(view, "action_classes", ())
        if not (isinstance(cls, type) and issubclass(cls, Action))
    )
    # then
    assert len(views) > 40  # the walk reached every app's Broker Portal screens
    assert missing == [], (
        "Broker Portal views that accept POST without declaring their Actions "
        "(@action_view(...)) or reading only (@read_view):\n" + "\n".join(missing)
    )
    assert not_actions == []


def test_every_declared_action_implements_its_verb():
    # given
    classes = {cls for _, view in project_views() for cls in getattr(view, "action_classes", ())}
    # when
    abstract = sorted(cls.__name__ for cls in classes if cls.perform is Action.perform)
    # then
    assert len(classes) > 25
    assert abstract == []


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_read_view_refuses_every_method_but_get_and_head(method):
    # given
    reads = [view for _, view in project_views() if getattr(view, "reads_only", False)]
    request = getattr(RequestFactory(), method)("/broker/")
    # when
    codes = {_qualified(view): _read_view_itself(view)(request).status_code for view in reads}
    # then
    assert len(reads) > 20
    assert set(codes.values()) == {405}, codes


def test_the_check_walks_past_wagtails_own_views_only():
    # given
    everything = broker_views()
    # when
    left_out = [route for route, _ in everything if (route, _) not in project_views()]
    # then: Wagtail's own admin is large, and none of the project's apps is in it
    assert len(left_out) > 150
    assert not any(
        _view_module(view).split(".")[0]
        in {"allocations", "branding", "clientportal", "compliance", "onboarding"}
        for route, view in everything
        if route in left_out
    )


def test_refusals_are_validation_errors_or_permission_denied():
    # Screens catch exactly these from Action.execute (compliance.actions.REFUSALS).
    from compliance.actions import REFUSALS

    assert set(REFUSALS) == {ValidationError, PermissionDenied}
