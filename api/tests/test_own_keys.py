"""Keys a user makes for themself on the security page (client portal and Broker Portal):
after re-authentication, shown once, stored as a digest, revoked by their user only."""

import re
import time

import pytest
from django_tenants.utils import tenant_context

from compliance.models import ApiKey, AuditRecord
from compliance.sessions import REAUTH_AT
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

from .conftest import key_client, key_for, with_device

pytestmark = pytest.mark.django_db


def _reauthenticated(client):
    client.get("/security/api-keys/")  # the session as the first request leaves it
    session = client.session
    session[REAUTH_AT] = time.time()
    session.save()
    return client


@pytest.mark.parametrize("who", ["client", "staff"])
def test_a_user_makes_a_key_for_themself_after_reauthentication(tenant_a, holder, who):
    # given a client with an account, or a staff member, each with a second factor
    user, account = holder
    if who == "staff":
        user = user_make(tenant=tenant_a, username="own-key-staff", roles=["Viewer"], totp=True)
    with tenant_context(tenant_a):
        with_device(user)
    page = login(tenant_client(tenant_a), user, tenant_a)
    form = {"name": "my script", "scopes": ["read"], "days": "30", "networks": ""}
    # when: without a fresh password, then with one
    unconfirmed = page.post("/security/api-keys/", form)
    made = _reauthenticated(page).post("/security/api-keys/", form)
    # then: the password page first; then the key shown once, on a page not cached
    assert unconfirmed.status_code == 302 and "/reauth/" in unconfirmed["Location"]
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    secret = re.search(r"<code data-secret>([^<]+)</code>", made.content.decode()).group(1)
    with tenant_context(tenant_a):
        key = ApiKey.objects.get(user=user)
        assert key.digest != secret and secret not in key.digest
        assert AuditRecord.objects.filter(action="api_key.create", actor_id=user.pk).count() == 1
    assert secret not in page.get("/security/api-keys/").content.decode()
    # the key reads as its user, and may not write
    api = key_client(tenant_a, secret)
    listed = [a["number"] for a in api.get("/api/v1/accounts/").json()["results"]]
    assert listed == ([account.number] if who == "client" else [])
    assert api.post("/api/v1/deposit-notices/", {}).status_code == 403


def test_only_its_user_revokes_a_key(tenant_a, holder):
    # given the client's key and another user of the tenant
    user, _ = holder
    secret = key_for(tenant_a, user)
    other = user_make(tenant=tenant_a, username="own-key-other", roles=["Viewer"], totp=True)
    with tenant_context(tenant_a):
        key = ApiKey.objects.get(user=user)
    # when the other user tries, then the client
    stranger = _reauthenticated(login(tenant_client(tenant_a), other, tenant_a))
    refused = stranger.post("/security/api-keys/revoke/", {"key": key.digest})
    still = key_client(tenant_a, secret).get("/api/v1/accounts/").status_code
    owner = _reauthenticated(login(tenant_client(tenant_a), user, tenant_a))
    revoked = owner.post("/security/api-keys/revoke/", {"key": key.digest})
    # then
    assert refused.status_code == 404 and still == 200
    assert revoked.status_code == 302
    assert key_client(tenant_a, secret).get("/api/v1/accounts/").status_code == 401
    with tenant_context(tenant_a):
        assert AuditRecord.objects.filter(action="api_key.revoke", actor_id=user.pk).count() == 1
