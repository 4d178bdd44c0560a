"""FIXML 5.0 SP2 order messages for a carrying broker that takes orders as files: `Order`
(NewOrderSingle, MsgType D) and `OrdCxlReq` (OrderCancelRequest, MsgType F), written with
lxml and valid against the official schema (`allocations.fixml.fixml_validate`, root
`fixml-main-5-0-SP2.xsd`). Pure: plain data in, bytes out; no Django.

Field values (FIX 5.0 SP2, Volume 4 and the field dictionary):
- Side (54): 1 buy, 2 sell, 5 sell short; a buy to cover is a buy (1) that closes a short
  position, PositionEffect (77) C; opening orders carry PositionEffect O.
- OrdType (40): 1 market, 2 limit, 3 stop, 4 stop limit; Px (44) the limit price, StopPx (99)
  the stop price.
- TimeInForce (59): 0 day, 1 good till cancel.
- CashMargin (544): 1 cash, 2 margin open, 3 margin close.
- HandlInst (21): 1 automated execution, no broker intervention.
- OrigClOrdID (41) of a cancel names the order's ClOrdID (11); OrderID (37) the broker's id
  when it gave one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from lxml import etree

from allocations.fixml import NS

SIDE = {"buy": "1", "sell": "2", "sell_short": "5", "buy_to_cover": "1"}
POSITION_EFFECT = {"buy": "O", "sell_short": "O", "sell": "C", "buy_to_cover": "C"}
ORD_TYPE = {"market": "1", "limit": "2", "stop": "3", "stop_limit": "4"}
TIME_IN_FORCE = {"day": "0", "gtc": "1"}
CASH_MARGIN = {
    ("cash", True): "1",
    ("cash", False): "1",
    ("reg_t", True): "2",
    ("reg_t", False): "3",
}
HANDL_INST_AUTOMATED = "1"
_FIXML, _BATCH, _ORDER, _CANCEL, _INSTRMT, _ORDQTY = (
    f"{{{NS}}}{tag}" for tag in ("FIXML", "Batch", "Order", "OrdCxlReq", "Instrmt", "OrdQty")
)


@dataclass(frozen=True, slots=True)
class FixmlNewOrder:
    cl_ord_id: str
    account: str
    side: str  # trading.intent.Side
    order_type: str  # market | limit | stop | stop_limit
    quantity: Decimal
    symbol: str
    currency: str
    transact_time: datetime
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    margin_type: str = "cash"  # the account's: cash | reg_t
    security_id: str = ""
    security_id_source: str = ""  # "4" ISIN, "1" CUSIP, "8" exchange symbol
    text: str = ""


@dataclass(frozen=True, slots=True)
class FixmlCancel:
    cl_ord_id: str  # this request's own id
    orig_cl_ord_id: str  # the order's ClOrdID
    account: str
    side: str
    quantity: Decimal
    symbol: str
    transact_time: datetime
    order_id: str = ""  # the broker's OrderID, when it acknowledged one
    security_id: str = ""
    security_id_source: str = ""
    text: str = ""


def _num(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("FIXML times are aware (UTC offsets).")
    return value.isoformat(timespec="milliseconds")


def _instrument(message) -> dict[str, str]:
    attrs = {"Sym": message.symbol}
    if message.security_id:
        attrs["ID"] = message.security_id
        attrs["Src"] = message.security_id_source
    return attrs


def new_order_attributes(order: FixmlNewOrder) -> dict[str, str]:
    opening = POSITION_EFFECT[order.side] == "O"
    attrs = {
        "ID": order.cl_ord_id,
        "Acct": order.account,
        "CshMgn": CASH_MARGIN[(order.margin_type, opening)],
        "HandlInst": HANDL_INST_AUTOMATED,
        "Side": SIDE[order.side],
        "TxnTm": _timestamp(order.transact_time),
        "Typ": ORD_TYPE[order.order_type],
    }
    if order.order_type in ("limit", "stop_limit"):
        if order.limit_price is None:
            raise ValueError(f"A {order.order_type} order needs its limit price.")
        attrs["Px"] = _num(order.limit_price)
    if order.order_type in ("stop", "stop_limit"):
        if order.stop_price is None:
            raise ValueError(f"A {order.order_type} order needs its stop price.")
        attrs["StopPx"] = _num(order.stop_price)
    attrs["Ccy"] = order.currency
    attrs["TmInForce"] = TIME_IN_FORCE[order.time_in_force]
    if order.text:
        attrs["Txt"] = order.text[:200]
    attrs["PosEfct"] = POSITION_EFFECT[order.side]
    return attrs


def cancel_attributes(cancel: FixmlCancel) -> dict[str, str]:
    attrs = {"OrigID": cancel.orig_cl_ord_id}
    if cancel.order_id:
        attrs["OrdID"] = cancel.order_id
    attrs |= {
        "ID": cancel.cl_ord_id,
        "Acct": cancel.account,
        "Side": SIDE[cancel.side],
        "TxnTm": _timestamp(cancel.transact_time),
    }
    if cancel.text:
        attrs["Txt"] = cancel.text[:200]
    return attrs


def _write(xf, message: FixmlNewOrder | FixmlCancel) -> None:
    # Element order follows the schema's sequences: Instrmt, then OrdQty.
    if isinstance(message, FixmlNewOrder):
        tag, attrs = _ORDER, new_order_attributes(message)
    else:
        tag, attrs = _CANCEL, cancel_attributes(message)
    with xf.element(tag, attrs):
        with xf.element(_INSTRMT, _instrument(message)):
            pass
        with xf.element(_ORDQTY, {"Qty": _num(message.quantity)}):
            pass


def orders_fixml_write(
    out: IO[bytes] | str | Path, messages: Iterable[FixmlNewOrder | FixmlCancel]
) -> int:
    """Write `messages` as one FIXML document (a `Batch` of them) to `out`; returns how many."""
    count = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_FIXML, {"v": "5.0"}, nsmap={None: NS}):
            with xf.element(_BATCH):
                for message in messages:
                    _write(xf, message)
                    count += 1
    return count
