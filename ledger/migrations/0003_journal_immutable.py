"""The database itself refuses UPDATE and DELETE on posted journal rows, and hands out account
numbers from a sequence.

A purge for test and benchmark clean-up is possible only by setting
`ledger.allow_purge = 'on'` in the session (never done by the application)."""

from django.db import migrations

IMMUTABLE = """
CREATE OR REPLACE FUNCTION ledger_journal_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('ledger.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger: % on % refused: posted journal rows are immutable; book a reversal',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_posting_immutable BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_immutable();
CREATE TRIGGER ledger_journalentry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_immutable();
CREATE SEQUENCE IF NOT EXISTS ledger_account_number_seq START 1000001;
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_posting_immutable ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_journalentry_immutable ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_journal_immutable();
DROP SEQUENCE IF EXISTS ledger_account_number_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_journal")]

    operations = [migrations.RunSQL(IMMUTABLE, DROP)]
