"""Errors in one shape: RFC 9457 problem details (`type`, `title`, `status`, `detail`), with
field errors under `errors` (400). A refusal of a service or an Action (Django's
ValidationError, the ledger's errors: insufficient funds, already decided) is a 409."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from ledger.errors import LedgerError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


def _converted(exc):
    if isinstance(exc, LedgerError):
        return Conflict(" ".join(exc.messages))
    if isinstance(exc, DjangoValidationError):
        # A refusal of a service or an Action (compliance.actions): the request was understood
        # but the current state does not allow it.
        return Conflict(" ".join(exc.messages))
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def problem_details_handler(exc, context):
    exc = _converted(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body = {
        "type": "about:blank",
        "title": response.status_text,
        "status": response.status_code,
    }
    if isinstance(data, dict) and set(data) == {"detail"} and not isinstance(data["detail"], list):
        body["detail"] = str(data["detail"])
    elif isinstance(data, dict) and set(data) == {"detail"}:
        body["detail"] = " ".join(str(m) for m in data["detail"])
    else:
        body["detail"] = "The request has invalid fields."
        body["errors"] = data
    response.data = body
    response.content_type = "application/problem+json"
    return response
