"""IBKR Flex activity statements into the ledger: `reader` streams the file's rows (lxml
iterparse, elements cleared as it goes), `booking` turns every `FlexStatement` into journal
entries, instruments, closes, FX rates and the broker's own figures kept to reconcile against
(`ledger.selectors.reconciliation`). Import from here."""

from ledger.imports.flex.booking import FlexImportResult, flex_import
from ledger.imports.flex.reader import FlexRow, flex_rows_read

__all__ = ["FlexImportResult", "FlexRow", "flex_import", "flex_rows_read"]
