import os

from django.core.asgi import get_asgi_application

# Production unless told otherwise: development (DEBUG, media served by Django) is chosen
# explicitly by manage.py and the Makefile.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerportal.settings.production")
application = get_asgi_application()

from brokerportal.startup import serving_refuse_if_unsafe  # noqa: E402

serving_refuse_if_unsafe()
