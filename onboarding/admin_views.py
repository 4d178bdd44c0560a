"""Broker Portal screens (Wagtail admin views): the application queue, an application with its
checks, documents and actions, documents download, bulk upload with its report, watch list."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from brokerportal.uploads import upload_limit
from compliance.services import client_ip

from . import services
from .access import access_application, access_bulk_import, access_document
from .checks import CHECK_NAMES
from .models import Application, ApplicationDocument
from .selectors import application_detail, application_queue, bulk_imports_recent, watchlist_size
from .services.workflow import REVIEWER_ROLES, has_role

PAGE_SIZE = 50


def _reviewer(request) -> None:
    if not has_role(request.user, *REVIEWER_ROLES):
        raise Http404("Not found.")


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


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


def detail(request, application_id: int):
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    context = application_detail(tenant=request.tenant, application=application)
    context["check_names"] = CHECK_NAMES
    context["blocking"] = services.checks_blocking(application)
    context["document_kinds"] = ApplicationDocument.Kind.choices
    return render(request, "onboarding/admin/detail.html", context)


ACTIONS = {
    "review_start": lambda a, r, reason: services.application_review_start(
        application=a, actor=r.user, ip=client_ip(r)
    ),
    "information_request": lambda a, r, reason: services.application_information_request(
        application=a, actor=r.user, reason=reason, ip=client_ip(r)
    ),
    "approve": lambda a, r, reason: services.application_approve(
        application=a, actor=r.user, reason=reason, ip=client_ip(r)
    ),
    "reject": lambda a, r, reason: services.application_reject(
        application=a, actor=r.user, reason=reason, ip=client_ip(r)
    ),
    "withdraw": lambda a, r, reason: services.application_withdraw(
        application=a, actor=r.user, reason=reason, ip=client_ip(r)
    ),
    "checks_run": lambda a, r, reason: services.application_checks_run(application=a),
    "override": lambda a, r, reason: services.check_override(
        application=a,
        check_name=r.POST.get("check_name", ""),
        actor=r.user,
        reason=reason,
        ip=client_ip(r),
    ),
}


@require_POST
def act(request, application_id: int, action: str):
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    if action not in ACTIONS:
        raise Http404("No such action.")
    try:
        ACTIONS[action](application, request, request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(
            request, f"Application #{application.pk}: {action.replace('_', ' ')} done."
        )
    return redirect("onboarding_admin:detail", application_id=application.pk)


@upload_limit("document")
@require_POST
def document_add(request, application_id: int):
    """A reviewer attaches a document the applicant sent by other means."""
    application = access_application(
        user=request.user, tenant=request.tenant, application_id=application_id
    )
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError("Choose a PDF, PNG or JPEG file.")
        services.document_upload(
            application=application,
            kind=request.POST.get("kind", ""),
            upload=upload,
            actor=request.user,
            ip=client_ip(request),
        )
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, "Document added.")
    return redirect("onboarding_admin:detail", application_id=application.pk)


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


def bulk(request):
    _reviewer(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV or XML file.")
        else:
            try:
                result = services.bulk_import(
                    actor=request.user, upload=upload, ip=client_ip(request)
                )
            except PermissionDenied as error:
                messages.error(request, str(error))
            else:
                return redirect("onboarding_admin:bulk_detail", bulk_import_id=result.pk)
    return render(
        request,
        "onboarding/admin/bulk.html",
        {"imports": bulk_imports_recent(tenant=request.tenant)},
    )


def bulk_detail(request, bulk_import_id: int):
    result = access_bulk_import(
        user=request.user, tenant=request.tenant, bulk_import_id=bulk_import_id
    )
    return render(request, "onboarding/admin/bulk_detail.html", {"result": result})


def bulk_report(request, bulk_import_id: int):
    result = access_bulk_import(
        user=request.user, tenant=request.tenant, bulk_import_id=bulk_import_id
    )
    response = HttpResponse(result.report_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bulk-import-{result.pk}-report.csv"'
    return response


def watchlist(request):
    _reviewer(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError("Choose a CSV file with name and date_of_birth columns.")
            count = services.watchlist_replace(
                actor=request.user,
                data=upload.read(services.watchlist.WATCHLIST_MAX_BYTES + 1),
                source=upload.name or "upload",
                ip=client_ip(request),
            )
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        else:
            messages.success(request, f"The watch list now holds {count} names.")
            return redirect("onboarding_admin:watchlist")
    return render(
        request, "onboarding/admin/watchlist.html", {"size": watchlist_size(tenant=request.tenant)}
    )
