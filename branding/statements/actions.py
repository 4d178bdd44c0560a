"""Staff verbs of statements (see compliance.actions): start (or re-start) a statement run for a
period (the service audits the run and sends its tasks after commit); import a carrying
broker's Flex activity statement file."""

from branding.statements.services import statement_run_start
from compliance.actions import Action
from ledger.access import accounts_visible
from ledger.services.flex import flex_file_import


class StatementRunStart(Action):
    fields = ("period_kind", "period_start", "period_end")
    permission = "branding.add_statementrun"

    def perform(self):
        return statement_run_start(
            tenant=self.tenant,
            user=self.actor,
            period_kind=self.period_kind,
            period_start=self.period_start,
            period_end=self.period_end,
        )


class FlexFileImport(Action):
    """Import an IBKR Flex activity statement file (its path or bytes) whole, booking only to
    the firm's accounts the uploader may report on; a file with a bad row, or one naming any
    other account, books nothing (`FlexImportRefused`, a ValidationError, lists every row)."""

    fields = ("source", "digest")
    permission = "ledger.add_brokerstatement"
    audit_action = "ledger.flex_file_imported"

    def perform(self):
        accounts = accounts_visible(user=self.actor, tenant=self.tenant, need="report")
        return flex_file_import(
            source=self.source, account_ids=accounts.values_list("pk", flat=True)
        )

    def audit_target(self, result):
        return f"flex:{self.digest}"

    def audit_details(self, result):
        return {
            "statements": result.statements,
            "booked": result.booked,
            "skipped": result.skipped,
            "accounts": result.account_ids,
        }
