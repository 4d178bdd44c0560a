"""The Actions base: permission gate, refusal text, declared fields, domain errors."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from compliance.actions import DEFAULT_REFUSAL, Action, refusal_text
from ledger.errors import InsufficientFunds


class Refused(Exception):
    pass


class Rename(Action):
    fields = ("name", "note")
    note = ""
    staff_only = True
    domain_errors = (Refused,)

    def perform(self):
        if self.name == "bad":
            raise Refused("Names may not be bad.")
        return self.name.upper()


def _user(**overrides):
    values = {"is_authenticated": True, "is_active": True, "is_staff": True, "is_superuser": False}
    values.update(overrides)
    return SimpleNamespace(**values, has_perm=lambda perm: False)


def test_refusal_text_reads_every_kind_of_refusal():
    # given
    form_errors = ValidationError({"amount": ["Too much."], "currency": ["Unknown."]})
    # when / then
    assert refusal_text(ValidationError(["One.", "Two."])) == "One. Two."
    assert refusal_text(ValidationError(["One.", "Two."]), sep="; ") == "One.; Two."
    assert refusal_text(form_errors) == "Too much. Unknown."
    assert refusal_text(InsufficientFunds("Only 10.00 USD.")) == "Only 10.00 USD."
    assert refusal_text(PermissionDenied("Officers only.")) == "Officers only."
    assert refusal_text(PermissionDenied()) == DEFAULT_REFUSAL


def test_action_takes_only_its_fields_and_needs_those_without_default():
    # when / then
    with pytest.raises(TypeError, match="takes no colour"):
        Rename(actor=_user(), name="x", colour="red")
    with pytest.raises(TypeError, match="needs name"):
        Rename(actor=_user())
    assert Rename(actor=_user(), name="x").note == ""


def test_a_field_may_not_shadow_the_actions_own_settings():
    # when / then: a field named `allowed_roles` would replace the roles the check asks for
    with pytest.raises(TypeError, match="may not be named allowed_roles, permission"):

        class Shadowing(Action):
            fields = ("user", "allowed_roles", "permission")


def test_permission_gate_refuses_with_403_or_hidden_404():
    # given
    class Hidden(Rename):
        hide_refusal = True
        refusal = "Not found."

    # when / then
    with pytest.raises(PermissionDenied):
        Rename(actor=_user(is_staff=False), name="x").check()
    with pytest.raises(PermissionDenied):
        Rename(actor=_user(is_active=False), name="x").check()
    with pytest.raises(PermissionDenied):
        Rename(actor=None, name="x").check()
    with pytest.raises(Http404, match="Not found."):
        Hidden(actor=_user(is_staff=False), name="x").check()
    Rename(actor=_user(), name="x").check()


@pytest.mark.django_db
def test_execute_returns_the_result_and_turns_domain_errors_into_validation_errors():
    # when / then
    assert Rename(actor=_user(), name="x").execute() == "X"
    with pytest.raises(ValidationError) as refused:
        Rename(actor=_user(), name="bad").execute()
    assert refused.value.messages == ["Names may not be bad."]
    with pytest.raises(PermissionDenied):
        Rename(actor=_user(is_staff=False), name="x").execute()
