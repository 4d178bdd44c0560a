"""The audit chain: every edit, deletion or reordering of a record by raw SQL as the table's owner
(who can switch the append-only trigger off) is found by `audit_verify`, naming the record; two
writers on two real connections never fork a chain; daily anchors catch a consistent rewrite."""

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from compliance.chain import Chain, anchors_for, chain_verify
from compliance.chain_sql import GENESIS
from compliance.models import AuditRecord
from compliance.platform_audit.models import PlatformAuditRecord
from compliance.services import AuditEntry, audit_record, audit_records_append
from compliance.services.anchors import audit_anchors_record
from ledger.services import cash_deposit
from ledger.tests.factories import account_make
from tenants.models import Tenant

TABLE = "compliance_auditrecord"


def _records(count: int) -> list[AuditRecord]:
    return [
        audit_record(actor=None, action="test.chain", target=f"t{i}", details={"n": i})
        for i in range(count)
    ]


def _as_owner(sql: str, params=()) -> None:
    """Raw SQL with the append-only trigger off, as only the table's owner can do."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")


def _verify(schema: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 audit chain"):
        call_command("audit_verify", tenant=schema, stdout=out)
    return out.getvalue()


def test_records_are_chained_by_the_database(in_tenant_a):
    # when
    first, second = _records(2)
    # then: the values the trigger set came back with the insert
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.record_hash
    assert len(first.record_hash) == 64 and first.record_hash != second.record_hash
    stored = AuditRecord.objects.get(pk=second.pk)
    assert (stored.seq, stored.record_hash) == (second.seq, second.record_hash)
    report = chain_verify(Chain("tenant_a"))
    assert report.intact and report.head_seq == second.seq


def test_an_intact_chain_verifies(in_tenant_a):
    _records(3)
    out = io.StringIO()
    call_command("audit_verify", tenant="tenant_a", stdout=out)
    assert out.getvalue().startswith("tenant_a: intact (")


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE {t} SET details = '{{\"n\": 99}}' WHERE id = %s",
        "UPDATE {t} SET action = 'test.other' WHERE id = %s",
        "UPDATE {t} SET actor_username = 'someone' WHERE id = %s",
        "UPDATE {t} SET created_at = created_at - interval '1 second' WHERE id = %s",
        "UPDATE {t} SET ip = '10.1.1.1' WHERE id = %s",
    ],
    ids=["details", "action", "actor", "time", "ip"],
)
def test_an_edited_record_is_named(in_tenant_a, change):
    # given
    records = _records(5)
    victim = records[2]
    # when
    _as_owner(change.format(t=TABLE), [victim.pk])
    # then
    out = _verify("tenant_a")
    assert f"first: record {victim.pk} (seq {victim.seq}): content or place changed" in out


def test_an_edited_record_with_its_hash_recomputed_breaks_the_next_link(in_tenant_a):
    # given
    records = _records(4)
    victim, after = records[1], records[2]
    # when: the content changed and its own hash made to fit
    _as_owner(
        f"UPDATE {TABLE} SET target = 'forged', record_hash = public.compliance_audit_hash("
        "seq, id, created_at, actor_id, actor_username, action, 'forged', details, ip, "
        "prev_hash) WHERE id = %s",
        [victim.pk],
    )
    # then
    out = _verify("tenant_a")
    assert f"first: record {after.pk} (seq {after.seq}): link does not match" in out


def test_a_deleted_record_is_a_gap_named_by_the_record_after_it(in_tenant_a):
    # given
    records = _records(5)
    # when
    _as_owner(f"DELETE FROM {TABLE} WHERE id = %s", [records[2].pk])
    # then
    out = _verify("tenant_a")
    gap = f"seq {records[2].seq} missing before record {records[3].pk} (seq {records[3].seq})"
    assert f"first: {gap}" in out
    assert f"gap: {gap}" in out


def test_reordered_records_are_named(in_tenant_a):
    # given
    records = _records(5)
    a, b = records[1], records[3]
    # when: the two swap places
    _as_owner(
        f"UPDATE {TABLE} SET seq = -1 WHERE id = %s; UPDATE {TABLE} SET seq = %s WHERE id = %s; "
        f"UPDATE {TABLE} SET seq = %s WHERE id = %s",
        [a.pk, a.seq, b.pk, b.seq, a.pk],
    )
    # then: the first of them in chain order is named
    out = _verify("tenant_a")
    assert f"first: record {b.pk} (seq {a.seq}): content or place changed" in out


def test_swapped_ids_are_named(in_tenant_a):
    records = _records(3)
    a, b = records[0], records[1]
    _as_owner(
        f"UPDATE {TABLE} SET id = -1 WHERE id = %s; UPDATE {TABLE} SET id = %s WHERE id = %s; "
        f"UPDATE {TABLE} SET id = %s WHERE id = -1",
        [a.pk, a.pk, b.pk, b.pk],
    )
    out = _verify("tenant_a")
    assert f"first: record {b.pk} (seq {a.seq}): content or place changed" in out


def test_a_consistent_rewrite_disagrees_with_the_daily_anchor(in_tenant_a):
    # given: yesterday's records anchored
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now - dt.timedelta(days=1), tick=False):
        records = _records(3)
    chain = Chain("tenant_a")
    assert audit_anchors_record(chain=chain, through=(now - dt.timedelta(days=1)).date()) >= 1
    # when: somebody edits the last of them and recomputes its hash (a rewrite of the tail)
    last = records[-1]
    _as_owner(
        f"UPDATE {TABLE} SET target = 'forged', record_hash = public.compliance_audit_hash("
        "seq, id, created_at, actor_id, actor_username, action, 'forged', details, ip, "
        "prev_hash) WHERE id = %s",
        [last.pk],
    )
    # then: the walk alone finds nothing, the anchor does
    report = chain_verify(chain)
    assert [p.kind for p in report.problems] == ["anchor"]
    assert report.problems[0].record_id == last.pk
    assert "disagrees" in _verify("tenant_a")


def test_anchors_are_written_once_per_day(in_tenant_a):
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now - dt.timedelta(days=2), tick=False):
        _records(2)
    with time_machine.travel(now - dt.timedelta(days=1), tick=False):
        last = _records(2)[-1]
    chain = Chain("tenant_a")
    through = (now - dt.timedelta(days=1)).date()
    written = audit_anchors_record(chain=chain, through=through)
    assert written >= 2
    assert audit_anchors_record(chain=chain, through=through) == 0
    report = chain_verify(chain)
    assert report.intact and report.anchors >= 2
    anchors = anchors_for(chain, start=through, end=through)
    assert [(a.seq, a.head_hash) for a in anchors] == [(last.seq, last.record_hash)]


def test_the_public_chain_records_journal_writes_and_operator_actions(db):
    # given
    tenant = Tenant.objects.get(schema_name="tenant_a")
    account = account_make(tenant)
    before = PlatformAuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    # when: a deposit is booked and the operator adds something in the admin
    cash_deposit(account=account, amount=Decimal(100), currency="USD", idempotency_key="pa-1")
    operator = get_user_model().objects.create_user(username="op-chain", is_staff=True)
    LogEntry.objects.log_actions(
        user_id=operator.pk,
        queryset=[tenant],
        action_flag=ADDITION,
        change_message="provisioned",
        single_object=True,
    )
    # then
    added = list(PlatformAuditRecord.objects.filter(seq__gt=before or 0).order_by("seq"))
    assert [r.action for r in added] == ["ledger.journal_post", "operator.add"]
    journal, admin = added
    assert journal.details["entries"] == 1 and len(journal.details["sha256"]) == 64
    assert (admin.actor_id, admin.actor_username) == (operator.pk, "op-chain")
    assert admin.prev_hash == journal.record_hash
    assert chain_verify(Chain("public")).intact


def _append_one_at_a_time(index: int, per_writer: int) -> list[int]:
    created = []
    for i in range(per_writer):
        with transaction.atomic():
            record = audit_record(actor=None, action="test.race", target=f"w{index}-{i}")
            created.append(record.pk)
    return created


def _append_in_batches(index: int, per_writer: int) -> list[int]:
    created = []
    for start in range(0, per_writer, 8):
        entries = [
            AuditEntry(action="test.race", target=f"w{index}-{i}", details={"i": i})
            for i in range(start, min(start + 8, per_writer))
        ]
        created += [record.id for record in audit_records_append(entries=entries)]
    return created


@pytest.mark.parametrize(
    "append", [_append_one_at_a_time, _append_in_batches], ids=["one-by-one", "batches"]
)
def test_two_concurrent_writers_never_fork(django_db_setup, committed_db, append):
    # given: two threads, each with its own database connection, appending at once
    tenant = Tenant.objects.get(schema_name="tenant_a")
    per_writer = 40
    barrier = threading.Barrier(2)
    created: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                created[index] = append(index, per_writer)
        except BaseException as failure:  # noqa: BLE001 (reported below)
            errors.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # then: one line, each record linking the one before it
        assert not errors
        with tenant_context(tenant):
            ours = list(
                AuditRecord.objects.filter(pk__in=created[0] + created[1])
                .order_by("seq")
                .values_list("seq", "prev_hash", "record_hash")
            )
            assert len(ours) == 2 * per_writer
            seqs = [seq for seq, _, _ in ours]
            assert seqs == list(range(seqs[0], seqs[0] + 2 * per_writer))
            assert all(b[1] == a[2] for a, b in zip(ours, ours[1:], strict=False))
            assert len({prev for _, prev, _ in ours}) == len(ours)
            report = chain_verify(Chain("tenant_a"))
            assert report.intact, report.problems
    finally:
        with tenant_context(tenant), transaction.atomic():
            _as_owner(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [created[0] + created[1]])
        connection.set_schema_to_public()


def test_audit_verify_names_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("audit_verify", tenant="nobody")


def test_genesis_is_64_zeros(in_tenant_a):
    first = AuditRecord.objects.order_by("seq").first() or _records(1)[0]
    assert first.seq == 1 and first.prev_hash == GENESIS


def test_a_batch_is_chained_in_the_order_given(in_tenant_a):
    # given
    before = _records(1)[0]
    entries = [
        AuditEntry(action="test.batch", target=f"b{i}", details={"i": i, "é": [1.5, None]})
        for i in range(5)
    ]
    # when
    records = audit_records_append(entries=entries)
    # then: seq and hashes came back with the INSERT, one after the other after the head
    assert [r.seq for r in records] == list(range(before.seq + 1, before.seq + 6))
    links = [before.record_hash] + [r.record_hash for r in records[:-1]]
    assert [r.prev_hash for r in records] == links
    stored = list(AuditRecord.objects.filter(action="test.batch").order_by("seq"))
    assert [(r.pk, r.seq, r.record_hash) for r in stored] == [
        (r.id, r.seq, r.record_hash) for r in records
    ]
    assert [(r.target, r.details) for r in stored] == [
        (f"b{i}", {"i": i, "é": [1.5, None]}) for i in range(5)
    ]
    assert chain_verify(Chain("tenant_a")).intact


@pytest.mark.parametrize(
    "entry",
    [
        {"action": ""},
        {"action": "x" * 65},
        {"action": "test.ok", "ip": "not-an-address"},
        {"action": "test.ok", "details": {"when": dt.date(2026, 1, 1)}},
        {"action": "test.ok", "details": {"n": float("nan")}},
    ],
    ids=["blank-action", "long-action", "bad-ip", "not-json", "nan"],
)
def test_a_batch_refuses_what_one_record_refuses_and_writes_none(in_tenant_a, entry):
    from django.core.exceptions import ValidationError
    from django.db import DataError

    # given
    count = AuditRecord.objects.count()
    # when / then: one record alone is refused, and a batch holding it writes nothing
    with pytest.raises((ValidationError, DataError)):
        with transaction.atomic():
            audit_record(actor=None, **entry)
    with pytest.raises(ValidationError):
        audit_records_append(entries=[AuditEntry(action="test.ok"), AuditEntry(**entry)])
    assert AuditRecord.objects.count() == count


def test_a_rolled_back_savepoint_leaves_no_stale_head(in_tenant_a):
    # given: a record, then one in a savepoint that rolls back (its head was cached)
    first = _records(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.undone")
        raise RuntimeError
    # when
    after = audit_records_append(entries=[AuditEntry(action="test.after")])[0]
    # then: the next record links to the last one that exists
    assert (after.seq, after.prev_hash) == (first.seq + 1, first.record_hash)
    assert chain_verify(Chain("tenant_a")).intact


def test_a_walk_over_parallel_workers_names_the_record(in_tenant_a):
    # given: a chain and an edit, and a planner made to split the hashing over workers
    records = _records(6)
    victim = records[3]
    _as_owner(f"UPDATE {TABLE} SET target = 'forged' WHERE id = %s", [victim.pk])
    with connection.cursor() as cursor:
        for setting in (
            "parallel_setup_cost = 0",
            "parallel_tuple_cost = 0",
            "min_parallel_table_scan_size = 0",
            "max_parallel_workers_per_gather = 2",
        ):
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(
            "EXPLAIN SELECT count(*), min(seq) FROM compliance_auditrecord WHERE "
            "public.compliance_audit_hash(seq, id, created_at, actor_id, actor_username, "
            "action, target, details, ip, prev_hash) <> record_hash"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Parallel Seq Scan" in plan
    # the hash is inlined into the query, not called per record
    assert "compliance_audit_hash" not in plan and "sha256" in plan
    # when
    report = chain_verify(Chain("tenant_a"))
    # then
    assert [(p.kind, p.record_id) for p in report.problems] == [("content", victim.pk)]
