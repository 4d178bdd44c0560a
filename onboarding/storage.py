"""Where applicants' documents live: per tenant, outside the public media tree, so no web server
route serves them; they are read only through the access-checked download view."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateTenantStorage(FileSystemStorage):
    """`<ONBOARDING_DOCUMENTS_ROOT>/<schema_name>/…`; the root defaults to a sibling of
    MEDIA_ROOT named `<MEDIA_ROOT>-private`."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        root = getattr(settings, "ONBOARDING_DOCUMENTS_ROOT", "") or (
            str(settings.MEDIA_ROOT).rstrip("/") + "-private"
        )
        return os.path.join(root, connection.schema_name)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Applicants' documents have no public URL.")


private_document_storage = PrivateTenantStorage()
