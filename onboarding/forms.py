"""Forms of the self-service application, one per step. They only shape input; the values are
validated by `onboarding.validation` inside the services, whose errors land back on the fields."""

from django import forms

from .models import ApplicationDocument
from .validation import (
    APPLICANT_TYPES,
    ASSET_CLASSES,
    EMPLOYMENT_STATUSES,
    OBJECTIVES,
)


def _choices(values):
    return [(v, v.replace("_", " ").capitalize()) for v in values]


class StartForm(forms.Form):
    email = forms.EmailField(label="E-mail address")


class IdentityForm(forms.Form):
    applicant_type = forms.ChoiceField(choices=_choices(APPLICANT_TYPES))
    first_name = forms.CharField(max_length=100)
    middle_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100)
    entity_name = forms.CharField(max_length=200, required=False, label="Entity name (entities)")
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    citizenship = forms.CharField(max_length=3, help_text="Country code, e.g. US")
    tax_residency = forms.CharField(max_length=3, help_text="Country code, e.g. US")
    tax_id = forms.CharField(max_length=32, label="Tax id")


class ContactForm(forms.Form):
    phone = forms.CharField(max_length=32)
    address_line1 = forms.CharField(max_length=200, label="Address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address (line 2)")
    city = forms.CharField(max_length=100)
    region = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20)
    country = forms.CharField(max_length=3, help_text="Country code, e.g. US")


class FinancesForm(forms.Form):
    employment_status = forms.ChoiceField(choices=_choices(EMPLOYMENT_STATUSES))
    employer = forms.CharField(max_length=200, required=False)
    occupation = forms.CharField(max_length=100, required=False)
    annual_income = forms.DecimalField(min_value=0, decimal_places=2, max_digits=17)
    net_worth = forms.DecimalField(min_value=0, decimal_places=2, max_digits=17)
    liquid_net_worth = forms.DecimalField(min_value=0, decimal_places=2, max_digits=17)
    objectives = forms.MultipleChoiceField(
        choices=_choices(OBJECTIVES), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for asset in ASSET_CLASSES:
            self.fields[f"experience_{asset}"] = forms.IntegerField(
                min_value=0, max_value=80, required=False, label=f"Years trading {asset}"
            )

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("experience_")}
        data["experience"] = {
            asset: self.cleaned_data[f"experience_{asset}"]
            for asset in ASSET_CLASSES
            if self.cleaned_data.get(f"experience_{asset}")
        }
        return data


class AccountForm(forms.Form):
    trading_permissions = forms.MultipleChoiceField(
        choices=_choices(ASSET_CLASSES), widget=forms.CheckboxSelectMultiple
    )
    base_currency = forms.CharField(max_length=3, initial="USD")
    margin_type = forms.ChoiceField(choices=[("cash", "Cash"), ("reg_t", "Reg T margin")])
    master_account = forms.CharField(
        max_length=16, required=False, label="Advisor master account (if your advisor gave one)"
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=ApplicationDocument.Kind.choices)
    file = forms.FileField()


class SubmitForm(forms.Form):
    """The applicant's acceptance of the disclosures listed on the review page; with none in
    force for their country there is nothing to accept."""

    disclosures = forms.BooleanField(label="I have read and accept the disclosures listed above.")

    def __init__(self, *args, disclosures_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not disclosures_required:
            del self.fields["disclosures"]


STEPS = (
    ("identity", "Identity", IdentityForm),
    ("contact", "Contact and address", ContactForm),
    ("finances", "Employment and finances", FinancesForm),
    ("account", "Account set-up", AccountForm),
)
