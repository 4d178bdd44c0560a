"""Activity statements as IBKR Flex-compatible XML, written streaming; no Django here.

The layout follows an Activity Flex Query with ISO dates (`yyyy-MM-dd`) and `;` between date
and time, so the `ibflex` package (and other Flex tooling) reads it: `FlexQueryResponse` /
`FlexStatements count=` / `FlexStatement` with `AccountInformation`, `ChangeInNAV`, `CashReport`,
`OpenPositions`, `Trades` and `CashTransactions`. Elements are written one at a time with
`lxml.etree.xmlfile`, and trades may be any iterable (a database cursor), so memory stays flat
however many trades a statement holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import IO

from lxml import etree

from branding.statements.layout import (
    CashBalance,
    CashTransaction,
    Position,
    Statement,
    Trade,
)

QUERY_NAME = "Activity Statement"

CASH_ACTIONS = {
    "deposit": "Deposits & Withdrawals",
    "withdrawal": "Deposits & Withdrawals",
    "dividend": "Dividends",
    "withholding": "Withholding Tax",
    "fee": "Other Fees",
    "advisor_fee": "Advisor Fees",
}


def _number(value: Decimal) -> str:
    """Plain decimal notation: never `1E+2`."""
    return format(value, "f")


def _date(value: dt.date) -> str:
    return value.isoformat()


def _datetime(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d;%H%M%S")


def statements_flex_write(
    out: IO[bytes] | str, statements: Iterable[Statement], *, count: int
) -> None:
    """Writes one `FlexQueryResponse` holding `count` statements to `out` (a binary file or a
    path). `count` is given up front because the Flex header states it before the statements."""
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("FlexQueryResponse", queryName=QUERY_NAME, type="AF"):
            with xf.element("FlexStatements", count=str(count)):
                written = 0
                for statement in statements:
                    _statement_write(xf, statement)
                    written += 1
                    xf.flush()
                if written != count:
                    raise ValueError(f"FlexStatements count={count} but {written} written")


def _statement_write(xf, statement: Statement) -> None:
    account_id = statement.account.number
    with xf.element(
        "FlexStatement",
        accountId=account_id,
        fromDate=_date(statement.period_start),
        toDate=_date(statement.period_end),
        period=_period_name(statement.period_kind),
        whenGenerated=_datetime(statement.generated_at),
    ):
        _empty(xf, "AccountInformation", _account_information(statement))
        _empty(xf, "ChangeInNAV", _change_in_nav(statement))
        with xf.element("CashReport"):
            for balance in statement.cash:
                _empty(xf, "CashReportCurrency", _cash_report_currency(statement, balance))
        with xf.element("OpenPositions"):
            for position in statement.positions:
                _empty(xf, "OpenPosition", _open_position(statement, position))
        with xf.element("Trades"):
            _trades_write(xf, account_id, statement.trades)
        with xf.element("CashTransactions"):
            for transaction in statement.cash_transactions:
                _empty(xf, "CashTransaction", _cash_transaction(account_id, transaction))


def _empty(xf, tag: str, attrib: dict[str, str]) -> None:
    with xf.element(tag, attrib):
        pass


def _period_name(kind: str) -> str:
    return {
        "daily": "LastBusinessDay",
        "monthly": "LastMonth",
        "annual": "LastYear",
    }.get(kind, "Custom")


def _account_information(statement: Statement):
    account = statement.account
    attrib = {
        "accountId": account.number,
        "acctAlias": account.title,
        "currency": account.base_currency,
        "name": account.holder_name,
        "accountType": account.account_type,
        "masterName": account.master_number,
    }
    if account.opened_on:
        attrib["dateOpened"] = _date(account.opened_on)
    if account.email:
        attrib["primaryEmail"] = account.email
    return attrib


def _change_in_nav(statement: Statement):
    nav = statement.nav_change
    attrib = {
        "accountId": statement.account.number,
        "currency": statement.account.base_currency,
        "fromDate": _date(statement.period_start),
        "toDate": _date(statement.period_end),
        "startingValue": _number(nav.starting_value),
        "mtm": _number(nav.mark_to_market),
        "realized": _number(nav.realized),
        "depositsWithdrawals": _number(nav.deposits_withdrawals),
        "dividends": _number(nav.dividends),
        "interest": _number(nav.interest),
        "commissions": _number(nav.commissions),
        "otherFees": _number(nav.fees),
        "other": _number(nav.other),
        "endingValue": _number(nav.ending_value),
    }
    if statement.performance.twr is not None:
        # Flex states TWR in percent.
        attrib["twr"] = _number(statement.performance.twr * 100)
    return attrib


def _cash_report_currency(statement: Statement, c: CashBalance):
    return {
        "accountId": statement.account.number,
        "currency": c.currency,
        "levelOfDetail": "Currency",
        "fromDate": _date(statement.period_start),
        "toDate": _date(statement.period_end),
        "startingCash": _number(c.starting),
        "depositWithdrawals": _number(c.deposits_withdrawals),
        "netTradesSales": _number(max(c.trades_net, Decimal(0))),
        "netTradesPurchases": _number(min(c.trades_net, Decimal(0))),
        "dividends": _number(c.dividends),
        "brokerInterest": _number(c.interest),
        "commissions": _number(c.commissions),
        "otherFees": _number(c.fees),
        "endingCash": _number(c.ending),
        "endingSettledCash": _number(c.ending_settled),
    }


def _open_position(statement: Statement, p: Position):
    cost_price = p.cost_basis / (p.quantity * p.multiplier) if p.quantity else Decimal(0)
    return {
        "accountId": statement.account.number,
        "currency": p.currency,
        "assetCategory": p.asset_class,
        "symbol": p.symbol,
        "description": p.description,
        "reportDate": _date(statement.period_end),
        "multiplier": _number(p.multiplier),
        "position": _number(p.quantity),
        "markPrice": _number(p.mark_price),
        "positionValue": _number(p.market_value),
        "costBasisMoney": _number(p.cost_basis),
        "costBasisPrice": _number(round(cost_price, 6)),
        "fifoPnlUnrealized": _number(p.unrealized_pnl),
        "side": "Short" if p.quantity < 0 else "Long",
        "levelOfDetail": "SUMMARY",
    }


def _trades_write(xf, account_id: str, trades: Iterable[Trade]) -> None:
    """The hot loop of a large export: per trade, one attribute dict and one element.

    An element written as start + end tag (`xf.element`), without building a tree node, is the
    cheapest way through lxml; what is left is keeping Python's share small: dates and times
    formatted once per value, Decimals through `str()` with one check for exponent notation
    over all of them, bytes attribute names (lxml would encode str ones per element)."""
    element = xf.element
    flush = xf.flush
    dates: dict[dt.date, str] = {}  # a statement spans a bounded number of days
    times: dict[dt.time, str] = {}  # bounded below
    for index, t in enumerate(trades, start=1):
        trade_date, settle_date, trade_time = t.trade_date, t.settle_date, t.trade_time
        day = dates.get(trade_date) or dates.setdefault(trade_date, trade_date.isoformat())
        settle = dates.get(settle_date) or dates.setdefault(settle_date, settle_date.isoformat())
        quantity, price, multiplier = str(t.quantity), str(t.price), str(t.multiplier)
        proceeds, commission = t.proceeds, t.commission
        net, proceeds, commission = str(proceeds + commission), str(proceeds), str(commission)
        realized = str(t.realized_pnl)
        if "E" in quantity + price + multiplier + proceeds + commission + net + realized:
            quantity, price, multiplier = map(_number, (t.quantity, t.price, t.multiplier))
            proceeds, commission = _number(t.proceeds), _number(t.commission)
            net, realized = _number(t.proceeds + t.commission), _number(t.realized_pnl)
        currency = t.currency
        attrib = {
            b"accountId": account_id,
            b"currency": currency,
            b"assetCategory": t.asset_class,
            b"symbol": t.symbol,
            b"description": t.description,
            b"tradeID": t.trade_id,
            b"transactionID": t.trade_id,
            b"tradeDate": day,
            b"settleDateTarget": settle,
            b"transactionType": "ExchTrade",
            b"buySell": t.side,
            b"quantity": quantity,
            b"tradePrice": price,
            b"multiplier": multiplier,
            b"proceeds": proceeds,
            b"ibCommission": commission,
            b"ibCommissionCurrency": currency,
            b"netCash": net,
            b"fifoPnlRealized": realized,
            b"levelOfDetail": "EXECUTION",
        }
        if trade_time is not None:
            time_text = times.get(trade_time)
            if time_text is None:
                if len(times) > 4096:  # memory stays flat whatever the trades' times
                    times.clear()
                time_text = times[trade_time] = trade_time.isoformat(timespec="seconds")
            attrib[b"tradeTime"] = time_text
        with element("Trade", attrib):
            pass
        if not index % 5000:
            flush()


def _cash_transaction(account_id: str, t: CashTransaction):
    if t.kind == "interest":
        action = "Broker Interest Received" if t.amount >= 0 else "Broker Interest Paid"
    else:
        action = CASH_ACTIONS.get(t.kind, "Other Fees")
    return {
        "accountId": account_id,
        "currency": t.currency,
        "type": action,
        "description": t.description,
        "amount": _number(t.amount),
        "dateTime": _date(t.date),
        "reportDate": _date(t.date),
        "transactionID": t.transaction_id,
        "levelOfDetail": "DETAIL",
    }
