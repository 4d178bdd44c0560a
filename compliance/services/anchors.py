"""Daily anchors of the audit chains: the head of each day, stored apart from the chain."""

import datetime as dt

from django.db import connection, transaction

from compliance.chain import ANCHOR_TABLE, Chain, chains_all

_ANCHOR = f"""
INSERT INTO {ANCHOR_TABLE} (chain, day, seq, head_hash, recorded_at)
SELECT %(chain)s, d.day, r.seq, r.record_hash, now()
  FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, max(seq) AS seq
          FROM {{table}}
         WHERE created_at < %(until)s AND created_at >= %(since)s
         GROUP BY 1) d
  JOIN {{table}} r ON r.seq = d.seq
ON CONFLICT (chain, day) DO NOTHING
"""  # noqa: S608 (table names from code, never from input)


@transaction.atomic
def audit_anchors_record(*, chain: Chain, through: dt.date) -> int:
    """Anchor every day up to `through` (UTC, inclusive) on which `chain` had records and that
    has no anchor yet, after the last anchored day: the last record of that day. Returns how
    many anchors were written. A day is anchored once; its anchor never changes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(day) FROM {ANCHOR_TABLE} WHERE chain = %s", [chain.schema])  # noqa: S608
        last = cursor.fetchone()[0]
        since = dt.datetime.combine(
            last + dt.timedelta(days=1) if last else dt.date(1970, 1, 1), dt.time(), dt.UTC
        )
        until = dt.datetime.combine(through + dt.timedelta(days=1), dt.time(), dt.UTC)
        if since >= until:
            return 0
        cursor.execute(
            _ANCHOR.format(table=chain.qualified),
            {"chain": chain.schema, "since": since, "until": until},
        )
        return cursor.rowcount


def audit_anchors_record_all(*, through: dt.date) -> int:
    return sum(audit_anchors_record(chain=chain, through=through) for chain in chains_all())
