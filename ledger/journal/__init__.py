"""The journal: the one way in (`journal_post`, in `post`), the projections kept in the same
transaction (`projections`, and set-based in `sqlbulk`), bulk cash history (`bulk`), the proof
that projections and journal agree (`verify`) and the cache versions of ledger state
(`versions`). Import `journal_post` and `PostingLine` from here; the rest by module."""

from ledger.journal.post import PostingLine, journal_post

__all__ = ["PostingLine", "journal_post"]
