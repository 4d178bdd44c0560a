"""Corporate actions of a Flex statement (`CorporateActions`, rows grouped by `actionID`) as
entries that keep lots and cost basis right:

- forward split (FS) and stock dividend (SD) of the held contract: a split entry, every lot's
  quantity × ratio and price ÷ ratio, the basis and holding period unchanged (IRS Pub. 550,
  "Stock Splits"; IRC §307);
- reverse split (RS), symbol or ISIN change (IC) and stock-for-stock merger (TC with new shares
  and no cash): the old contract's lots carried to the new one, each lot's whole basis spread
  over its new shares and its acquisition date kept (IRC §358 basis, §1223(1) holding period);
- cash merger (TC with proceeds and no new shares), worthless delisting (DW), bond maturity
  (BM): a disposal at the proceeds, realizing gain or loss (IRC §1001);
- spin-off (SO): the new shares open a lot acquired with the parent's earliest lot; the
  allocation of basis between parent and spin-off by fair market value (Pub. 550,
  "Nontaxable Stock Distributions") needs the issuer's figures, so the new lot opens at zero
  basis and the import warns.
A cash-and-stock merger is refused: its boot needs the gain recognized under IRC §356, which
the broker's rows do not state.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ledger import platform
from ledger.domain.lots import PX, QTY
from ledger.imports.flex.reader import flex_decimal
from ledger.journal.post import PostingLine, journal_post
from ledger.journal.projections import lots_load
from ledger.models import Account, JournalEntry, Position, Posting

Kind = JournalEntry.Kind
Role = Posting.Role
ZERO = Decimal(0)
RANK = 1  # ledger.imports.flex.rows.RANK_CORPORATE: at the open of the day


def _held(account: Account, instrument) -> Decimal:
    return (
        Position.objects.filter(account=account, instrument=instrument)
        .values_list("quantity", flat=True)
        .first()
        or ZERO
    )


def corporate_action_book(
    *, event, account: Account, warn: Callable[[str], None]
) -> JournalEntry | None:
    booked = JournalEntry.objects.filter(idempotency_key=f"flex:{event.key}").first()
    if booked is not None:
        return booked  # imported before: its lots have moved already
    rows = event.rows
    kind = (event.attrs.get("type") or "").strip().upper()
    moves = [
        (number, a, instrument, flex_decimal(a, "quantity", default=ZERO))
        for number, a, instrument in rows
    ]
    negatives = [m for m in moves if m[3] < 0]
    positives = [m for m in moves if m[3] > 0]
    proceeds = sum((flex_decimal(a, "proceeds", default=ZERO) for _, a, _ in rows), ZERO)
    corpact = platform.platform_account(platform.CORPORATE_ACTIONS)
    memo = (event.attrs.get("actionDescription") or event.attrs.get("description") or kind)[:300]
    common = {
        "idempotency_key": f"flex:{event.key}",
        "trade_date": event.on,
        "memo": memo,
        "broker_reported": True,
    }

    if not negatives and len(positives) == 1 and kind in ("FS", "SD", "FI", "CS", ""):
        _, _, instrument, added = positives[0]
        held = _held(account, instrument)
        if held <= 0:
            raise ValueError(f"a split of {instrument.symbol}, which the account does not hold")
        return journal_post(
            kind=Kind.STOCK_SPLIT,
            lines=[
                PostingLine(account=account, instrument=instrument, quantity=added),
                PostingLine(account=corpact, instrument=instrument, quantity=-added),
            ],
            split_ratio=((held + added) / held).quantize(Decimal("0.00000001")),
            **common,
        )
    if len(negatives) == 1 and len(positives) == 1 and not proceeds:
        return _carry(account, negatives[0], positives[0], corpact, common)
    if len(negatives) == 1 and len(positives) == 1 and proceeds:
        raise ValueError(
            "a cash-and-stock merger: the gain on its cash part (IRC §356) is not in the file"
        )
    if len(negatives) == 1 and not positives:
        _, a, instrument, quantity = negatives[0]
        currency = (a.get("currency") or instrument.currency).strip()
        price = (proceeds / -quantity / instrument.multiplier).quantize(PX) if proceeds else ZERO
        lines = [
            PostingLine(account=account, instrument=instrument, quantity=quantity, price=price),
            PostingLine(account=corpact, instrument=instrument, quantity=-quantity, price=price),
        ]
        if proceeds:
            lines += [
                PostingLine(account=account, currency=currency, quantity=proceeds),
                PostingLine(account=corpact, currency=currency, quantity=-proceeds),
            ]
        return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)
    if not negatives and len(positives) == 1 and kind == "SO":
        _, _, instrument, added = positives[0]
        parents = [
            lot.open_date
            for position in Position.objects.filter(account=account)
            .exclude(quantity=0)
            .exclude(instrument=instrument)
            for lot in lots_load(account.pk, position.instrument_id)
        ]
        warn(
            f"spin-off of {instrument.symbol}: opened at zero basis; allocate the parent's "
            "basis by fair market value (Pub. 550)"
        )
        acquired = min(parents) if parents else event.on
        return journal_post(
            kind=Kind.CORPORATE_ACTION,
            lines=[
                PostingLine(
                    account=account,
                    instrument=instrument,
                    quantity=added,
                    price=ZERO,
                    role=Role.CARRY,
                    acquired=acquired,
                ),
                PostingLine(
                    account=corpact,
                    instrument=instrument,
                    quantity=-added,
                    price=ZERO,
                    role=Role.CARRY,
                ),
            ],
            **common,
        )
    raise ValueError(
        f"corporate action {kind or '?'} with {len(negatives)} outgoing and {len(positives)} "
        "incoming contracts is not one the ledger books"
    )


def _carry(account, old, new, corpact, common) -> JournalEntry:
    """Every lot of the old contract to the new one: quantity × (new ÷ old), the lot's basis
    kept whole and its acquisition date kept."""
    _, _, old_instrument, out_quantity = old
    _, _, new_instrument, in_quantity = new
    lots = [lot for lot in lots_load(account.pk, old_instrument.pk) if lot.quantity > 0]
    held = sum((lot.quantity for lot in lots), ZERO)
    if held != -out_quantity:
        raise ValueError(
            f"{old_instrument.symbol}: the action removes {-out_quantity}, the account holds {held}"
        )
    ratio = in_quantity / held
    lines = []
    placed = ZERO
    for index, lot in enumerate(lots):
        quantity = (
            (lot.quantity * ratio).quantize(QTY) if index < len(lots) - 1 else in_quantity - placed
        )
        placed += quantity
        basis = lot.quantity * lot.price * old_instrument.multiplier
        price = (basis / quantity / new_instrument.multiplier).quantize(PX)
        lines += [
            PostingLine(
                account=account,
                instrument=old_instrument,
                quantity=-lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
            PostingLine(
                account=corpact,
                instrument=old_instrument,
                quantity=lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
            PostingLine(
                account=account,
                instrument=new_instrument,
                quantity=quantity,
                price=price,
                role=Role.CARRY,
                acquired=lot.open_date,
            ),
            PostingLine(
                account=corpact,
                instrument=new_instrument,
                quantity=-quantity,
                price=price,
                role=Role.CARRY,
            ),
        ]
    return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)
