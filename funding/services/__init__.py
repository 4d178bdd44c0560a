"""Every write of the funding desk: deposit notices credited or rejected, journals made (by
hand or from a file), approved, rejected and reversed."""

from funding.services.deposits import FundingRefused, deposit_notice_credit, deposit_notice_reject
from funding.services.journals import (
    CSV_COLUMNS,
    JournalSpec,
    journal_approve,
    journal_create,
    journal_reject,
    journal_reverse,
    journals_upload,
)

__all__ = [
    "CSV_COLUMNS",
    "FundingRefused",
    "JournalSpec",
    "deposit_notice_credit",
    "deposit_notice_reject",
    "journal_approve",
    "journal_create",
    "journal_reject",
    "journal_reverse",
    "journals_upload",
]
