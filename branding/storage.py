"""Where issued statements live: per tenant, outside the public media tree.

A web server has to serve `MEDIA_URL` from `MEDIA_ROOT` (Wagtail's images and documents), so
anything stored there is one guessed URL away from anybody. Statements are kept in a private
tree instead (`STATEMENTS_ROOT`, by default `<MEDIA_ROOT>-private`, the same sibling of
MEDIA_ROOT as the applicants' documents), under the tenant's schema, and leave it only through
the access-checked download views (`statement_file_response`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection
from django.utils.deconstruct import deconstructible

logger = logging.getLogger(__name__)


def private_root() -> str:
    return getattr(settings, "STATEMENTS_ROOT", "") or (
        str(settings.MEDIA_ROOT).rstrip("/") + "-private"
    )


@deconstructible
class PrivateStatementStorage(FileSystemStorage):
    """`<STATEMENTS_ROOT>/<schema_name>/statements/…`; files have no URL."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return os.path.join(private_root(), connection.schema_name)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Issued statements have no public URL; use the download view.")


private_statement_storage = PrivateStatementStorage()


def accel_redirect_path(name: str) -> str | None:
    """The internal URI for nginx's `X-Accel-Redirect` when `STATEMENTS_ACCEL_REDIRECT_PREFIX`
    is set (an `internal` location aliased to STATEMENTS_ROOT); None to stream the file from
    Django."""
    prefix = getattr(settings, "STATEMENTS_ACCEL_REDIRECT_PREFIX", "")
    if not prefix:
        return None
    return prefix.rstrip("/") + "/" + quote(f"{connection.schema_name}/{name}")


@dataclass
class MoveReport:
    moved: list[str] = field(default_factory=list)
    already_moved: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def statement_files_move(*, names: Iterable[str], source: Storage, target: Storage) -> MoveReport:
    """Moves each named file from `source` to the same name in `target` (both file-system
    storages), so that rows keep their file names. Idempotent: a file already in `target` is
    left there (and its copy in `source` removed if it has the same bytes); a file in neither
    is reported as missing; a file in both with different bytes is left alone and reported.
    A file is copied under a temporary name and renamed, so an interrupted move never leaves a
    partial file under the real name."""
    report = MoveReport()
    for name in sorted({n for n in names if n}):
        src, dst = source.path(name), target.path(name)
        if os.path.exists(dst):
            if os.path.exists(src):
                if _sha256(src) != _sha256(dst):
                    report.conflicts.append(name)
                    continue
                os.remove(src)
            report.already_moved.append(name)
            continue
        if not os.path.exists(src):
            report.missing.append(name)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        partial = dst + ".partial"
        with open(src, "rb") as reader, open(partial, "wb") as writer:
            for chunk in iter(lambda: reader.read(1 << 20), b""):
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(partial, dst)
        os.remove(src)
        report.moved.append(name)
    if report.moved or report.missing or report.conflicts:
        log = logger.warning if report.missing or report.conflicts else logger.info
        log(
            "statement files in schema %s: %d moved, %d already moved, %d missing %s, "
            "%d differing copies left in place %s",
            connection.schema_name,
            len(report.moved),
            len(report.already_moved),
            len(report.missing),
            report.missing,
            len(report.conflicts),
            report.conflicts,
        )
    return report
