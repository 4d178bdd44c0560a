"""The platform operator's reads of the shared books, on the public host only (no tenant):
instruments, their latest closes, the latest FX rates and each tenant's account count. Tenant
sides never call these; every tenant read goes through the selectors that take `tenant=`."""

from __future__ import annotations

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from ledger.models import Account, FxRate, Instrument, Price


def instruments_search(*, query: str = "", limit: int = 100) -> list[Instrument]:
    """Instruments whose symbol, description, ISIN, CUSIP or conid matches `query`, each with
    its latest close and that close's date (`latest_close`, `latest_date`): one query."""
    qs: QuerySet[Instrument] = Instrument.objects.all()
    query = query.strip()
    if query:
        match = (
            Q(symbol__icontains=query)
            | Q(description__icontains=query)
            | Q(isin__iexact=query)
            | Q(cusip__iexact=query)
        )
        if query.isdigit():
            match |= Q(conid=int(query))
        qs = qs.filter(match)
    latest = Price.objects.filter(instrument_id=OuterRef("pk")).order_by("-date")
    return list(
        qs.annotate(
            latest_close=Subquery(latest.values("close")[:1]),
            latest_date=Subquery(latest.values("date")[:1]),
        ).order_by("symbol", "exchange", "currency")[:limit]
    )


def instrument_get(*, instrument_id) -> Instrument:
    """Raises Instrument.DoesNotExist (the console answers 404)."""
    return Instrument.objects.get(pk=int(instrument_id))


def fx_rates_latest() -> list[FxRate]:
    """The latest USD rate of every currency: one query."""
    return list(FxRate.objects.order_by("currency", "-date").distinct("currency"))


def account_counts_by_tenant() -> dict[int, tuple[int, object]]:
    """tenant id → (accounts, latest account opening), paper accounts left out: one query."""
    rows = (
        Account.objects.exclude(tenant__isnull=True)
        .exclude(is_paper=True)
        .values("tenant_id")
        .annotate(count=Count("id"), latest=Max("opened_at"))
    )
    return {row["tenant_id"]: (row["count"], row["latest"]) for row in rows}
