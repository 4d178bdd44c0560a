"""Flex XML: ibflex reads it with warnings as errors, values round-trip, writing streams."""

import io
import warnings
from dataclasses import replace
from decimal import Decimal

from ibflex import enums, parser
from lxml import etree

from branding.statements.flex_xml import statements_flex_write
from tests.support.statements import statement_make, trade_rows


def _parse(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parser.parse(data)


def test_flex_round_trips_positions_trades_and_ending_cash():
    # given
    statement = statement_make(trades=50)
    out = io.BytesIO()
    # when
    statements_flex_write(out, [statement], count=1)
    response = _parse(out.getvalue())
    # then
    (flex,) = response.FlexStatements
    assert flex.accountId == "U1000001"
    assert flex.AccountInformation.name == "Zoë Łukasiewicz"
    assert flex.ChangeInNAV.startingValue == Decimal("100000")
    assert flex.ChangeInNAV.endingValue == Decimal("105234.56")
    assert flex.ChangeInNAV.twr == Decimal("1.2300")
    assert [
        (p.symbol, p.position, p.markPrice, p.positionValue, p.costBasisMoney)
        for p in flex.OpenPositions
    ] == [
        (p.symbol, p.quantity, p.mark_price, p.market_value, p.cost_basis)
        for p in statement.positions
    ]
    assert [
        (
            t.tradeID,
            t.symbol,
            t.buySell,
            t.quantity,
            t.tradePrice,
            t.proceeds,
            t.ibCommission,
            t.tradeDate,
            t.fifoPnlRealized,
        )
        for t in flex.Trades
    ] == [
        (
            t.trade_id,
            t.symbol,
            enums.BuySell(t.side),
            t.quantity,
            t.price,
            t.proceeds,
            t.commission,
            t.trade_date,
            t.realized_pnl,
        )
        for t in statement.trades
    ]
    (cash,) = flex.CashReport
    assert (cash.currency, cash.endingCash, cash.endingSettledCash) == (
        "USD",
        Decimal("52000.5"),
        Decimal("51000.25"),
    )
    assert [(c.type, c.amount) for c in flex.CashTransactions] == [
        (enums.CashAction.DEPOSITWITHDRAW, Decimal("5000")),
        (enums.CashAction.DIVIDEND, Decimal("24.00")),
    ]


def test_several_statements_in_one_response_with_the_stated_count():
    # given
    out = io.BytesIO()
    # when
    statements_flex_write(out, (statement_make(trades=n) for n in (0, 3)), count=2)
    # then
    response = _parse(out.getvalue())
    assert [len(s.Trades) for s in response.FlexStatements] == [0, 3]


def test_trades_are_written_while_they_are_read():
    # given: trades from a generator that records how far the writer has read
    consumed = []

    def trades():
        for trade in trade_rows(3000):
            consumed.append(trade)
            yield trade

    class Probe(io.BytesIO):
        sizes_at_writes = []

        def write(self, data):
            self.sizes_at_writes.append(len(consumed))
            return super().write(data)

    statement = statement_make(trades=0)
    object.__setattr__(statement, "trades", trades())
    out = Probe()
    # when
    statements_flex_write(out, [statement], count=1)
    # then: output reached the file before the last trade was read (nothing held back)
    assert len(consumed) == 3000
    assert any(0 < seen < 3000 for seen in out.sizes_at_writes)
    assert len(etree.fromstring(out.getvalue()).findall(".//Trade")) == 3000


def test_numbers_with_exponents_are_written_in_plain_notation():
    # given: Decimals whose str() would use exponent notation
    (trade,) = trade_rows(1)
    trade = replace(trade, quantity=Decimal("1E+2"), price=Decimal("5E-7"), proceeds=Decimal("-0"))
    statement = statement_make(trades=0)
    object.__setattr__(statement, "trades", [trade])
    out = io.BytesIO()
    # when
    statements_flex_write(out, [statement], count=1)
    # then
    element = etree.fromstring(out.getvalue()).find(".//Trade")
    assert (element.get("quantity"), element.get("tradePrice"), element.get("proceeds")) == (
        "100",
        "0.0000005",
        "-0",
    )
    assert element.get("netCash") == "-1.00"
    assert element.get("tradeTime") == "14:30:00"
    (flex,) = _parse(out.getvalue()).FlexStatements
    assert flex.Trades[0].quantity == Decimal(100)
