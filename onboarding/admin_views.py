"""Broker Portal screens (Wagtail admin views): the application queue, an application with its
checks, documents and actions, documents download, bulk upload with its report, watch list."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from brokerportal.uploads import upload_limit
from compliance.actions import action_submit, action_view, read_view
from tenants.roles import role_required

from . import services
from .access import access_application, access_bulk_import, access_document
from .actions import (
    APPLICATION_ACTIONS,
    BulkImport,
    DocumentAdd,
    HolderAddressChange,
    WatchlistReplace,
)
from .checks import CHECK_NAMES
from .models import Application, ApplicationDocument
from .selectors import application_detail, application_queue, bulk_imports_recent, watchlist_size
from .services.holder import ADDRESS_FIELDS
from .services.workflow import REVIEWER_ROLES

PAGE_SIZE = 50


def _reviewer(request) -> None:
    role_required(request.user, *REVIEWER_ROLES, refusal="Not found.", hide=True)


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


@read_view
def queue(request):
    _reviewer(request)
    params = request.GET
    failed = {"yes": True, "no": False}.get(params.get("failed", ""))
    assigned = params.get("assigned", "")
    applications = application_queue(
        tenant=request.tenant,
        state=params.get("state", "") if params.get("state") in Application.State.values else "",
        older_than_days=_int_or_none(params.get("older_than")),
        assigned_to_id=request.user.pk if assigned == "me" else _int_or_none(assigned),
        unassigned=assigned == "none",
        failed_checks=failed,
        search=params.get("q", "").strip(),
    )
    page = Paginator(applications, PAGE_SIZE).get_page(params.get("p"))
    return render(
        request,
        "onboarding/admin/queue.html",
        {"page": page, "states": Application.State.choices, "params": params},
    )


@read_view
def detail(request, application_id: int):
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    context = application_detail(tenant=request.tenant, application=application)
    context["check_names"] = CHECK_NAMES
    context["blocking"] = services.checks_blocking(application)
    context["document_kinds"] = ApplicationDocument.Kind.choices
    return render(request, "onboarding/admin/detail.html", context)


@action_view(*APPLICATION_ACTIONS.values())
@require_POST
def act(request, application_id: int, action: str):
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    if action not in APPLICATION_ACTIONS:
        raise Http404("No such action.")
    values = {"application": application, "reason": request.POST.get("reason", "")}
    if action == "override":
        values["check_name"] = request.POST.get("check_name", "")
    action_submit(
        request,
        APPLICATION_ACTIONS[action].from_request(request, **values),
        done=f"Application #{application.pk}: {action.replace('_', ' ')} done.",
    )
    return redirect("onboarding_admin:detail", application_id=application.pk)


@action_view(HolderAddressChange)
@require_POST
def address_change(request, application_id: int):
    """A reviewer changes the address of record of an opened account's holder."""
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    address = {name: request.POST.get(name, "") for name in ADDRESS_FIELDS}
    action = HolderAddressChange.from_request(request, application=application, address=address)
    action_submit(request, action, done="Address of record changed.")
    return redirect("onboarding_admin:detail", application_id=application.pk)


@action_view(DocumentAdd)
@upload_limit("document")
@require_POST
def document_add(request, application_id: int):
    """A reviewer attaches a document the applicant sent by other means."""
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a PDF, PNG or JPEG file.")
    else:
        action = DocumentAdd.from_request(
            request, application=application, kind=request.POST.get("kind", ""), upload=upload
        )
        action_submit(request, action, done="Document added.")
    return redirect("onboarding_admin:detail", application_id=application.pk)


@read_view
def document_download(request, document_id: int):
    document = access_document(user=request.user, tenant=request.tenant, document_id=document_id)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"application-{document.application_id}-{document.kind}."
        + document.file.name.rsplit("/", 1)[-1],
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@action_view(BulkImport)
def bulk(request):
    _reviewer(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV or XML file.")
        else:
            outcome = action_submit(request, BulkImport.from_request(request, upload=upload))
            if outcome.ok:
                return redirect("onboarding_admin:bulk_detail", bulk_import_id=outcome.result.pk)
    return render(
        request,
        "onboarding/admin/bulk.html",
        {"imports": bulk_imports_recent(tenant=request.tenant)},
    )


@read_view
def bulk_detail(request, bulk_import_id: int):
    result = access_bulk_import(
        user=request.user, tenant=request.tenant, bulk_import_id=bulk_import_id
    )
    return render(request, "onboarding/admin/bulk_detail.html", {"result": result})


@read_view
def bulk_report(request, bulk_import_id: int):
    result = access_bulk_import(
        user=request.user, tenant=request.tenant, bulk_import_id=bulk_import_id
    )
    response = HttpResponse(result.report_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bulk-import-{result.pk}-report.csv"'
    return response


@action_view(WatchlistReplace)
def watchlist(request):
    _reviewer(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file with name and date_of_birth columns.")
        else:
            outcome = action_submit(
                request,
                WatchlistReplace.from_request(request, upload=upload),
                done=lambda count: f"The watch list now holds {count} names.",
                sep="; ",
            )
            if outcome.ok:
                return redirect("onboarding_admin:watchlist")
    return render(
        request, "onboarding/admin/watchlist.html", {"size": watchlist_size(tenant=request.tenant)}
    )
