"""Row-level security on every ledger table that names an account, keyed on the tenant the
application selected, not on the search path (replaces the policies of migration 0008).

The context is the setting `brokerportal.tenant`, which the database backend sets together with
the search path (brokerportal/db_backend/base.py); `ledger_tenant_context()` reads it:
- a tenant's schema name: that tenant's id. The tenant sees its own accounts and the platform
  accounts (the other side of every booking), the journal entries that touch one of its
  accounts, the postings on its accounts, the postings on platform accounts of those entries
  only (their contra legs), and the positions, cash, lots, gains and NAV history of its own
  accounts. It writes only rows of its own accounts (a WITH CHECK on every table): no account
  without a tenant or of another tenant, no posting onto an entry that names another tenant's
  account or that it cannot read, no change to platform accounts;
- `public`: the platform (operator console, imports, nightly NAV): every row, but only for a
  role that is a member of `brokerportal_platform`; any other role sees nothing;
- anything else (unset, an unknown schema, the template): nothing.

Policies bind roles that are neither superuser nor the tables' owner (nor BYPASSRLS): the
application's role in production (README, "Database roles"). The owner, which runs migrations
and the bulk import, is not bound (no FORCE), so its writes cost nothing extra.

Policies that must look at other postings of the same entry call SECURITY DEFINER functions
(owned by the owner, so they read past the policies): a policy on ledger_posting that queried
ledger_posting itself would recurse.
"""

import importlib

from django.db import migrations

CTX = "(SELECT public.ledger_tenant_context())"
PLATFORM = f"{CTX} IS NULL"
CHILD_TABLES = (
    "ledger_position",
    "ledger_cashbalance",
    "ledger_taxlot",
    "ledger_realizedgain",
    "ledger_navsnapshot",
)


def _own(table: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM public.ledger_account a WHERE a.id = {table}.account_id "  # noqa: S608
        f"AND a.tenant_id = {CTX})"
    )


FUNCTIONS = """
CREATE OR REPLACE FUNCTION public.ledger_tenant_context() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN s.name IS NULL OR s.name = '' THEN -1
        WHEN s.name = 'public' THEN CASE
            WHEN EXISTS (
                SELECT 1 FROM pg_catalog.pg_roles r
                WHERE r.rolname = 'brokerportal_platform'
                AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
            ) THEN NULL
            ELSE -1
        END
        ELSE COALESCE(
            (SELECT t.id FROM public.tenants_tenant t WHERE t.schema_name = s.name), -1)
    END
    FROM (SELECT pg_catalog.current_setting('brokerportal.tenant', true) AS name) s
$$;

CREATE OR REPLACE FUNCTION public.ledger_entry_readable(entry bigint, tenant bigint)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT tenant > 0 AND (
        NOT EXISTS (SELECT 1 FROM public.ledger_posting p WHERE p.entry_id = entry)
        OR EXISTS (
            SELECT 1 FROM public.ledger_posting p
            JOIN public.ledger_account a ON a.id = p.account_id
            WHERE p.entry_id = entry AND a.tenant_id = tenant
        )
    )
$$;

CREATE OR REPLACE FUNCTION public.ledger_entry_bookable(entry bigint, tenant bigint)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT public.ledger_entry_readable(entry, tenant) AND NOT EXISTS (
        SELECT 1 FROM public.ledger_posting p
        JOIN public.ledger_account a ON a.id = p.account_id
        WHERE p.entry_id = entry AND a.tenant_id <> tenant
    )
$$;
"""

COMMENTS = """
COMMENT ON FUNCTION public.ledger_tenant_context() IS
    'Row-level security context of the ledger: the tenant id named by brokerportal.tenant, NULL '
    'for the platform (public, members of brokerportal_platform only), -1 for nothing.';
COMMENT ON FUNCTION public.ledger_entry_readable(bigint, bigint) IS
    'An entry a tenant may read: it touches one of the tenant''s accounts (or has no postings '
    'yet, while it is being booked).';
COMMENT ON FUNCTION public.ledger_entry_bookable(bigint, bigint) IS
    'An entry a tenant may add postings to: readable, and no posting on another tenant''s account.';
"""


