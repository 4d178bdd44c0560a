"""The allocations API: preview and book with the same rules as the screens."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from allocations.models import Allocation
from allocations.tests.factories import block_make, grant, group_make, master_with_subs, user_make
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db


def test_preview_book_and_refused_second_booking_over_the_api(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        advisor = user_make(tenant_a)
        master, subs = master_with_subs(tenant_a, 2)
        grant(advisor, tenant_a, [master])
        group = group_make(advisor, tenant_a, master, subs, method="ratios", values=[3, 1])
        block = block_make(advisor, tenant_a, master, group, fills=[("400", "5", "0")])
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), advisor, tenant_a)
    # the block awaits allocation
    listed = client.get("/api/v1/allocations/blocks/").json()["results"]
    assert [b["reference"] for b in listed] == [block.reference]
    # preview
    preview = client.post(f"/api/v1/allocations/blocks/{block.pk}/preview/", {"group": group.pk})
    assert preview.status_code == 201
    body = preview.json()
    assert [(line["account"], D(line["quantity"])) for line in body["lines"]] == [
        (subs[0].number, D(300)),
        (subs[1].number, D(100)),
    ]
    # book, then book again
    booked = client.post(f"/api/v1/allocations/{body['id']}/book/")
    assert booked.status_code == 200 and booked.json()["state"] == "booked"
    again = client.post(f"/api/v1/allocations/{body['id']}/book/")
    assert again.status_code == 409
    assert f"already booked by {advisor.username}" in again.json()["detail"]
    with tenant_context(tenant_a):
        assert Allocation.objects.filter(block=block, state="booked").count() == 1
    # another tenant's user gets 404
    with tenant_context(tenant_b):
        stranger = user_make(tenant_b)
    connection.set_schema_to_public()
    other = login(tenant_client(tenant_b), stranger, tenant_b)
    assert other.get(f"/api/v1/allocations/{body['id']}/").status_code == 404
