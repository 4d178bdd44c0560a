"""The e-mail panel of a staff user's Broker Portal account page (/broker/account/).

Wagtail's own name panel edits the address without asking for anything
(WAGTAIL_EMAIL_MANAGEMENT_ENABLED is off); password resets are sent to this address, so a change
needs the current password (ASVS 5.0 7.5.1) and is audited."""

from django import forms
from django.contrib.auth import authenticate
from wagtail.admin.views.account import BaseSettingsPanel

from compliance import services


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="Email")
    password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        help_text="Needed to change the address.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, instance, request, **kwargs):
        super().__init__(*args, initial={"email": instance.email}, **kwargs)
        self.user = instance
        self.request = request

    def _changed(self) -> bool:
        return self.cleaned_data.get("email", "").lower() != (self.user.email or "").lower()

    def clean(self):
        data = super().clean()
        if "email" not in data or not self._changed():
            return data
        # authenticate() so wrong passwords count towards the lockout like any other.
        checked = authenticate(
            self.request, username=self.user.get_username(), password=data.get("password", "")
        )
        if checked is None or checked.pk != self.user.pk:
            self.add_error("password", "Enter your current password to change the address.")
        return data

    def save(self):
        if self._changed():
            services.user_email_change(
                actor=self.request.user,
                user=self.user,
                email=self.cleaned_data["email"],
                ip=services.client_ip(self.request),
            )
        return self.user


class EmailSettingsPanel(BaseSettingsPanel):
    name = "email"
    title = "Email"
    order = 150
    form_class = EmailChangeForm

    def get_form(self):
        # Wagtail builds the panels more than once per request (to validate, then to show the
        # errors): one form per request, so a wrong password is checked, and counted, once.
        form = getattr(self.request, "_email_change_form", None)
        if form is None:
            data = self.request.POST if self.request.method == "POST" else None
            form = self.form_class(data, instance=self.user, request=self.request, prefix=self.name)
            self.request._email_change_form = form
        return form
