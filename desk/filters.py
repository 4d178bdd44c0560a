"""The account listing's search, filters and sort (django-filter), over accounts the caller has
already scoped with `ledger.access.accounts_visible`."""

import django_filters
from django import forms
from django.db import models
from django.db.models import BooleanField, Func, Q, Subquery
from django.utils.html import escape
from django.utils.safestring import mark_safe

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


class IdAmong(Func):
    """`id = ANY(ARRAY(<subquery>))`: the subquery runs once and the ids are looked up in the
    primary key's index, so the condition can be one of several index scans OR-ed together."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, queryset):
        super().__init__(models.F("pk"), Subquery(queryset))

    def as_sql(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])
        return f"({lhs} = ANY(ARRAY{rhs}))", (*lhs_params, *rhs_params)


def _attrs(attrs: dict) -> str:
    """As Django's `django/forms/widgets/attrs.html`."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A `Select` that writes the markup of Django's select templates itself: one template
    per option (and one more for its attributes) made the listing's choice of 200 masters a
    good part of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{escape(option['label'])}</option>\n"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


class AccountFilter(django_filters.FilterSet):
    """`q` matches part of the holder's name (the account title), the account number, the
    external reference or the holder's e-mail (from the account's application)."""

    q = django_filters.CharFilter(method="search", label="Search", max_length=100)
    account_type = django_filters.ChoiceFilter(choices=CLIENT_TYPES, label="Type")
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    master = django_filters.ChoiceFilter(
        choices=lambda: [], label="Master", method="of_master", widget=ListSelect
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

    def __init__(self, *args, currencies=(), masters=(), **kwargs):
        """`masters`: (id, number, title) of the masters the caller may see, offered as the
        master filter's choices (tuples, not accounts: a tenant of advisors has hundreds)."""
        super().__init__(*args, **kwargs)
        self.filters["base_currency"].extra["choices"] = [(c, c) for c in currencies]
        self.filters["master"].extra["choices"] = [
            (str(pk), f"{number} {title}") for pk, number, title in masters
        ]

    def search(self, queryset, name, value):
        """Each column compared through its trigram index: the three columns of the account
        and the ids of the accounts whose holder's e-mail matches, as an array read once, so
        PostgreSQL combines four index scans (an `IN (subquery)` among the alternatives would
        read every account of the tenant instead)."""
        from onboarding.models import Application

        value = value.strip()
        if not value:
            return queryset
        applications = Application.objects.order_by().filter(account__isnull=False)
        by_email = (
            applications.filter(email__icontains=value)
            .values("account_id")
            .union(applications.filter(user__email__icontains=value).values("account_id"), all=True)
        )
        return queryset.filter(
            Q(title__icontains=value)
            | Q(number__icontains=value)
            | Q(external_ref__icontains=value)
            | IdAmong(by_email)
        )

    def of_master(self, queryset, name, value):
        return queryset.filter(parent_id=int(value))

    def currency(self, queryset, name, value):
        return queryset.filter(base_currency=value)

    def cash_below_zero(self, queryset, name, value):
        if value is None:
            return queryset
        return accounts_with_negative_cash(queryset, negative=value)
