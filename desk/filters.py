"""The account listing's search, filters and sort (django-filter), over accounts the caller has
already scoped with `ledger.access.accounts_visible`."""

import django_filters
from django import forms
from django.db.models import Q

from ledger.models import Account
from ledger.selectors import accounts_with_negative_cash

CLIENT_TYPES = [(v, label) for v, label in Account.Type.choices if v != Account.Type.PLATFORM]
SORTS = (
    ("number", "number"),
    ("title", "name"),
    ("opened_at", "opened"),
    ("account_type", "type"),
    ("status", "status"),
    ("base_currency", "currency"),
)


class AccountFilter(django_filters.FilterSet):
    """`q` matches part of the holder's name (the account title), the account number, the
    external reference or the holder's e-mail (from the account's application)."""

    q = django_filters.CharFilter(method="search", label="Search", max_length=100)
    account_type = django_filters.ChoiceFilter(choices=CLIENT_TYPES, label="Type")
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    master = django_filters.ModelChoiceFilter(
        field_name="parent", queryset=lambda request: request.desk_masters, label="Master"
    )
    base_currency = django_filters.ChoiceFilter(
        choices=lambda: [], label="Base currency", method="currency"
    )
    margin_type = django_filters.ChoiceFilter(choices=Account.MarginType.choices, label="Margin")
    negative_cash = django_filters.BooleanFilter(
        method="cash_below_zero",
        label="Negative cash",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    sort = django_filters.OrderingFilter(fields=SORTS, label="Sort")

    class Meta:
        model = Account
        fields = []

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["base_currency"].extra["choices"] = [(c, c) for c in currencies]

    def search(self, queryset, name, value):
        from onboarding.models import Application

        value = value.strip()
        if not value:
            return queryset
        by_email = Application.objects.filter(
            Q(email__icontains=value) | Q(user__email__icontains=value), account__isnull=False
        ).values("account_id")
        return queryset.filter(
            Q(title__icontains=value)
            | Q(number__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(pk__in=by_email)
        )

    def currency(self, queryset, name, value):
        return queryset.filter(base_currency=value)

    def cash_below_zero(self, queryset, name, value):
        if value is None:
            return queryset
        return accounts_with_negative_cash(queryset, negative=value)
