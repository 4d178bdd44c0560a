"""Request bodies over the limit are refused while they are read, not after they were spooled
(ASVS 5.0 V5.2.1).

- `RequestSizeLimitMiddleware` answers 413 when the declared length (`Content-Length`) of a
  body is over its limit, before a byte of it is read: `UPLOAD_MAX_BYTES` for a body with files
  (or the view's own, smaller limit from `@upload_limit`), `DATA_UPLOAD_MAX_MEMORY_SIZE` for
  any other. For a form with files it then parses the body itself, before the CSRF check and
  the view, under the upload handler's cap.
- `CappedUploadHandler`, the first of FILE_UPLOAD_HANDLERS, counts the bytes of the files as
  they stream in and stops the upload (`StopUpload`) at the cap, whatever the length header
  said; the middleware turns that into 413 and the view never sees a partial file.
"""

import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict

VIEW_LIMIT_ATTR = "upload_limit_name"  # on a view: the name of its UPLOAD_LIMITS entry
LIMIT_ATTR = "upload_max_bytes"  # on a request: the cap in bytes for its files
REFUSED_ATTR = "_upload_refused"


def upload_limit(name: str):
    """A view decorator: bodies with files sent to this view are capped at
    `UPLOAD_LIMITS[name]` bytes instead of `UPLOAD_MAX_BYTES`."""

    def decorator(view):
        setattr(view, VIEW_LIMIT_ATTR, name)
        return view

    return decorator


def _limit_for(view_func) -> int:
    name = getattr(view_func, VIEW_LIMIT_ATTR, None)
    default = settings.UPLOAD_MAX_BYTES
    if name is None:
        return default
    return min(default, settings.UPLOAD_LIMITS[name])


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{math.ceil(size / 1024)} KB"


def _too_large(limit: int) -> HttpResponse:
    return HttpResponse(
        f"The request is larger than the {_size_text(limit)} this page accepts; nothing was "
        "stored.",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class CappedUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def _cap(self) -> int:
        return getattr(self.request, LIMIT_ATTR, None) or settings.UPLOAD_MAX_BYTES

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, REFUSED_ATTR, True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self._cap():
            # Handled: nothing of the body is read, nothing is parsed.
            self._refuse()
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self._cap():
            self._refuse()
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) holds the file


class RequestSizeLimitMiddleware:
    """Before CsrfViewMiddleware, which would otherwise read the body first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        with_files = request.content_type == "multipart/form-data"
        if with_files:
            limit = _limit_for(view_func)
            setattr(request, LIMIT_ATTR, limit)
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return _too_large(limit)
        if with_files and request.method == "POST":
            try:
                request.POST  # noqa: B018 - parsed here, under CappedUploadHandler's cap
            except RequestDataTooBig:
                return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            if getattr(request, REFUSED_ATTR, False):
                return _too_large(limit)
        return None
