"""The self-service application on the tenant's host under /apply/: a multi-step form saved at
every step (resumable from the e-mailed link), document upload, review and submission."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from brokerportal.ratelimit import posted_address, rate_limited
from brokerportal.uploads import upload_limit
from compliance.disclosures import disclosures_shown
from compliance.services import client_ip

from .access import access_own_application, access_resume_token
from .forms import STEPS, DocumentForm, StartForm, SubmitForm
from .services import (
    application_draft_start,
    application_draft_update,
    application_submit,
    document_upload,
)
from .services.applications import EDITABLE_STATES

SESSION_KEY = "onboarding_application"
STEP_SLUGS = [slug for slug, _, _ in STEPS] + ["documents", "review"]


def _own(request, *, editable: bool = True):
    return access_own_application(
        tenant=request.tenant, public_id=request.session.get(SESSION_KEY), editable=editable
    )


def _errors_onto(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _initial(application, form_class) -> dict:
    initial = {}
    for name in form_class.base_fields:
        value = getattr(application, name, None)
        if name == "master_account":
            value = application.master_account.number if application.master_account else ""
        if value not in (None, ""):
            initial[name] = value
    for asset, years in (application.experience or {}).items():
        initial[f"experience_{asset}"] = years
    return initial


def _context(step: str, **extra) -> dict:
    steps = [(slug, title) for slug, title, _ in STEPS] + [
        ("documents", "Documents"),
        ("review", "Review and submit"),
    ]
    return {"steps": steps, "current": step, **extra}


def _next_step(slug: str):
    following = STEP_SLUGS[STEP_SLUGS.index(slug) + 1]
    if following in ("documents", "review"):
        return redirect(f"onboarding:{following}")
    return redirect("onboarding:step", slug=following)


@rate_limited("application_start", keys=posted_address)
@require_http_methods(["GET", "POST"])
def start(request):
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_draft_start(
                email=form.cleaned_data["email"], ip=client_ip(request)
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            request.session[SESSION_KEY] = str(application.public_id)
            return redirect("onboarding:step", slug=STEPS[0][0])
    return render(request, "onboarding/apply/start.html", {"form": form})


def resume(request, token: str):
    application = access_resume_token(tenant=request.tenant, token=token)
    request.session[SESSION_KEY] = str(application.public_id)
    if application.state not in EDITABLE_STATES:
        return redirect("onboarding:done")
    return redirect("onboarding:step", slug=STEPS[0][0])


@require_http_methods(["GET", "POST"])
def step(request, slug: str):
    specs = {s: (title, form_class) for s, title, form_class in STEPS}
    if slug not in specs:
        raise Http404("No such step.")
    application = _own(request)
    title, form_class = specs[slug]
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            data = form.service_data() if hasattr(form, "service_data") else form.cleaned_data
            try:
                application_draft_update(
                    application=application, data=dict(data), ip=client_ip(request)
                )
            except ValidationError as error:
                _errors_onto(form, error)
            else:
                if "save_later" in request.POST:
                    return render(
                        request, "onboarding/apply/saved.html", {"application": application}
                    )
                return _next_step(slug)
    else:
        form = form_class(initial=_initial(application, form_class))
    return render(
        request,
        "onboarding/apply/step.html",
        _context(slug, form=form, title=title, application=application),
    )


def _application_key(request) -> dict[str, str]:
    return {"application": request.session.get(SESSION_KEY) or ""}


@upload_limit("document")
@rate_limited("document_upload", keys=_application_key)
@require_http_methods(["GET", "POST"])
def documents(request):
    application = _own(request)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document_upload(
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return redirect("onboarding:documents")
    return render(
        request,
        "onboarding/apply/documents.html",
        _context(
            "documents",
            form=form,
            application=application,
            uploaded=list(application.documents.all()),
        ),
    )


def _shown_posted(value: str) -> list[dict]:
    """The `page:sha256` pairs of the review form's hidden field."""
    shown = []
    for pair in value.split(","):
        page, _, digest = pair.partition(":")
        if page.strip().isdigit() and len(digest.strip()) == 64:
            shown.append({"page": int(page), "sha256": digest.strip()})
    return shown


@require_http_methods(["GET", "POST"])
def review(request):
    application = _own(request)
    # The texts in force for the country of the holder's address, each with the hash of its
    # text; the form sends back the hashes it showed, and the submission refuses them when a
    # text changed in between.
    disclosures = disclosures_shown(country=application.country, today=timezone.localdate())
    form = SubmitForm(request.POST or None, disclosures_required=bool(disclosures))
    if request.method == "POST" and form.is_valid():
        try:
            application_submit(
                application=application,
                disclosures_accepted=_shown_posted(request.POST.get("shown", "")),
                ip=client_ip(request),
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return redirect("onboarding:done")
    return render(
        request,
        "onboarding/apply/review.html",
        _context(
            "review",
            form=form,
            disclosures=disclosures,
            shown=",".join(f"{d['page']}:{d['sha256']}" for d in disclosures),
            application=application,
            uploaded=list(application.documents.all()),
        ),
    )


def done(request):
    application = _own(request, editable=False)
    return render(request, "onboarding/apply/done.html", {"application": application})