def _policies() -> list[str]:
    """Constant SQL: table names and conditions are this module's own."""
    sql = [
        "ALTER TABLE public.ledger_journalentry ENABLE ROW LEVEL SECURITY;",
        "DROP POLICY IF EXISTS ledger_account_tenant ON public.ledger_account;",
        "DROP POLICY IF EXISTS ledger_posting_read ON public.ledger_posting;",
        "DROP POLICY IF EXISTS ledger_posting_book ON public.ledger_posting;",
    ]
    for table in ("ledger_account", "ledger_journalentry", "ledger_posting", *CHILD_TABLES):
        sql.append(
            f"CREATE POLICY {table}_platform ON public.{table} "
            f"USING ({PLATFORM}) WITH CHECK ({PLATFORM});"
        )
    sql += [
        # Accounts: its own and the platform's to read; its own only to open, change, close.
        f"CREATE POLICY ledger_account_read ON public.ledger_account FOR SELECT USING ("
        f"tenant_id = {CTX} OR (tenant_id IS NULL AND {CTX} > 0));",
        f"CREATE POLICY ledger_account_open ON public.ledger_account FOR INSERT "
        f"WITH CHECK (tenant_id = {CTX});",
        f"CREATE POLICY ledger_account_change ON public.ledger_account FOR UPDATE "
        f"USING (tenant_id = {CTX}) WITH CHECK (tenant_id = {CTX});",
        f"CREATE POLICY ledger_account_close ON public.ledger_account FOR DELETE "
        f"USING (tenant_id = {CTX});",
        # Journal entries: memos name accounts, destinations and execution ids.
        f"CREATE POLICY ledger_journalentry_read ON public.ledger_journalentry FOR SELECT "
        f"USING (public.ledger_entry_readable(id, {CTX}));",
        f"CREATE POLICY ledger_journalentry_book ON public.ledger_journalentry FOR INSERT "
        f"WITH CHECK ({CTX} > 0);",
        # Postings: its own accounts', and the platform legs of its own entries.
        f"CREATE POLICY ledger_posting_read ON public.ledger_posting FOR SELECT USING ("  # noqa: S608
        f"{_own('ledger_posting')} OR ("
        f"EXISTS (SELECT 1 FROM public.ledger_account a WHERE a.id = ledger_posting.account_id "
        f"AND a.tenant_id IS NULL) "
        f"AND public.ledger_entry_readable(ledger_posting.entry_id, {CTX})));",
        f"CREATE POLICY ledger_posting_book ON public.ledger_posting FOR INSERT WITH CHECK ("  # noqa: S608
        f"EXISTS (SELECT 1 FROM public.ledger_account a WHERE a.id = ledger_posting.account_id "
        f"AND (a.tenant_id = {CTX} OR a.tenant_id IS NULL)) "
        f"AND public.ledger_entry_bookable(ledger_posting.entry_id, {CTX}));",
    ]
    for table in CHILD_TABLES:
        sql.append(f"DROP POLICY IF EXISTS {table}_tenant ON public.{table};")
        sql.append(
            f"CREATE POLICY {table}_tenant ON public.{table} "
            f"USING ({_own(table)}) WITH CHECK ({_own(table)});"
        )
    return sql


ENABLE = FUNCTIONS + COMMENTS + "\n".join(_policies())


def _disable() -> str:
    sql = []
    for table in ("ledger_account", "ledger_journalentry", "ledger_posting", *CHILD_TABLES):
        sql.append(f"DROP POLICY IF EXISTS {table}_platform ON public.{table};")
    for table in CHILD_TABLES:
        sql.append(f"DROP POLICY IF EXISTS {table}_tenant ON public.{table};")
    for name in ("read", "open", "change", "close"):
        sql.append(f"DROP POLICY IF EXISTS ledger_account_{name} ON public.ledger_account;")
    for name in ("read", "book"):
        sql.append(f"DROP POLICY IF EXISTS ledger_posting_{name} ON public.ledger_posting;")
        sql.append(
            f"DROP POLICY IF EXISTS ledger_journalentry_{name} ON public.ledger_journalentry;"
        )
    sql += [
        "ALTER TABLE public.ledger_journalentry DISABLE ROW LEVEL SECURITY;",
        "DROP FUNCTION IF EXISTS public.ledger_entry_bookable(bigint, bigint);",
        "DROP FUNCTION IF EXISTS public.ledger_entry_readable(bigint, bigint);",
    ]
    # Back to migration 0008's policies and its search-path context.
    previous = importlib.import_module("ledger.migrations.0008_row_level_security")
    return "\n".join(sql) + "\n" + previous.ENABLE


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0013_price_by_day_index"),
        ("tenants", "0001_initial"),
    ]

    operations = [migrations.RunSQL(ENABLE, _disable())]
