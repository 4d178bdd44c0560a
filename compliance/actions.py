"""Actions: the one way a staff verb is done, shared by the Broker Portal screens and the API.

After Wagtail's `wagtail/actions/` (e.g. `PublishPageRevisionAction`): an Action object carries
who acts and on what; `execute()` checks the permission, calls the service inside a transaction,
writes the audit record and turns domain errors into `ValidationError`. The view (or API
endpoint) stays thin: parse input, `access_*` the objects the request names, build the Action,
execute it, show the result. The base lives in `compliance`, next to the audit trail it writes
to: every app that has staff verbs already imports `compliance`, so no import cycle is added.

HOW TO ADD AN ACTION
    class GroupRename(Action):
        '''Rename an allocation group.'''
        fields = ("group", "name")              # keyword arguments besides actor/tenant/ip
        allowed_roles = (ADVISOR,)              # any of these roles (optional)
        permission = "allocations.change_group" # and/or a Django permission (optional)
        hide_refusal = False                    # True: a refused actor gets 404, not 403
        audit_action = "allocation.group_renamed"  # only if the service writes no audit record

        def perform(self):
            return services.group_rename(actor=self.actor, group=self.group, name=self.name)

        def audit_target(self, result):
            return f"group:{self.group.pk}"

  - Screens: decorate the view with `@action_view(GroupRename)` (a test checks that every
    Broker Portal view that accepts POST declares its Actions this way, and that every other
    one is `@read_view`), then
        outcome = action_submit(request, GroupRename.from_request(request, group=g, name=n),
                                done="Group renamed.")
    `action_submit` puts the success or refusal text in the page's messages.
  - API: `GroupRename(actor=request.user, tenant=request.tenant, group=g, name=n).execute()`;
    a `ValidationError` is the refusal (409), `PermissionDenied` a 403, `Http404` a 404.
  - Refusal text for a person, from any of these errors: `refusal_text(error)`.

The permission check here is the gate of the verb itself; the objects a request names still go
through their `access_*` helpers first (same 404 for missing and not allowed). Services keep the
checks that depend on the object's state (e.g. "already booked"), raised as ValidationError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.views.decorators.http import require_safe

from compliance.services.audit import audit_record, client_ip
from tenants.roles import has_role

DEFAULT_REFUSAL = "You may not do this."
# What a refused verb raises: the Action's own refusals and the services' (ledger errors are
# ValidationErrors).
REFUSALS = (ValidationError, PermissionDenied)


def refusal_text(error: BaseException, *, sep: str = " ") -> str:
    """The message for a person from a refusal: every message of a ValidationError (a form's or
    a field's, joined by `sep`), or the text of a PermissionDenied or a domain error; the
    default refusal when the error carries none."""
    if isinstance(error, ValidationError):
        text = sep.join(str(message) for message in error.messages)
    else:
        text = str(error)
    return text or DEFAULT_REFUSAL


class Action:
    """One staff verb. Subclasses set `fields` and implement `perform()`; see the module
    docstring for the steps."""

    fields: ClassVar[tuple[str, ...]] = ()
    allowed_roles: ClassVar[tuple[str, ...]] = ()
    permission: ClassVar[str] = ""
    staff_only: ClassVar[bool] = False
    hide_refusal: ClassVar[bool] = False
    refusal: ClassVar[str] = DEFAULT_REFUSAL
    audit_action: ClassVar[str] = ""
    # Errors of the domain that are not ValidationErrors but mean "refused, nothing written".
    domain_errors: ClassVar[tuple[type[Exception], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        taken = sorted(name for name in cls.fields if name in _RESERVED)
        if taken:
            raise TypeError(f"{cls.__name__}: fields may not be named {', '.join(taken)}")
        if "roles" in cls.__dict__:
            # A misspelt `allowed_roles` would silently let every role act.
            raise TypeError(f"{cls.__name__}: the roles that may act are `allowed_roles`")

    def __init__(self, *, actor, tenant=None, ip: str | None = None, **values: Any):
        unknown = sorted(set(values) - set(self.fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} takes no {', '.join(unknown)}")
        self.actor, self.tenant, self.ip = actor, tenant, ip
        for name in self.fields:
            if name in values:
                setattr(self, name, values[name])
            elif not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} needs {name}")

    @classmethod
    def from_request(cls, request, **values: Any) -> Action:
        """The Action for the signed-in user of `request`, on its tenant, from its address."""
        return cls(
            actor=request.user,
            tenant=getattr(request, "tenant", None),
            ip=client_ip(request),
            **values,
        )

    # -- permission ---------------------------------------------------------------------------
    def has_permission(self) -> bool:
        """An active, signed-in actor with one of `allowed_roles` (if any), the `permission`
        (if any) and staff status (if `staff_only`). Override for rules that need more."""
        actor = self.actor
        if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
            return False
        if self.staff_only and not actor.is_staff:
            return False
        if self.allowed_roles and not has_role(actor, *self.allowed_roles):
            return False
        return not self.permission or actor.has_perm(self.permission)

    def check(self) -> None:
        """Raise PermissionDenied (403), or Http404 when `hide_refusal`, unless permitted."""
        if not self.has_permission():
            raise (Http404 if self.hide_refusal else PermissionDenied)(self.refusal)

    # -- the verb -----------------------------------------------------------------------------
    def perform(self) -> Any:
        """Call the service; return what the caller shows."""
        raise NotImplementedError

    def audit_target(self, result: Any) -> str:
        return ""

    def audit_details(self, result: Any) -> dict[str, Any]:
        return {}

    def execute(self, *, skip_permission_checks: bool = False) -> Any:
        """Check, then perform and audit in one transaction: a refusal leaves nothing written."""
        if not skip_permission_checks:
            self.check()
        try:
            with transaction.atomic():
                result = self.perform()
                if self.audit_action:
                    audit_record(
                        actor=self.actor,
                        action=self.audit_action,
                        target=self.audit_target(result),
                        details=self.audit_details(result),
                        ip=self.ip,
                    )
        except self.domain_errors as error:
            raise ValidationError(str(error) or self.refusal) from error
        return result


# The Action's own settings and state: not available as field names.
_RESERVED = frozenset(
    {name for name in vars(Action) if not name.startswith("__")} | {"actor", "tenant", "ip"}
)


# -- screens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What `action_submit` did: `ok` and the Action's result, or the refusal text."""

    ok: bool
    result: Any = None
    refusal: str = ""


def action_submit(
    request,
    action: Action,
    *,
    done: str | Callable[[Any], str] | None = None,
    sep: str = " ",
) -> Outcome:
    """Execute `action` for a Broker Portal page. The permission check comes first and is not
    caught (403 or 404, as the page would answer); a refusal of the verb becomes an error
    message (joined by `sep`) and `done` (text, or a function of the result) a success
    message."""
    action.check()
    try:
        result = action.execute(skip_permission_checks=True)
    except REFUSALS as error:
        text = refusal_text(error, sep=sep)
        messages.error(request, text)
        return Outcome(ok=False, refusal=text)
    if done is not None:
        messages.success(request, done(result) if callable(done) else done)
    return Outcome(ok=True, result=result)


def action_view(*action_classes: type[Action]) -> Callable:
    """Declare the Actions through which a Broker Portal view's POST goes. Checked by
    tests/test_broker_actions.py for every view under /broker/ that accepts POST."""
    assert action_classes, "a view that posts names its Actions"

    def mark(view):
        view.action_classes = action_classes
        return view

    return mark


def read_view(view):
    """A Broker Portal view that only reads: GET and HEAD, anything else is refused (405)."""
    wrapped = require_safe(view)
    wrapped.reads_only = True
    return wrapped
