"""The audit chain: appends through `audit_records_append` (records checked as `audit_record`
checks them, one INSERT of many rows per batch, each row chained by the database's trigger under
the chain's lock, one transaction per batch of `BATCH` as a bulk import or a statement run
writes them), appends through `audit_record` one transaction per record (a screen's action: the
rate is that of commits), appends by one SQL statement of many rows (the trigger's own rate),
and `audit_verify`'s walk of a chain of a million records."""

import datetime as dt
import hashlib
import json
import time

FIGURES = (
    "audit_append_per_s",
    "audit_append_single_per_s",
    "audit_append_sql_per_s",
    "audit_verify_1m_s",
)
SQL_APPENDS = 20_000
APPENDS = 20_000
BATCH = 500
SINGLE_APPENDS = 2_000
CHAIN = 1_000_000


def _chain_bulk_append(count: int) -> None:
    """`count` more records chained here and written by COPY with the chain trigger off (the
    trigger's one-row-at-a-time path would take minutes for a million): the canonical text of
    these plain values is what PostgreSQL prints for them, and the walk checks every hash."""
    from django.db import connection

    table = "compliance_auditrecord"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, record_hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        seq, previous = cursor.fetchone()
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
            "FROM generate_series(1, %s)",
            [count],
        )
        ids = [row[0] for row in cursor.fetchall()]
        created = dt.datetime.now(dt.UTC).replace(microsecond=0)
        micros = int(created.timestamp()) * 1_000_000
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_chain")
        columns = (
            "id, created_at, actor_username, action, target, details, ip, seq, prev_hash, "
            "record_hash"
        )
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for n, pk in enumerate(ids, start=1):
                seq += 1
                details = {"n": n}
                canonical = json.dumps(
                    [
                        seq,
                        pk,
                        micros,
                        None,
                        "bench",
                        "bench.bulk",
                        f"row:{n}",
                        details,
                        "10.0.0.2",
                        previous,
                    ],
                    separators=(", ", ": "),
                )
                digest = hashlib.sha256(canonical.encode()).hexdigest()
                copy.write_row(
                    (
                        pk,
                        created,
                        "bench",
                        "bench.bulk",
                        f"row:{n}",
                        json.dumps(details),
                        "10.0.0.2",
                        seq,
                        previous,
                        digest,
                    )
                )
                previous = digest
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain")
        cursor.execute(f"ANALYZE {table}")


def run() -> dict[str, float]:
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from compliance.chain import Chain, chain_verify
    from compliance.services import AuditEntry, audit_record, audit_records_append
    from tenants.services import tenant_provision

    tenant = tenant_provision(
        name="Bench Audit",
        schema_name="bench_audit",
        domain="bench-audit.test",
        security_officer_email="so@bench-audit.test",
    )
    with tenant_context(tenant):
        started = time.perf_counter()
        for start in range(0, APPENDS, BATCH):
            audit_records_append(
                entries=[
                    AuditEntry(
                        action="bench.append",
                        target=f"account:{i}",
                        details={"amount": "100.00", "n": i},
                        ip="10.0.0.1",
                    )
                    for i in range(start, start + BATCH)
                ]
            )
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(SINGLE_APPENDS):
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action="bench.append_one",
                    target=f"account:{i}",
                    details={"amount": "100.00", "n": i},
                    ip="10.0.0.1",
                )
        single_s = time.perf_counter() - started
        # The chain trigger alone: one INSERT of many rows, each chained under the lock.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO compliance_auditrecord (created_at, actor_username, action, target, "
                "details, ip) SELECT now(), 'bench', 'bench.sql', 'row:' || n, "
                "jsonb_build_object('n', n), '10.0.0.3' FROM generate_series(1, %s) AS n",
                [SQL_APPENDS],
            )
        sql_s = time.perf_counter() - started
        _chain_bulk_append(CHAIN - APPENDS - SINGLE_APPENDS - SQL_APPENDS)
        started = time.perf_counter()
        report = chain_verify(Chain("bench_audit"))
        verify_s = time.perf_counter() - started
        assert report.intact and report.records == CHAIN, report.problems[:3]
    connection.set_schema_to_public()
    return {
        "audit_append_per_s": round(APPENDS / append_s),
        "audit_append_single_per_s": round(SINGLE_APPENDS / single_s),
        "audit_append_sql_per_s": round(SQL_APPENDS / sql_s),
        "audit_verify_1m_s": round(verify_s, 2),
    }
