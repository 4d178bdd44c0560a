"""The operator console (public host, /console/): tenants, instruments, prices and FX rates, and
health. Every page needs an operator login that confirmed its second factor in this session
(compliance.middleware sends others to the TOTP step; `operator_required` refuses them here
too) and ends with the operators' idle and absolute timeouts."""

from __future__ import annotations

import io
from functools import wraps

import pycountry
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from ledger.errors import LedgerError
from ledger.selectors.operator import fx_rates_latest, instrument_get, instruments_search
from ledger.services.instruments import InstrumentData, instrument_upsert
from ledger.services.market import fx_rates_load, price_rows_csv, prices_load, rate_rows_csv
from tenants.models import Tenant

from . import selectors, services


def operator_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if getattr(request, "tenant", None) is None or request.tenant.schema_name != "public":
            raise Http404
        if not user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.path})}")
        if not user.is_verified():
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('operator_otp_verify')}?{query}")
        if not (user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _render(request, template, context, title):
    return render(
        request,
        template,
        {**admin.site.each_context(request), "title": title, **context},
    )


def _refusal(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


# --- tenants --------------------------------------------------------------------------------


class ProvisionForm(forms.Form):
    name = forms.CharField(max_length=200, label="Display name")
    domain = forms.CharField(max_length=253, help_text="The tenant's host, e.g. acme.example.com")
    schema_name = forms.CharField(
        max_length=62, required=False, help_text="Leave empty to derive it from the domain."
    )
    kind = forms.ChoiceField(
        choices=[c for c in Tenant.Kind.choices if c[0] != Tenant.Kind.PLATFORM]
    )
    country = forms.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    security_officer_email = forms.EmailField(label="First Security Officer's e-mail")

    def clean_domain(self):
        domain = self.cleaned_data["domain"].strip().lower().rstrip(".")
        if domain in settings.PLATFORM_HOSTS or ":" in domain or "/" in domain:
            raise ValidationError("Give a host name of its own, without port or path.")
        return domain

    def clean_country(self):
        code = self.cleaned_data["country"].strip().upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValidationError("Not an ISO 3166-1 country code.")
        return code


@operator_required
def tenants_index(request):
    return _render(
        request, "console/tenants.html", {"rows": selectors.tenants_overview()}, "Tenants"
    )


@operator_required
def tenant_create(request):
    form = ProvisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        port = request.get_port()
        default_port = "443" if request.is_secure() else "80"
        base = f"{request.scheme}://{form.cleaned_data['domain']}"
        base += f":{port}" if port and port != default_port else ""
        try:
            tenant = services.tenant_provision_with_invitation(
                operator=request.user, link_base_url=base, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(
                request,
                f"{tenant.name} is provisioned; the invitation went to "
                f"{form.cleaned_data['security_officer_email']}.",
            )
            return redirect("console_tenants")
    return _render(request, "console/tenant_form.html", {"form": form}, "Provision a tenant")


@require_POST
@operator_required
def tenant_status(request, tenant_id: int):
    tenant = Tenant.objects.exclude(schema_name="public").filter(pk=tenant_id).first()
    if tenant is None:
        raise Http404("No such tenant.")
    suspend = request.POST.get("status") == "suspended"
    services.tenant_suspend_or_resume(operator=request.user, tenant=tenant, suspend=suspend)
    messages.success(request, f"{tenant.name} is {'suspended' if suspend else 'active'}.")
    return redirect("console_tenants")


# --- instruments ---------------------------------------------------------------------------


class InstrumentForm(forms.Form):
    symbol = forms.CharField(max_length=32)
    currency = forms.CharField(max_length=3)
    asset_class = forms.ChoiceField(choices=[("", "—")])
    conid = forms.IntegerField(required=False, min_value=1)
    exchange = forms.CharField(max_length=16, required=False)
    isin = forms.CharField(max_length=12, required=False)
    cusip = forms.CharField(max_length=9, required=False)
    description = forms.CharField(max_length=200, required=False)
    multiplier = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=6)

    def __init__(self, *args, **kwargs):
        from ledger.models import Instrument

        super().__init__(*args, **kwargs)
        self.fields["asset_class"].choices = [("", "—"), *Instrument.AssetClass.choices]

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


@operator_required
def instruments_index(request):
    query = request.GET.get("q", "")[:100]
    context = {"instruments": instruments_search(query=query), "q": query}
    return _render(request, "console/instruments.html", context, "Instruments")


def _instrument_save(request, form, *, instrument=None):
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    if instrument is not None:
        data.setdefault("conid", instrument.conid)
    try:
        saved, _ = instrument_upsert(
            data=InstrumentData(**data), source="console", actor=request.user.get_username()
        )
    except (ValidationError, LedgerError) as error:
        form.add_error(None, _refusal(error))
        return None
    return saved


@operator_required
def instrument_create(request):
    form = InstrumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _instrument_save(request, form)
        if saved is not None:
            messages.success(request, f"Instrument {saved.symbol} saved.")
            return redirect("console_instrument", instrument_id=saved.pk)
    context = {"form": form, "instrument": None}
    return _render(request, "console/instrument_form.html", context, "Add an instrument")


@operator_required
def instrument_edit(request, instrument_id: int):
    from ledger.models import Instrument

    try:
        instrument = instrument_get(instrument_id=instrument_id)
    except (Instrument.DoesNotExist, ValueError):
        raise Http404("No such instrument.") from None
    initial = {name: getattr(instrument, name) for name in InstrumentForm.base_fields}
    form = InstrumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _instrument_save(request, form, instrument=instrument)
        if saved is not None:
            messages.success(request, f"Instrument {saved.symbol} saved.")
            return redirect("console_instrument", instrument_id=saved.pk)
    context = {"form": form, "instrument": instrument}
    return _render(request, "console/instrument_form.html", context, instrument.symbol)


# --- prices and FX rates ---------------------------------------------------------------------


class MarketUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[("prices", "Closing prices"), ("fx", "FX rates")])
    file = forms.FileField(help_text="CSV, UTF-8, with a header row")


@operator_required
def market_data(request):
    form = MarketUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = io.StringIO(form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace"))
        try:
            if form.cleaned_data["kind"] == "prices":
                result = prices_load(rows=price_rows_csv(text))
            else:
                result = fx_rates_load(rows=rate_rows_csv(text))
        except ValidationError as error:
            form.add_error("file", _refusal(error))
        else:
            messages.success(request, f"{result.written} rows loaded.")
            return redirect("console_market")
    context = {
        "form": form,
        "instruments": instruments_search(limit=200),
        "rates": fx_rates_latest(),
    }
    return _render(request, "console/market.html", context, "Prices and FX rates")


# --- health --------------------------------------------------------------------------------


@operator_required
def health(request):
    from brokerportal.health import _broker_status, _cache_status, _database_ok
    from tenants.selectors import tenant_schemas_behind

    checks = {
        "database": "ok" if _database_ok() else "unreachable",
        "task broker": _broker_status(),
        "cache": _cache_status(),
        "tenant schemas behind on migrations": len(tenant_schemas_behind()),
        "tenants": Tenant.objects.exclude(schema_name="public").count(),
    }
    return _render(request, "console/health.html", {"checks": checks}, "Health")
