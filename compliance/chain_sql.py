"""The audit chain in the database itself, shared by every chain table (each tenant's
`compliance_auditrecord` and the public schema's `platform_audit_platformauditrecord`).

Each record carries `seq` (its place in the chain, 1, 2, 3, ...), `prev_hash` (the record hash of
the record before it, 64 zeros for the first) and `record_hash`, the SHA-256 of its canonical
content: the JSON array `[seq, id, created_at in epoch microseconds, actor_id, actor_username,
action, target, details, ip, prev_hash]` as PostgreSQL prints it (`jsonb` output is normalised,
so the same values always give the same text).

A BEFORE INSERT trigger fills the three under a transaction-scoped advisory lock per chain table,
so whatever inserts a record (ORM, raw SQL, another process) appends to the head as it is once
the previous writer committed: two writers cannot both link to the same record (no fork). The
hash is computed by the same SQL function that `audit_verify` uses, so the writer and the checker
cannot disagree about the canonical form. Migrations import these texts; they are written with
CREATE OR REPLACE so the public and every tenant migration may run them in any order.

The trigger reads the head from the table once per transaction and keeps it in a
transaction-local setting (`audit_chain.<schema>.<table>`): while the transaction holds the lock
nobody else can append, so the head it wrote last is the head. A setting made in a
subtransaction is undone when that subtransaction rolls back, as the row is, so a savepoint
rolled back leaves no stale head (and the lock taken in it is released with it). A many-row
INSERT (`audit_records_append`) thus costs one lock and one head read, not one per row. The
setting is no authority: a transaction that forged it could only write a seq that exists
already (refused: seq is unique) or a gap or link that `audit_verify` names.

The hash functions are STABLE, not IMMUTABLE: `jsonb_build_array` and `extract` are STABLE, and
PostgreSQL inlines a SQL function into the calling query only when its body is no less
volatile than it is declared. Inlined, a walk of a chain hashes a third faster than through a
function call per record (their result depends on the arguments alone: the text of a bigint,
not of a timestamp, is hashed).
"""

