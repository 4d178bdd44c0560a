"""Two people booking the same block at the same moment, on two real database connections."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from allocations.models import Allocation, AllocationGroup, Block, BlockFill
from allocations.services import AllocationRefused, allocation_book, allocation_preview
from allocations.tests.factories import block_make, grant, group_make, master_with_subs, user_make
from ledger.models import JournalEntry, Position
from tenants.models import Tenant
from tests.support.ledger import margin_records_purge


def _purge(tenant, *, user, master, subs, group, block):
    """Remove what the test committed. Journal rows are immutable except for this purge switch
    meant for test clean-up; audit records stay (append-only by design)."""
    with tenant_context(tenant):
        BlockFill.objects.filter(block=block).delete()
        Allocation.objects.filter(block=block).delete()
        Block.objects.filter(pk=block.pk).delete()
        AllocationGroup.objects.filter(pk=group.pk).delete()
        user.delete()
    connection.set_schema_to_public()
    account_ids = [s.pk for s in subs] + [master.pk]
    # Raw SQL in the public schema: the ORM's delete collector would follow the foreign keys
    # of tenant tables, which do not exist there.
    with connection.cursor() as cursor:
        cursor.execute("SET ledger.allow_purge = 'on'")
        try:
            cursor.execute(
                "SELECT DISTINCT entry_id FROM ledger_posting WHERE account_id = ANY(%s)",
                [account_ids],
            )
            entry_ids = [row[0] for row in cursor.fetchall()]
            for table in ("taxlot", "realizedgain", "position", "cashbalance", "navsnapshot"):
                cursor.execute(
                    f"DELETE FROM ledger_{table} WHERE account_id = ANY(%s)", [account_ids]
                )
            cursor.execute("DELETE FROM ledger_posting WHERE entry_id = ANY(%s)", [entry_ids])
            cursor.execute(
                "DELETE FROM ledger_journalentry WHERE reverses_id IS NOT NULL AND id = ANY(%s)",
                [entry_ids],
            )
            cursor.execute("DELETE FROM ledger_journalentry WHERE id = ANY(%s)", [entry_ids])
            cursor.execute("SELECT id FROM ledger_account WHERE parent_id = %s", [master.pk])
            margin_records_purge(cursor, [master.pk, *(row[0] for row in cursor.fetchall())])
            cursor.execute("DELETE FROM ledger_account WHERE parent_id = %s", [master.pk])
            cursor.execute("DELETE FROM ledger_account WHERE id = %s", [master.pk])
            cursor.execute("DELETE FROM ledger_instrument WHERE id = %s", [block.instrument_id])
        finally:
            cursor.execute("RESET ledger.allow_purge")


@pytest.mark.parametrize("same_preview", [True, False], ids=["one-preview", "two-previews"])
def test_concurrent_double_booking_books_exactly_once(committed_db, same_preview):
    # given a block with one preview (or two, the second replacing the first), committed
    tenant = Tenant.objects.get(schema_name="tenant_a")
    with tenant_context(tenant):
        advisor = user_make(tenant)
        master, subs = master_with_subs(tenant, 3)
        grant(advisor, tenant, [master])
        group = group_make(advisor, tenant, master, subs, method="equal")
        block = block_make(advisor, tenant, master, group, fills=[("100", "25", "1.00")])
        first = allocation_preview(user=advisor, tenant=tenant, block=block)
        second = (
            first if same_preview else allocation_preview(user=advisor, tenant=tenant, block=block)
        )
    connection.set_schema_to_public()
    entries_before = JournalEntry.objects.count()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(allocation):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                allocation_book(user=advisor, tenant=tenant, allocation=allocation)
            outcomes.append("booked")
        except AllocationRefused as refused:
            outcomes.append(f"refused: {refused.messages[0]}")
        finally:
            connection.close()

    try:
        # when both book at once, each on its own connection
        threads = [threading.Thread(target=attempt, args=(a,)) for a in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        # then exactly one booking happened and the other was told why
        assert sorted(outcomes)[0] == "booked"
        assert len(outcomes) == 2 and outcomes.count("booked") == 1
        refusal = next(o for o in outcomes if o.startswith("refused"))
        if same_preview:
            assert f"already booked by {advisor.username}" in refusal
        else:  # the second preview replaced the first
            assert f"{first.reference} was replaced by a newer preview" in refusal
        assert JournalEntry.objects.count() == entries_before + 1
        positions = Position.objects.filter(account__in=subs, instrument=block.instrument)
        assert sorted(p.quantity for p in positions) == [33, 33, 34]
        with tenant_context(tenant):
            assert Allocation.objects.filter(block=block, state="booked").count() == 1
    finally:
        _purge(tenant, user=advisor, master=master, subs=subs, group=group, block=block)


def test_booking_locks_the_block_before_reading_the_allocation(in_tenant_a):
    # given a previewed allocation
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 2)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="equal")
    block = block_make(advisor, tenant, master, group, fills=[("10", "5", "0")])
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    # when it is booked
    with CaptureQueriesContext(connection) as queries:
        allocation_book(user=advisor, tenant=tenant, allocation=allocation)
    # then the first statement locks the block row, the second the allocation row
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert '"allocations_block"' in locks[0].split("WHERE")[0]
    assert '"allocations_allocation"' in locks[1].split("WHERE")[0]
