from decimal import Decimal

from django import forms

CURRENCIES = [("USD", "USD"), ("EUR", "EUR"), ("GBP", "GBP"), ("CHF", "CHF"), ("JPY", "JPY")]


def _amount() -> forms.DecimalField:
    return forms.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))


class AccountChoiceForm(forms.Form):
    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = list(accounts)
        choices = [(a.pk, f"{a.number} · {a.title}") for a in accounts]
        for index, name in enumerate(self.account_fields):
            # From and To start on different accounts where there are two to choose from.
            initial = accounts[index].pk if len(accounts) > index else None
            self.fields[name] = forms.TypedChoiceField(choices=choices, coerce=int, initial=initial)
        self.order_fields([*self.account_fields])


class DepositNoticeForm(AccountChoiceForm):
    account_fields = ("account",)
    amount = _amount()
    currency = forms.ChoiceField(choices=CURRENCIES)
    method = forms.ChoiceField(choices=[("wire", "Wire"), ("ach", "ACH"), ("check", "Check")])
    expected_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False)


class WithdrawalForm(AccountChoiceForm):
    account_fields = ("account",)
    amount = _amount()
    currency = forms.ChoiceField(choices=CURRENCIES)
    destination = forms.CharField(max_length=200, help_text="Bank account on file (IBAN or ABA)")


class InternalTransferForm(AccountChoiceForm):
    account_fields = ("from_account", "to_account")
    amount = _amount()
    currency = forms.ChoiceField(choices=CURRENCIES)

    def clean(self):
        data = super().clean()
        if data.get("from_account") and data.get("from_account") == data.get("to_account"):
            raise forms.ValidationError("Choose two different accounts.")
        return data


class NewThreadForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)


class ReplyForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Your message"
    )


def _price(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=20, decimal_places=6, min_value=Decimal("0.000001"), required=False, label=label
    )


class OrderTicketForm(AccountChoiceForm):
    """The trade ticket. Paper accounts are named as such in the account choice."""

    account_fields = ("account",)
    instrument = forms.IntegerField(widget=forms.HiddenInput)
    side = forms.ChoiceField(
        choices=[
            ("buy", "Buy"),
            ("sell", "Sell"),
            ("sell_short", "Sell short"),
            ("buy_to_cover", "Buy to cover"),
        ]
    )
    order_type = forms.ChoiceField(
        label="Order type",
        choices=[
            ("market", "Market"),
            ("limit", "Limit"),
            ("stop", "Stop"),
            ("stop_limit", "Stop limit"),
        ],
    )
    quantity = forms.DecimalField(
        max_digits=20, decimal_places=4, min_value=Decimal("0.0001"), required=False
    )
    cash_amount = forms.DecimalField(
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        label="Or an amount of cash (stocks and ETFs)",
    )
    limit_price = _price("Limit price")
    stop_price = _price("Stop price")
    time_in_force = forms.ChoiceField(
        label="Time in force", choices=[("day", "Day"), ("gtc", "Good till cancelled")]
    )
    take_profit_price = _price("Bracket: take-profit limit (optional)")
    stop_loss_price = _price("Bracket: stop-loss stop (optional)")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, accounts=accounts, **kwargs)
        self.fields["account"].choices = [
            (a.pk, f"{a.number} · PAPER (simulated)" if a.is_paper else f"{a.number} · {a.title}")
            for a in accounts
        ]
