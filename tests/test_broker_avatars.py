"""Staff avatars in the Broker Portal are the person's initials, drawn in the page: Wagtail's
avatar tag never names gravatar.com (which would receive a hash of the staff e-mail)."""

from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from wagtail.admin.templatetags.wagtailadmin_tags import avatar_url

from brokerportal.wagtail_hooks import initials_for


def test_avatars_are_initials_and_never_gravatar(tenant_a):
    with tenant_context(tenant_a):
        users = get_user_model().objects
        named = users.create_user(
            username="avatar-named",
            email="dana.reyes@example.com",
            first_name="Dana",
            last_name="Reyes",
            is_staff=True,
        )
        unnamed = users.create_user(username="avatar-plain", email="zoe@example.com")
        # when Wagtail asks for their avatars (the sidebar and the dashboard do, at 25-80 px)
        named_urls = {avatar_url(named, size) for size in (25, 50, 80)}
        plain = avatar_url(unnamed, 50)
        system = avatar_url(None, 50)
    # then each is an SVG in the page with the person's initials, white on a dark fill
    assert len(named_urls) == 1
    (url,) = named_urls
    assert url.startswith("data:image/svg+xml,")
    assert ">DR</text>" in unquote(url) and 'fill="#fff"' in unquote(url)
    assert ">Z</text>" in unquote(plain)
    assert (initials_for(named), initials_for(unnamed)) == ("DR", "Z")
    # and nothing names gravatar.com; an action without a person gets Wagtail's own picture
    assert not [u for u in (url, plain, system) if "gravatar" in u]
    assert system.startswith("/static/wagtailadmin/images/default-user-avatar.png")
