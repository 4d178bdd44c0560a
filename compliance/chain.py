"""Reads of the audit chains: which chains exist, their heads, their anchors, and the walk that
checks them (`manage.py audit_verify`, the Security Officer's audit screen, the records export).

A chain is verified in two SQL passes: every record's hash is recomputed by the same function the
database's chain trigger used when it was written (`compliance.chain_sql`) and compared with the
stored hash; then, in chain order, every record's `prev_hash` is compared with its predecessor's
hash and its `seq` with its predecessor's. Any change of a record's content, its place (seq, id,
time) or a deletion in the middle shows there; a rewrite of the whole chain from some record on
shows against the daily anchors, which hold the head of each past day apart from the chain.

The hashing pass needs no order, so PostgreSQL may split it over parallel workers (it is where
the time of a walk goes: a million records are a million SHA-256 of their canonical text); it
counts the changed records and finds the first, and only then are the first of them read in
order. The ordered pass hashes nothing and keeps two values of the record before in memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from compliance.chain_sql import GENESIS

PUBLIC = "public"
TENANT_TABLE = "compliance_auditrecord"
PUBLIC_TABLE = "platform_audit_platformauditrecord"
ANCHOR_TABLE = "public.platform_audit_auditanchor"
PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Chain:
    """One chain: the schema that holds it (`public` or a tenant's) and its table."""

    schema: str

    @property
    def table(self) -> str:
        return PUBLIC_TABLE if self.schema == PUBLIC else TENANT_TABLE

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.table}"'


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # content, link, gap, anchor
    record_id: int | None
    seq: int
    message: str


@dataclass
class ChainReport:
    chain: Chain
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    anchors: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> ChainProblem | None:
        return self.problems[0] if self.problems else None

    @property
    def gaps(self) -> list[ChainProblem]:
        return [p for p in self.problems if p.kind == "gap"]


def chain_for_tenant(tenant) -> Chain:
    return Chain(schema=tenant.schema_name)


def chains_all() -> list[Chain]:
    """The public chain, then every tenant's."""
    from tenants.selectors import tenant_schemas_all

    return [Chain(PUBLIC)] + [Chain(schema) for schema in tenant_schemas_all()]


def chain_head(chain: Chain) -> tuple[int, str, int]:
    """(head seq, head hash, number of records)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, record_hash FROM {chain.qualified} ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {chain.qualified}")  # noqa: S608
        count = cursor.fetchone()[0]
    return (row[0], row[1], count) if row else (0, GENESIS, count)


_HASH = (
    "public.compliance_audit_hash(seq, id, created_at, actor_id, actor_username, action, target, "
    "details, ip, prev_hash)"
)

# No ORDER BY and no LIMIT: either would make the planner walk the seq index one record at a
# time in one process; count() and min() are aggregated by each parallel worker.
_CHANGED = f"SELECT count(*), min(seq) FROM {{table}} WHERE {_HASH} <> record_hash"  # noqa: S608

_CHANGED_FIRST = (
    f"SELECT id, seq FROM {{table}} WHERE seq >= %(from_seq)s AND {_HASH} <> record_hash "  # noqa: S608
    "ORDER BY seq LIMIT %(limit)s"
)

_LINKS = """
SELECT id, seq, prev_hash <> coalesce(before_hash, %(genesis)s),
       seq <> coalesce(before_seq, 0) + 1, coalesce(before_seq, 0)
  FROM (SELECT id, seq, prev_hash, lag(seq) OVER w AS before_seq,
               lag(record_hash) OVER w AS before_hash
          FROM {table} WINDOW w AS (ORDER BY seq)) AS walked
 WHERE prev_hash <> coalesce(before_hash, %(genesis)s) OR seq <> coalesce(before_seq, 0) + 1
 ORDER BY seq
 LIMIT %(limit)s
"""

_ANCHORS = f"""
SELECT a.day, a.seq, a.head_hash, r.id, r.record_hash
  FROM {ANCHOR_TABLE} a LEFT JOIN {{table}} r ON r.seq = a.seq
 WHERE a.chain = %s AND (r.id IS NULL OR r.record_hash <> a.head_hash)
 ORDER BY a.day
