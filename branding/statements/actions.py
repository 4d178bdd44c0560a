"""Staff verbs of statements (see compliance.actions): start (or re-start) a statement run for a
period. The service audits the run and sends its tasks after commit."""

from branding.statements.services import statement_run_start
from compliance.actions import Action


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
