"""IBKR Flex activity statement files into the ledger, for the screens of a firm's staff: the
import of `ledger.imports.flex` limited to the accounts the uploader may act on."""

from __future__ import annotations

from pathlib import Path

from ledger.imports.flex.booking import FlexImportRefused, FlexImportResult, flex_import

__all__ = ["FlexImportRefused", "FlexImportResult", "flex_file_import"]


def flex_file_import(*, source: bytes | str | Path, account_ids) -> FlexImportResult:
    """Import a Flex file whole, booking only to `account_ids`: a statement of any other
    account is a bad row, and a file with a bad row books nothing (`FlexImportRefused` lists
    every one by statement, section, row and reason)."""
    return flex_import(source=source, account_ids={int(pk) for pk in account_ids})