GENESIS = "0" * 64

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.compliance_audit_canonical(
    seq bigint, id bigint, created_at timestamptz, actor_id bigint, actor_username text,
    action text, target text, details jsonb, ip inet, prev_hash text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_array(
        seq, id, (extract(epoch FROM created_at) * 1000000)::bigint, actor_id, actor_username,
        action, target, details, host(ip), prev_hash
    )::text
$$;

CREATE OR REPLACE FUNCTION public.compliance_audit_hash(
    seq bigint, id bigint, created_at timestamptz, actor_id bigint, actor_username text,
    action text, target text, details jsonb, ip inet, prev_hash text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- The canonical text written out again rather than called, so that this body inlines into
    -- the walk in one expression.
    SELECT encode(sha256(convert_to(jsonb_build_array(
        seq, id, (extract(epoch FROM created_at) * 1000000)::bigint, actor_id, actor_username,
        action, target, details, host(ip), prev_hash
    )::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION public.compliance_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_key text := 'audit_chain.' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    head text;
    last_seq bigint;
    last_hash text;
BEGIN
    head := current_setting(head_key, true);
    IF coalesce(head, '') = '' THEN
        -- The first record of the transaction: the lock is held from here to its end.
        PERFORM pg_advisory_xact_lock(
            hashtextextended('audit-chain:' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 0)
        );
        EXECUTE format(
            'SELECT seq, record_hash FROM %I.%I ORDER BY seq DESC LIMIT 1',
            TG_TABLE_SCHEMA, TG_TABLE_NAME
        ) INTO last_seq, last_hash;
    ELSE
        last_seq := split_part(head, ':', 1)::bigint;
        last_hash := split_part(head, ':', 2);
    END IF;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.record_hash := public.compliance_audit_hash(
        NEW.seq, NEW.id, NEW.created_at, NEW.actor_id, NEW.actor_username, NEW.action,
        NEW.target, NEW.details, NEW.ip, NEW.prev_hash
    );
    -- An assignment, not PERFORM: PL/pgSQL evaluates it without starting a query.
    head := set_config(head_key, NEW.seq || ':' || NEW.record_hash, true);
    RETURN NEW;
END;
$$;
"""


def chain_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_chain BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION public.compliance_audit_chain();"
    )


def chain_backfill_sql(table: str) -> str:
    """Chain the rows that exist, oldest first (created_at, id), with the append-only trigger
    switched off for the length of the migration's transaction."""
    return f"""
ALTER TABLE {table} DISABLE TRIGGER {table}_append_only;
DO $$
DECLARE
    r record;
    n bigint := 0;
    previous text := repeat('0', 64);
    digest text;
BEGIN
    FOR r IN SELECT * FROM {table} ORDER BY created_at, id LOOP
        n := n + 1;
        digest := public.compliance_audit_hash(
            n, r.id, r.created_at, r.actor_id, r.actor_username, r.action, r.target, r.details,
            r.ip, previous
        );
        UPDATE {table} SET seq = n, prev_hash = previous, record_hash = digest WHERE id = r.id;
        previous := digest;
    END LOOP;
END;
$$;
ALTER TABLE {table} ENABLE TRIGGER {table}_append_only;
"""  # noqa: S608 (table names from code, never from input)


# The ledger's writes in the public chain: one record per INSERT statement into the journal
# (a row-at-a-time booking or a COPY block of the bulk import alike), naming the entries it added
# and a digest over their ids, idempotency keys and kinds. Statement level with a transition
# table, so a 100,000-entry import adds ten records, not 100,000.
JOURNAL_TRIGGER = r"""
CREATE OR REPLACE FUNCTION public.platform_audit_journal_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    first_id bigint;
    last_id bigint;
    digest text;
BEGIN
    SELECT count(*), min(id), max(id),
           encode(sha256(convert_to(coalesce(string_agg(
               id::text || ':' || idempotency_key || ':' || kind, ',' ORDER BY id), ''),
               'UTF8')), 'hex')
      INTO n, first_id, last_id, digest FROM added;
    IF n > 0 THEN
        INSERT INTO public.platform_audit_platformauditrecord
            (created_at, actor_id, actor_username, action, target, details, ip)
        VALUES (clock_timestamp(), NULL, '', 'ledger.journal_post',
                'journal:' || first_id || '-' || last_id,
                jsonb_build_object('entries', n, 'first_id', first_id, 'last_id', last_id,
                                   'sha256', digest, 'tenant', current_setting(
                                       'brokerportal.tenant', true)),
                NULL);
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS ledger_journalentry_platform_audit ON public.ledger_journalentry;
CREATE TRIGGER ledger_journalentry_platform_audit AFTER INSERT ON public.ledger_journalentry
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION public.platform_audit_journal_insert();
"""

# The operator's actions in the Django admin of the public host: Django writes a LogEntry for
# every addition, change and deletion there; each becomes a record of the public chain.
ADMIN_LOG_TRIGGER = r"""
CREATE OR REPLACE FUNCTION public.platform_audit_admin_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    who text;
BEGIN
    SELECT username INTO who FROM public.auth_user WHERE id = NEW.user_id;
    INSERT INTO public.platform_audit_platformauditrecord
        (created_at, actor_id, actor_username, action, target, details, ip)
    VALUES (NEW.action_time, NEW.user_id, coalesce(who, ''),
            'operator.' || CASE NEW.action_flag WHEN 1 THEN 'add' WHEN 2 THEN 'change'
                                               ELSE 'delete' END,
            left(coalesce(NEW.content_type_id::text, '') || ':' || coalesce(NEW.object_id, '')
                 || ' ' || NEW.object_repr, 255),
            jsonb_build_object('change_message', NEW.change_message), NULL);
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS django_admin_log_platform_audit ON public.django_admin_log;
CREATE TRIGGER django_admin_log_platform_audit AFTER INSERT ON public.django_admin_log
FOR EACH ROW EXECUTE FUNCTION public.platform_audit_admin_log();
"""


# The same function as compliance migration 0002 (the public schema runs no tenant migration).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION public.compliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION public.compliance_audit_append_only();"
    )


# Records kept for the tenant's retention period (SEC Rule 17a-4(b): six years for statements,
# confirmations, reports and reviews): a DELETE of a row younger than that is refused by the
# database, whatever code path tries it. The period is read from the tenant's security settings
# in the row's own schema (six years when nobody set it); TG_ARGV[0] names the row's timestamp.
RETENTION_FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.compliance_records_retained() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    years integer;
    kept_from timestamptz;
BEGIN
    EXECUTE format(
        'SELECT records_retention_years FROM %I.compliance_securitysettings WHERE singleton',
        TG_TABLE_SCHEMA
    ) INTO years;
    years := coalesce(years, 6);
    kept_from := (to_jsonb(OLD) ->> TG_ARGV[0])::timestamptz;
    IF kept_from IS NULL OR kept_from > now() - make_interval(years => years) THEN
        RAISE EXCEPTION 'record retained until % (% years from %, SEC Rule 17a-4(b)): % refused',
            (kept_from + make_interval(years => years))::date, years, kept_from::date, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;
"""


def retention_trigger_sql(table: str, timestamp_column: str) -> str:
    return (
        f"CREATE TRIGGER {table}_retained BEFORE DELETE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION public.compliance_records_retained('{timestamp_column}');"
    )


# A signed access review is evidence: neither it nor its lines change afterwards.
SIGNED_REVIEW_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.compliance_review_signed_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed access review is immutable (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE OR REPLACE FUNCTION public.compliance_review_line_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    signed timestamptz;
BEGIN
    EXECUTE format('SELECT signed_at FROM %I.compliance_accessreview WHERE id = $1',
                   TG_TABLE_SCHEMA) INTO signed USING OLD.review_id;
    IF signed IS NOT NULL THEN
        RAISE EXCEPTION 'a signed access review is immutable (% of a line refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
"""

SIGNED_REVIEW_TRIGGERS = """
CREATE TRIGGER compliance_accessreview_signed BEFORE UPDATE ON compliance_accessreview
FOR EACH ROW EXECUTE FUNCTION public.compliance_review_signed_immutable();
CREATE TRIGGER compliance_accessreviewline_signed BEFORE UPDATE OR DELETE
ON compliance_accessreviewline
FOR EACH ROW EXECUTE FUNCTION public.compliance_review_line_immutable();
"""
