"""Row-level security on the ledger's account-holding tables: defence in depth behind the
selectors, which already take the tenant explicitly.

The tenant context is the schema django-tenants puts first on the search path for every
cursor, so no extra statement per request is needed: `ledger_tenant_context()` is NULL when the
search path starts with public (the operator, the importer, nightly tasks: every row), the
tenant's id when it starts with a tenant's schema, and -1 otherwise (nothing). A tenant context sees its own accounts
and the platform accounts (the other side of every booking), the positions, cash balances,
lots, gains and NAV history of its own accounts only, and the postings of its own and the
platform accounts (an entry's platform legs name no client).

Policies bind roles that are neither superuser nor the tables' owner: production connects as
such a role (see README, "Configuration"); migrations run as the owner.
"""

from django.db import migrations

OWN_ACCOUNTS = (
    "ledger_tenant_context() IS NULL OR account_id IN "
    "(SELECT a.id FROM public.ledger_account a WHERE a.tenant_id = ledger_tenant_context())"
)
VISIBLE_ACCOUNTS = (
    "ledger_tenant_context() IS NULL OR account_id IN (SELECT a.id FROM public.ledger_account a)"
)
CHILD_TABLES = (
    "ledger_position",
    "ledger_cashbalance",
    "ledger_taxlot",
    "ledger_realizedgain",
    "ledger_navsnapshot",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION public.ledger_tenant_context() RETURNS bigint
LANGUAGE sql STABLE AS $$
    WITH first AS (
        SELECT btrim(split_part(current_setting('search_path'), ',', 1), ' "') AS schema_name
    )
    SELECT CASE
        WHEN first.schema_name = 'public' THEN NULL
        ELSE COALESCE(
            (SELECT t.id FROM public.tenants_tenant t WHERE t.schema_name = first.schema_name),
            -1)
    END
    FROM first
$$;
ALTER TABLE public.ledger_account ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_account_tenant ON public.ledger_account USING (
    ledger_tenant_context() IS NULL OR tenant_id IS NULL OR tenant_id = ledger_tenant_context()
);
ALTER TABLE public.ledger_posting ENABLE ROW LEVEL SECURITY;
"""


def _policies() -> str:
    """Constant SQL: the table names and conditions are this module's own."""
    lines = [
        f"CREATE POLICY ledger_posting_read ON public.ledger_posting FOR SELECT "
        f"USING ({VISIBLE_ACCOUNTS});",
        f"CREATE POLICY ledger_posting_book ON public.ledger_posting FOR INSERT "
        f"WITH CHECK ({VISIBLE_ACCOUNTS});",
    ]
    for table in CHILD_TABLES:
        lines.append(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY;")
        lines.append(f"CREATE POLICY {table}_tenant ON public.{table} USING ({OWN_ACCOUNTS});")
    return "\n".join(lines)


ENABLE = FUNCTION + _policies()

DISABLE = (
    "".join(
        f"DROP POLICY IF EXISTS {table}_tenant ON public.{table};\n"
        f"ALTER TABLE public.{table} DISABLE ROW LEVEL SECURITY;\n"
        for table in CHILD_TABLES
    )
    + """
DROP POLICY IF EXISTS ledger_posting_read ON public.ledger_posting;
DROP POLICY IF EXISTS ledger_posting_book ON public.ledger_posting;
ALTER TABLE public.ledger_posting DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS ledger_account_tenant ON public.ledger_account;
ALTER TABLE public.ledger_account DISABLE ROW LEVEL SECURITY;
DROP FUNCTION IF EXISTS public.ledger_tenant_context();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_journal_lean_foreign_keys"),
        ("tenants", "0001_initial"),
    ]

    operations = [migrations.RunSQL(ENABLE, DISABLE)]
