"""The platform accounts that take the other side of client postings exist from the start."""

from django.db import migrations

ACCOUNTS = {
    "P-CLEARING": "Clearing (street side of trades)",
    "P-BANK": "Bank (external cash)",
    "P-FEES": "Commissions and fees",
    "P-CORPACT": "Corporate actions",
    "P-TAX": "Withholding tax",
    "P-FX": "FX conversion",
    "P-INTEREST": "Interest",
}


def create(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for number, title in ACCOUNTS.items():
        Account.objects.get_or_create(
            number=number, defaults={"title": title, "account_type": "platform"}
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_journal_immutable")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
