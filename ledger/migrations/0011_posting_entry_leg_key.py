import django.db.models.deletion
from django.db import migrations, models

# A posting is known by (entry, leg). Existing postings get their legs in id order; the
# journal's immutability trigger is paused for that one rewrite.
FORWARD = """
ALTER TABLE ledger_posting ADD COLUMN leg smallint;
ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_immutable;
UPDATE ledger_posting p SET leg = n.leg
    FROM (SELECT id, row_number() OVER (PARTITION BY entry_id ORDER BY id) - 1 AS leg
          FROM ledger_posting) n
    WHERE n.id = p.id;
ALTER TABLE ledger_posting ENABLE TRIGGER ledger_posting_immutable;
ALTER TABLE ledger_posting ALTER COLUMN leg SET NOT NULL;
ALTER TABLE ledger_posting DROP CONSTRAINT ledger_posting_pkey;
ALTER TABLE ledger_posting DROP COLUMN id;
DROP INDEX IF EXISTS ledger_posting_entry_id_1c3a07af;
ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_pkey PRIMARY KEY (entry_id, leg);
"""
BACKWARD = """
ALTER TABLE ledger_posting DROP CONSTRAINT ledger_posting_pkey;
ALTER TABLE ledger_posting ADD COLUMN id bigserial PRIMARY KEY;
CREATE INDEX ledger_posting_entry_id_1c3a07af ON ledger_posting (entry_id);
ALTER TABLE ledger_posting DROP COLUMN leg;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0010_journal_fewer_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.RemoveField(model_name="posting", name="id"),
                migrations.AddField(
                    model_name="posting",
                    name="leg",
                    field=models.SmallIntegerField(default=0),
                    preserve_default=False,
                ),
                migrations.AddField(
                    model_name="posting",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "entry_id",
                        "leg",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="posting",
                    name="entry",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="postings",
                        to="ledger.journalentry",
                    ),
                ),
            ],
        )
    ]
