"""Execution import into the journal: files read by `parsers` (CSV, IBKR Flex `Trades`, FIXML
execution reports), validated and booked in chunks by `executions`, written set-based by
`executions_bulk`. Import from here."""

from ledger.imports.executions import (
    ImportResult,
    executions_import,
    executions_import_csv,
    executions_import_csv_text,
    executions_import_fixml,
    executions_import_flex,
)
from ledger.imports.hooks import MasterExecution, master_executions_subscribe
from ledger.imports.parsers import CSV_COLUMNS, ExecutionRow

__all__ = [
    "CSV_COLUMNS",
    "ExecutionRow",
    "ImportResult",
    "MasterExecution",
    "executions_import",
    "executions_import_csv",
    "executions_import_csv_text",
    "executions_import_fixml",
    "executions_import_flex",
    "master_executions_subscribe",
]