"""  # noqa: S608 (table names from code, never from input)


def chain_verify(chain: Chain) -> ChainReport:
    """Walk `chain` and list what is wrong, first (lowest seq) first: a record whose content or
    place changed (its hash no longer matches), whose link does not name its predecessor's hash,
    a gap in the seq (records deleted), and a daily anchor the chain no longer agrees with."""
    report = ChainReport(chain=chain)
    report.head_seq, report.head_hash, report.records = chain_head(chain)
    problems: list[ChainProblem] = []
    table = chain.qualified  # names from Chain, never from input
    with connection.cursor() as cursor:
        cursor.execute(_CHANGED.format(table=table))
        changed, first_changed = cursor.fetchone()
        if changed:
            cursor.execute(
                _CHANGED_FIRST.format(table=table),
                {"from_seq": first_changed, "limit": PROBLEMS_SHOWN},
            )
            for record_id, seq in cursor.fetchall():
                problems.append(
                    ChainProblem(
                        "content",
                        record_id,
                        seq,
                        f"record {record_id} (seq {seq}): content or place changed "
                        "(hash does not match)",
                    )
                )
        cursor.execute(_LINKS.format(table=table), {"genesis": GENESIS, "limit": PROBLEMS_SHOWN})
        for record_id, seq, bad_link, gap, before_seq in cursor.fetchall():
            where = f"record {record_id} (seq {seq})"
            if gap:
                missing = (
                    f"seq {before_seq + 1}"
                    if seq == before_seq + 2
                    else f"seq {before_seq + 1}–{seq - 1}"
                )
                problems.append(
                    ChainProblem("gap", record_id, seq, f"{missing} missing before {where}")
                )
            if bad_link:
                problems.append(
                    ChainProblem(
                        "link",
                        record_id,
                        seq,
                        f"{where}: link does not match the hash of the record before it",
                    )
                )
        cursor.execute(f"SELECT count(*) FROM {ANCHOR_TABLE} WHERE chain = %s", [chain.schema])  # noqa: S608
        report.anchors = cursor.fetchone()[0]
        cursor.execute(_ANCHORS.format(table=chain.qualified), [chain.schema])
        for day, seq, anchored, record_id, found in cursor.fetchall():
            state = "missing" if record_id is None else f"record {record_id} has {found[:12]}…"
            problems.append(
                ChainProblem(
                    "anchor",
                    record_id,
                    seq,
                    f"anchor of {day} (seq {seq}, {anchored[:12]}…) disagrees: {state}",
                )
            )
    # Per record: a gap before it first, then its content, then its link (the order one pass
    # named them in).
    order = {"gap": 0, "content": 1, "link": 2, "anchor": 3}
    report.problems = sorted(problems, key=lambda p: (p.seq, order[p.kind]))
    return report


@dataclass(frozen=True)
class Anchor:
    day: dt.date
    seq: int
    head_hash: str


def anchors_for(chain: Chain, *, start: dt.date, end: dt.date) -> list[Anchor]:
    """The chain's daily anchors from `start` to `end`, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, seq, head_hash FROM {ANCHOR_TABLE} "  # noqa: S608
            "WHERE chain = %s AND day BETWEEN %s AND %s ORDER BY day",
            [chain.schema, start, end],
        )
        return [Anchor(*row) for row in cursor.fetchall()]


def chain_records_between(chain: Chain, *, start: dt.datetime, end: dt.datetime):
    """The records of `chain` from the first one created at or after `start` to the last one
    created before `end`, every record between them included (one unbroken piece of the
    chain), in chain order with their canonical text: (seq, id, created_at, action, target,
    canonical, prev_hash, record_hash). The records export writes these so the piece can be
    checked without the database: each canonical text hashes to its record hash and names the
    hash before it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(seq) FILTER (WHERE created_at >= %s), "  # noqa: S608
            f"max(seq) FILTER (WHERE created_at < %s) FROM {chain.qualified}",
            [start, end],
        )
        first, last = cursor.fetchone()
        if first is None or last is None or last < first:
            return
        cursor.execute(
            "SELECT seq, id, created_at, action, target, "  # noqa: S608
            "public.compliance_audit_canonical(seq, id, created_at, actor_id, actor_username, "
            "action, target, details, ip, prev_hash), prev_hash, record_hash "
            f"FROM {chain.qualified} WHERE seq BETWEEN %s AND %s ORDER BY seq",
            [first, last],
        )
        yield from cursor.fetchall()


def audit_chain_state(tenant, *, verify: bool) -> dict:
    """What the Security Officer's audit screen shows of the tenant's chain: its head, its last
    anchor and, when asked (a walk reads every record), the verification's result."""
    chain = chain_for_tenant(tenant)
    head_seq, head_hash, records = chain_head(chain)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, seq, head_hash FROM {ANCHOR_TABLE} WHERE chain = %s "  # noqa: S608
            "ORDER BY day DESC LIMIT 1",
            [chain.schema],
        )
        row = cursor.fetchone()
    return {
        "chain_head": {"seq": head_seq, "hash": head_hash, "records": records},
        "chain_anchor": Anchor(*row) if row else None,
        "chain_report": chain_verify(chain) if verify else None,
    }
