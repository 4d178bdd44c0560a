"""Applications over the API: the reviewers' queue and verbs (the screens' Actions), an event
for each change of state, 404 for anyone else."""

import pytest
from django_tenants.utils import tenant_context

from events.models import Event
from onboarding.models import Application
from tests.support.factories import user_make

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db


def test_a_reviewer_starts_the_review_and_a_viewer_gets_404(tenant_a):
    # given a submitted application, an Onboarding Officer's key and a Viewer's
    with tenant_context(tenant_a):
        application = Application.objects.create(
            first_name="Ada", last_name="Lovelace", email="ada@example.com", state="submitted"
        )
    officer = user_make(tenant=tenant_a, username="api-onboarding", roles=["Onboarding Officer"])
    viewer = user_make(tenant=tenant_a, username="api-viewer", roles=["Viewer"])
    reviewer = key_client(tenant_a, key_for(tenant_a, officer, scopes=("read", "admin")))
    onlooker = key_client(tenant_a, key_for(tenant_a, viewer, scopes=("read", "admin")))
    path = f"/api/v1/applications/{application.pk}/"
    # when
    queue = reviewer.get("/api/v1/applications/?state=submitted").json()["results"]
    started = reviewer.post(path + "act/", {"action": "review"}, content_type="application/json")
    again = reviewer.post(path + "act/", {"action": "review"}, content_type="application/json")
    refused = onlooker.post(
        path + "act/", {"action": "reject", "reason": "x"}, content_type="application/json"
    )
    # then
    assert [a["id"] for a in queue] == [application.pk]
    assert started.status_code == 200 and started.json()["state"] == "in_review"
    assert again.status_code == 409  # not a move from in_review
    assert refused.status_code == 404 and onlooker.get(path).status_code == 404
    with tenant_context(tenant_a):
        assert Application.objects.get(pk=application.pk).state == "in_review"
        event = Event.objects.get(kind="application.state_changed")
        assert (event.data["from"], event.data["to"]) == ("submitted", "in_review")
