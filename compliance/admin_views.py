"""Security Officer screens of the Broker Portal (registered in wagtail_hooks.py): users and
roles, account grants, lockouts, the audit trail, the access review and security settings.
Thin: parse input, access_* check, call a service, show the result."""

import io

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from compliance import services
from compliance.access import (
    access_access_review,
    access_accounts_for_grant,
    access_tenant_user,
    reviewer_require,
    security_officer_require,
)
from compliance.access_review import access_review_csv, review_rows
from compliance.actions import action_submit, action_view, read_view, refusal_text
from compliance.chain import audit_chain_state
from compliance.models import AuditRecord
from compliance.selectors import (
    access_reviews_overdue,
    access_reviews_recent,
    security_settings_get,
)
from compliance.sessions import reauth_recent, reauth_redirect
from compliance.user_actions import (
    AccessReviewOpen,
    AccessReviewSign,
    GrantAdd,
    GrantRemove,
    InvitationSend,
    LockoutUnlock,
    SecuritySettingsUpdate,
    StaffUserCreate,
    User2faReset,
    UserDeactivate,
    UserMakeViewOnly,
    UserRolesSet,
)
from ledger.access import NEEDS
from tenants.roles import ALL_ROLES, SECURITY_OFFICER, STAFF_ROLES, has_role

RIGHT_CHOICES = [(n, n.capitalize()) for n in NEEDS]


class StaffUserForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    roles = forms.MultipleChoiceField(
        choices=[(r, r) for r in STAFF_ROLES], widget=forms.CheckboxSelectMultiple
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=[(r, r) for r in ALL_ROLES], widget=forms.CheckboxSelectMultiple, required=False
    )


class GrantForm(forms.Form):
    accounts = forms.CharField(
        help_text="Account numbers, separated by commas or spaces. A master covers its subs."
    )
    rights = forms.MultipleChoiceField(
        choices=RIGHT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["view"]
    )


class SecuritySettingsForm(forms.Form):
    client_2fa_required = forms.BooleanField(required=False, label="Clients need a second factor")
    client_idle_timeout_minutes = forms.IntegerField(min_value=1, max_value=720)
    absolute_session_hours = forms.IntegerField(min_value=1, max_value=72)
    passkey_login_allowed = forms.BooleanField(
        required=False, label="Passkeys may sign in without the password"
    )


def _ip(request):
    return services.client_ip(request)


def _reauth_first(request, *, back_to: str):
    """Actions that weaken security need the officer's password from the last minutes: to the
    password page, then back to the form, which is sent again."""
    messages.info(request, "Confirm your password, then repeat the change.")
    return reauth_redirect(request, next_url=back_to)


def _act_weakens(action: str, data) -> bool:
    """A 2FA reset, and a grant that lets the user move money (fund)."""
    return action == "reset-2fa" or (action == "grant" and "fund" in data.getlist("rights"))


@read_view
def users(request):
    security_officer_require(request.user)
    query = request.GET.get("q", "").strip()
    people = get_user_model().objects.prefetch_related("groups").order_by("username")
    if query:
        people = people.filter(username__icontains=query)
    page = Paginator(people, 50).get_page(request.GET.get("p"))
    rows = [
        {
            "user": u,
            "roles": ", ".join(sorted(g.name for g in u.groups.all() if g.name in ALL_ROLES)),
            "has_2fa": user_has_device(u),
        }
        for u in page
    ]
    return render(request, "compliance/admin/users.html", {"page": page, "rows": rows, "q": query})


@action_view(StaffUserCreate)
def user_create(request):
    security_officer_require(request.user)
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = StaffUserCreate.from_request(
            request, base_url=request.build_absolute_uri("/"), **form.cleaned_data
        )
        try:
            user = action.execute()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{user.username} created; an invitation e-mail is on its way."
            )
            return redirect("compliance_admin:user", user.pk)
    return render(request, "compliance/admin/user_create.html", {"form": form})


@read_view
def user_detail(request, user_id):
    person = access_tenant_user(actor=request.user, user_id=user_id)
    rows = review_rows(tenant=request.tenant, username=person.username)
    rows = [r for r in rows if r.username == person.username]
    roles = sorted(g.name for g in person.groups.all() if g.name in ALL_ROLES)
    context = {
        "person": person,
        "rows": rows,
        "roles_form": RolesForm(initial={"roles": roles}),
        "grant_form": GrantForm(),
        "has_2fa": user_has_device(person),
    }
    return render(request, "compliance/admin/user_detail.html", context)


# The verbs of a user's page, by the slug its forms post to.
USER_ACTIONS = {
    "roles": UserRolesSet,
    "grant": GrantAdd,
    "revoke": GrantRemove,
    "deactivate": UserDeactivate,
    "view-only": UserMakeViewOnly,
    "reset-2fa": User2faReset,
    "invite": InvitationSend,
}


def _user_action(request, person, action: str):
    """The Action for a verb of a user's page, its input parsed (ValidationError if bad)."""
    values = {"user": person}
    if action == "roles":
        form = RolesForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        values["roles"] = form.cleaned_data["roles"]
    elif action in {"grant", "revoke"}:
        form = GrantForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        numbers = form.cleaned_data["accounts"].replace(",", " ").split()
        values["accounts"] = access_accounts_for_grant(
            actor=request.user, tenant=request.tenant, numbers=numbers
        )
        values["perms"] = form.cleaned_data["rights"]
    elif action == "invite":
        values["base_url"] = request.build_absolute_uri("/")
    return USER_ACTIONS[action].from_request(request, **values)


