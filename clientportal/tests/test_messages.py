from django.urls import reverse
from django_tenants.utils import tenant_context

from clientportal.models import Message
from clientportal.selectors import unread_count_client, unread_count_staff
from tests.support.clientportal import client_user_make

from .conftest import portal_client, staff_make


def test_messages_between_client_and_staff_with_unread_counts(tenant_a):
    # given a client and a staff member
    with tenant_context(tenant_a):
        client_user = client_user_make(username="writer")
    staff = staff_make(tenant_a, "desk")
    client = portal_client(tenant_a, client_user)
    broker = portal_client(tenant_a, staff)
    # when the client writes
    response = client.post(
        reverse("clientportal:messages"), {"subject": "Wire question", "body": "When?"}
    )
    thread_url = response["Location"]
    with tenant_context(tenant_a):
        thread_id = Message.objects.get().thread_id
        # then staff see one unread message, the client none
        assert (unread_count_staff(), unread_count_client(user=client_user)) == (1, 0)
    listing = broker.get(reverse("clientportal_staff_messages")).content.decode()
    assert 'data-unread="1"' in listing
    assert "Client messages (1)" in broker.get("/broker/").content.decode()
    # when staff open the thread and reply
    broker.post(reverse("clientportal_staff_thread", args=[thread_id]), {"body": "Tomorrow."})
    with tenant_context(tenant_a):
        assert (unread_count_staff(), unread_count_client(user=client_user)) == (0, 1)
    dashboard = client.get(reverse("clientportal:home")).content.decode()
    assert 'aria-label="1 unread"' in dashboard
    # when the client reads it
    page = client.get(thread_url).content.decode()
    # then
    assert "Tomorrow." in page
    with tenant_context(tenant_a):
        assert unread_count_client(user=client_user) == 0


def test_a_client_cannot_open_another_clients_thread(tenant_a):
    with tenant_context(tenant_a):
        alice = client_user_make(username="alice-m")
        mallory = client_user_make(username="mallory-m")
    portal_client(tenant_a, alice).post(
        reverse("clientportal:messages"), {"subject": "Private", "body": "secret"}
    )
    with tenant_context(tenant_a):
        thread_id = Message.objects.get().thread_id
    response = portal_client(tenant_a, mallory).get(
        reverse("clientportal:message_thread", args=[thread_id])
    )
    assert response.status_code == 404


def test_clients_cannot_reach_the_staff_inbox(tenant_a):
    with tenant_context(tenant_a):
        client_user = client_user_make(username="nosy")
    response = portal_client(tenant_a, client_user).get(reverse("clientportal_staff_messages"))
    assert response.status_code in (302, 403)
