"""The Broker Portal's upload of a carrying broker's IBKR Flex activity statement file, for the
staff who may import (`ledger.add_brokerstatement`; the operator holds every permission). The
file is imported whole (`ledger.services.flex`), booking only to the firm's accounts the
uploader may report on: a bad row — or a statement of any other account — is listed with its
statement, section, row and reason, all of them at once, and nothing is booked; success shows
what was booked and links to the reconciliation report."""

from __future__ import annotations

import hashlib

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from branding.statements.actions import FlexFileImport
from compliance.actions import action_view, refusal_text
from ledger.services.flex import FlexImportRefused

PERMISSION = FlexFileImport.permission


class FlexUploadForm(forms.Form):
    file = forms.FileField(
        label="Flex activity statement (XML)",
        help_text="A Flex query response from the carrying broker, as downloaded.",
    )


def _source_and_digest(upload) -> tuple[bytes | str, str]:
    """A large upload is on disk already: the import reads it from its path (streamed);
    a small one from memory."""
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path(), digest.hexdigest()
    upload.seek(0)
    return upload.read(), digest.hexdigest()


@action_view(FlexFileImport)
@require_http_methods(["GET", "HEAD", "POST"])
def flex_upload(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = (
        FlexUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else FlexUploadForm()
    )
    context = {"form": form, "result": None, "rows": None, "refusal": ""}
    status = 200
    if request.method == "POST" and form.is_valid():
        source, digest = _source_and_digest(form.cleaned_data["file"])
        action = FlexFileImport.from_request(request, source=source, digest=digest)
        try:
            context["result"] = action.execute()
        except FlexImportRefused as refused:
            context["rows"] = refused.rows
            status = 422
        except ValidationError as error:  # any other refusal: shown, nothing written
            context["refusal"] = refusal_text(error)
            status = 422
    elif request.method == "POST":
        status = 422
    return render(request, "branding/statements/staff_flex_upload.html", context, status=status)