@action_view(*USER_ACTIONS.values())
@require_POST
def user_act(request, user_id, action):
    person = access_tenant_user(actor=request.user, user_id=user_id)
    if _act_weakens(action, request.POST) and not reauth_recent(request):
        return _reauth_first(request, back_to=reverse("compliance_admin:user", args=[person.pk]))
    if action not in USER_ACTIONS:
        return HttpResponse("Unknown action.", status=404)
    try:
        verb = _user_action(request, person, action)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        action_submit(
            request, verb, done=f"Done: {action.replace('-', ' ')} for {person.username}."
        )
    return redirect("compliance_admin:user", person.pk)


@read_view
def lockouts(request):
    security_officer_require(request.user)
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")
    return render(request, "compliance/admin/lockouts.html", {"attempts": attempts})


@action_view(LockoutUnlock)
@require_POST
def lockout_unlock(request):
    security_officer_require(request.user)
    username = request.POST.get("username", "")
    action_submit(
        request,
        LockoutUnlock.from_request(request, username=username),
        done=lambda cleared: f"Unlocked {username} ({cleared} lockout record(s) cleared).",
    )
    return redirect("compliance_admin:lockouts")


@read_view
def audit_log(request):
    reviewer_require(request.user)
    records = AuditRecord.objects.all()
    filters = {k: request.GET.get(k, "").strip() for k in ("action", "actor", "target")}
    if filters["action"]:
        records = records.filter(action__startswith=filters["action"])
    if filters["actor"]:
        records = records.filter(actor_username__icontains=filters["actor"])
    if filters["target"]:
        records = records.filter(target__icontains=filters["target"])
    page = Paginator(records, 100).get_page(request.GET.get("p"))
    context = {
        "page": page,
        "filters": filters,
        **audit_chain_state(request.tenant, verify=bool(request.GET.get("verify"))),
    }
    return render(request, "compliance/admin/audit.html", context)


@read_view
def access_review(request):
    reviewer_require(request.user)
    filters = {k: request.GET.get(k, "").strip() for k in ("username", "account", "right")}
    rows = review_rows(
        tenant=request.tenant,
        username=filters["username"],
        account_number=filters["account"],
        right=filters["right"] if filters["right"] in NEEDS else "",
    )
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        access_review_csv(rows, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-review.csv"'
        return response
    context = {"rows": rows, "filters": filters, "rights": NEEDS}
    return render(request, "compliance/admin/access_review.html", context)


@action_view(SecuritySettingsUpdate)
def security_settings(request):
    security_officer_require(request.user)
    current = security_settings_get()
    initial = {name: getattr(current, name) for name in services.settings.EDITABLE}
    form = SecuritySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        weakened = services.settings.security_settings_weakened(
            current=current, changes=form.cleaned_data
        )
        if weakened and not reauth_recent(request):
            return _reauth_first(request, back_to=reverse("compliance_admin:settings"))
        action = SecuritySettingsUpdate.from_request(request, changes=form.cleaned_data)
        if action_submit(request, action, done="Security settings saved.").ok:
            return redirect("compliance_admin:settings")
    return render(request, "compliance/admin/settings.html", {"form": form})


@action_view(AccessReviewOpen)
def access_reviews(request):
    reviewer_require(request.user)
    if request.method == "POST":
        outcome = action_submit(request, AccessReviewOpen.from_request(request))
        if outcome.ok:
            return redirect("compliance_admin:review", review_id=outcome.result.pk)
        return redirect("compliance_admin:reviews")
    today = timezone.now().date()
    context = {
        "reviews": access_reviews_recent(),
        "overdue": {r.pk for r in access_reviews_overdue(today=today)},
        "can_open": has_role(request.user, SECURITY_OFFICER),
    }
    return render(request, "compliance/admin/reviews.html", context)


@action_view(AccessReviewSign)
def access_review_detail(request, review_id: int):
    review = access_access_review(user=request.user, review_id=review_id)
    if request.method == "POST":
        decisions = {
            line.pk: request.POST.get(f"line-{line.pk}", "") for line in review.lines.all()
        }
        action = AccessReviewSign.from_request(request, review=review, decisions=decisions)
        action_submit(request, action, done=f"Access review {review.period_label} signed.")
        return redirect("compliance_admin:review", review_id=review.pk)
    context = {
        "review": review,
        "lines": review.lines.all(),
        "can_sign": has_role(request.user, SECURITY_OFFICER) and not review.is_signed,
    }
    return render(request, "compliance/admin/review.html", context)


@read_view
def access_review_file(request, review_id: int, fmt: str):
    review = access_access_review(user=request.user, review_id=review_id)
    if fmt not in ("pdf", "csv") or not review.is_signed:
        raise Http404("No such file.")
    field = getattr(review, fmt)
    return FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=f"access-review-{review.period_label}.{fmt}",
        content_type="application/pdf" if fmt == "pdf" else "text/csv",
    )
