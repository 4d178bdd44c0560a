"""Broker Portal screens: preview, book, reverse, download; viewers and other tenants."""

import io
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from allocations.fixml import fixml_validate
from allocations.models import Allocation, AllocationGroup
from allocations.tests.factories import (
    block_make,
    grant,
    group_make,
    master_with_subs,
    user_make,
)
from ledger.models import JournalEntry, Position
from tests.support.tenants import login, tenant_client

SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"
pytestmark = pytest.mark.django_db


def _staff(tenant, accounts, perms):
    user = user_make(tenant)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if accounts:
        grant(user, tenant, accounts, perms=perms)
    return user


@pytest.fixture
def portal(tenant_a):
    with tenant_context(tenant_a):
        master, subs = master_with_subs(tenant_a, 3)
        advisor = _staff(tenant_a, [master], ("trade",))
        viewer = _staff(tenant_a, [master], ("view",))
        group = group_make(advisor, tenant_a, master, subs, method="ratios", values=[4, 2, 1])
        block = block_make(advisor, tenant_a, master, group, fills=[("700", "10", "7.00")])
    connection.set_schema_to_public()
    return tenant_a, advisor, viewer, master, subs, group, block


def test_advisor_previews_books_downloads_and_reverses(portal):
    tenant, advisor, viewer, master, subs, group, block = portal
    client = login(tenant_client(tenant), advisor, tenant)
    # the block is listed as awaiting allocation
    listing = client.get(reverse("allocations_blocks"))
    assert listing.status_code == 200 and block.reference in listing.content.decode()
    # preview
    response = client.post(
        reverse("allocations_block_preview", args=[block.pk]), {"group": group.pk}
    )
    with tenant_context(tenant):
        allocation = Allocation.objects.get(block=block)
    assert response["Location"] == reverse("allocations_allocation", args=[allocation.pk])
    page = client.get(response["Location"]).content.decode()
    assert "exact share 400; rounded down 400 → 400" in page
    # book
    client.post(reverse("allocations_book", args=[allocation.pk]))
    with tenant_context(tenant):
        allocation.refresh_from_db()
    assert allocation.state == Allocation.State.BOOKED
    positions = Position.objects.filter(account__in=subs).order_by("account__number")
    assert [p.quantity for p in positions] == [D(400), D(200), D(100)]
    # download
    download = client.get(reverse("allocations_fixml", args=[allocation.pk]))
    data = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/xml"
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    assert f'ID="{allocation.reference}"'.encode() in data
    # reverse
    client.post(reverse("allocations_reverse", args=[allocation.pk]))
    with tenant_context(tenant):
        allocation.refresh_from_db()
    assert allocation.state == Allocation.State.REVERSED
    day = b"".join(client.get(reverse("allocations_day_fixml")).streaming_content)
    assert fixml_validate(io.BytesIO(day), schema_dir=SCHEMA_DIR) == []
    assert b'TransTyp="2"' in day


def test_viewer_sees_the_preview_but_cannot_book(portal):
    tenant, advisor, viewer, master, subs, group, block = portal
    advisor_client = login(tenant_client(tenant), advisor, tenant)
    advisor_client.post(reverse("allocations_block_preview", args=[block.pk]), {"group": group.pk})
    with tenant_context(tenant):
        allocation = Allocation.objects.get(block=block)
    entries = JournalEntry.objects.count()
    client = login(tenant_client(tenant), viewer, tenant)
    # when
    assert client.get(reverse("allocations_allocation", args=[allocation.pk])).status_code == 200
    response = client.post(reverse("allocations_book", args=[allocation.pk]), follow=True)
    # then the refusal is shown and nothing was booked
    assert response.status_code == 200
    assert f"You may not trade in {master.number}" in response.content.decode()
    with tenant_context(tenant):
        allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PREVIEWED
    assert JournalEntry.objects.count() == entries


def test_another_tenants_staff_get_404(portal, tenant_b):
    tenant, advisor, viewer, master, subs, group, block = portal
    with tenant_context(tenant_b):
        stranger = _staff(tenant_b, [], ())
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_b), stranger, tenant_b)
    for name, pk in (
        ("allocations_block", block.pk),
        ("allocations_group", group.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404


def test_group_created_from_the_form(portal):
    tenant, advisor, viewer, master, subs, group, block = portal
    client = login(tenant_client(tenant), advisor, tenant)
    members = "\n".join(
        f"{sub.number}, {n}, {value}"
        for n, (sub, value) in enumerate(zip(subs, ("50", "30", "20"), strict=True), start=1)
    )
    response = client.post(
        reverse("allocations_group_new"),
        {
            "name": "Model 50/30/20",
            "master": master.pk,
            "method": "percentages",
            "step": "1",
            "members": members,
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant):
        created = AllocationGroup.objects.get(name="Model 50/30/20")
        assert list(
            created.members.order_by("priority").values_list("account_id", "priority", "value")
        ) == [(subs[0].pk, 1, D(50)), (subs[1].pk, 2, D(30)), (subs[2].pk, 3, D(20))]


def test_preview_shows_who_cannot_pay_and_booking_refuses_before_the_ledger(tenant_a):
    """Cash accounts pay from withdrawable cash (the ledger's own rule): the preview marks the
    unfunded account and booking is refused naming it, with nothing booked."""
    from ledger.services import cash_deposit

    # given two cash sub-accounts, one with 1,000 USD and one with 10 USD, and a block of
    # 20 @ 40 (commission 2.00) split equally: 400 + 1.00 each
    with tenant_context(tenant_a):
        master, subs = master_with_subs(tenant_a, 2, margin_type="cash")
        for sub, amount in zip(subs, ("1000", "10"), strict=True):
            cash_deposit(
                account=sub,
                amount=D(amount),
                currency="USD",
                idempotency_key=f"fund-{sub.pk}",
            )
        advisor = _staff(tenant_a, [master], ("trade",))
        group = group_make(advisor, tenant_a, master, subs, method="equal")
        block = block_make(advisor, tenant_a, master, group, fills=[("20", "40", "2.00")])
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), advisor, tenant_a)
    entries = JournalEntry.objects.count()
    # when previewed
    response = client.post(reverse("allocations_block_preview", args=[block.pk]))
    page = client.get(response["Location"]).content.decode()
    # then each line says whether the account can pay, and there is no Book button
    funded, short = subs
    assert f'data-account="{funded.number}"' in page
    assert "Yes: cash 1,000.00 → 599.00 USD" in page
    assert "<strong>Refused</strong>: cash 10.00 → -391.00 USD" in page
    assert "1 account cannot pay" in page
    assert ">Book</button>" not in page
    # and booking anyway is refused with the account named; nothing reached the ledger
    with tenant_context(tenant_a):
        allocation = Allocation.objects.get(block=block)
    refused = client.post(reverse("allocations_book", args=[allocation.pk]), follow=True)
    text = refused.content.decode()
    assert f"{short.number} has 10.00 USD of withdrawable cash and needs 401.00 USD" in text
    with tenant_context(tenant_a):
        allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PREVIEWED
    assert JournalEntry.objects.count() == entries
    assert not Position.objects.filter(account__in=subs, instrument=block.instrument).exists()
