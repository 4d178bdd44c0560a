"""ASVS 5.0 V2.4.1 (anti-automation) and V5.2.1 (upload size): the public forms and the API are
throttled per client address and per e-mail address (429 with Retry-After), and bodies over
their limit are refused with 413 before they are read, with nothing stored."""

import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload
from django.db import connection
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django_tenants.utils import tenant_context

from brokerportal.uploads import REFUSED_ATTR, CappedUploadHandler
from onboarding.models import Application, ApplicationDocument
from onboarding.storage import private_document_storage
from tests.support.tenants import login, tenant_client

PDF = b"%PDF-1.4\n" + b"0" * 200 + b"\n%%EOF\n"


@pytest.fixture
def low_limits(settings):
    settings.RATE_LIMITS = {
        "application_start": {"ip": "3/hour", "address": "2/hour"},
        "password_reset": {"ip": "3/hour", "address": "2/hour"},
        "document_upload": {"ip": "3/hour", "application": "2/hour"},
    }
    return settings


def _assert_429(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many attempts" in response.content.decode()


def test_v2_4_1_application_starts_from_one_address_are_limited(tenant_a, low_limits):
    # given: three starts from one address, each for another e-mail address
    client = tenant_client(tenant_a)
    for n in range(3):
        assert client.post("/apply/", {"email": f"a{n}@example.com"}).status_code == 302
    # when: the fourth from the same address
    response = client.post("/apply/", {"email": "a3@example.com"})
    # then: refused, and nothing created; another address may still start
    _assert_429(response)
    with tenant_context(tenant_a):
        assert sorted(Application.objects.values_list("email", flat=True)) == [
            "a0@example.com",
            "a1@example.com",
            "a2@example.com",
        ]
    other = tenant_client(tenant_a, REMOTE_ADDR="192.0.2.7")
    assert other.post("/apply/", {"email": "b@example.com"}).status_code == 302
    # and the form itself is still shown
    assert client.get("/apply/").status_code == 200


def test_v2_4_1_application_starts_for_one_e_mail_address_are_limited(tenant_a, low_limits):
    # given: two starts for one e-mail address from two places
    for n in range(2):
        client = tenant_client(tenant_a, REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert client.post("/apply/", {"email": "Same@Example.com"}).status_code == 302
    # when: a third, from yet another place, in other letter case
    client = tenant_client(tenant_a, REMOTE_ADDR="192.0.2.9")
    response = client.post("/apply/", {"email": "same@example.com "})
    # then
    _assert_429(response)
    with tenant_context(tenant_a):
        assert Application.objects.count() == 2


@pytest.mark.parametrize("known", [True, False])
def test_v2_4_1_password_resets_for_one_address_are_limited(tenant_a, low_limits, known):
    with tenant_context(tenant_a):
        # given: a client login (or none, which answers the same: V6.3.8)
        if known:
            get_user_model().objects.create_user(
                username="zoe", email="zoe@example.com", password="a long enough password"
            )
    connection.set_schema_to_public()
    for n in range(2):
        client = tenant_client(tenant_a, REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert client.post("/auth/reset/", {"email": "zoe@example.com"}).status_code == 302
    # when: a third reset for the same address, from elsewhere
    client = tenant_client(tenant_a, REMOTE_ADDR="198.51.100.9")
    response = client.post("/auth/reset/", {"email": "zoe@example.com"})
    # then: refused, and no third e-mail
    _assert_429(response)
    assert len(mail.outbox) == (2 if known else 0)


def test_v2_4_1_password_resets_from_one_ip_are_limited(tenant_a, low_limits):
    client = tenant_client(tenant_a)
    for n in range(3):
        assert client.post("/auth/reset/", {"email": f"x{n}@example.com"}).status_code == 302
    _assert_429(client.post("/auth/reset/", {"email": "x9@example.com"}))


def test_v2_4_1_limits_are_per_tenant(tenant_a, tenant_b, low_limits):
    # given: tenant A's limit reached from one address
    client = tenant_client(tenant_a)
    for n in range(3):
        client.post("/apply/", {"email": f"a{n}@example.com"})
    _assert_429(client.post("/apply/", {"email": "a9@example.com"}))
    # when / then: the same address on tenant B's host is not affected
    assert tenant_client(tenant_b).post("/apply/", {"email": "b@example.com"}).status_code == 302


def test_v2_4_1_api_calls_are_throttled_per_user_with_retry_after(tenant_a, settings):
    # given
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    with tenant_context(tenant_a):
        user = get_user_model().objects.create_user(username="program", email="p@example.com")
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), user, tenant_a)
    for _ in range(3):
        assert client.get("/api/v1/").status_code == 200
    # when
    response = client.get("/api/v1/")
    # then
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")
    # and anonymous calls get nothing, not even the schema (for logged-in users only): 401
    anonymous = tenant_client(tenant_a)
    answers = [anonymous.get("/api/v1/schema/") for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert answers[0]["WWW-Authenticate"] == "Bearer"


def _applicant(tenant):
    client = tenant_client(tenant)
    assert client.post("/apply/", {"email": "docs@example.com"}).status_code == 302
    with tenant_context(tenant):
        application = Application.objects.get(email="docs@example.com")
    connection.set_schema_to_public()
    return client, application


def _stored(tenant, application) -> list[str]:
    with tenant_context(tenant):
        folder = private_document_storage.path(f"onboarding/{application.public_id}")
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_v5_2_1_document_upload_over_the_cap_is_refused_with_413_and_nothing_stored(
    tenant_a, settings
):
    # given: documents capped at 4 KB for this test
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "document": 4096}
    client, application = _applicant(tenant_a)
    small = io.BytesIO(PDF)
    small.name = "passport.pdf"
    large = io.BytesIO(PDF + b"0" * 8192)
    large.name = "passport.pdf"
    # when
    refused = client.post("/apply/documents/", {"kind": "identity", "file": large})
    # then
    assert refused.status_code == 413
    assert refused.content.decode() == (
        "The request is larger than the 4 KB this page accepts; nothing was stored."
    )
    with tenant_context(tenant_a):
        assert ApplicationDocument.objects.filter(application=application).count() == 0
    assert _stored(tenant_a, application) == []
    # and a document under the cap is still taken
    accepted = client.post("/apply/documents/", {"kind": "identity", "file": small})
    assert accepted.status_code == 302
    with tenant_context(tenant_a):
        assert ApplicationDocument.objects.filter(application=application).count() == 1


def test_v5_2_1_upload_over_the_cap_is_refused_before_the_body_is_read(settings):
    # given: a multipart body of 10 KB against a cap of 4 KB
    settings.UPLOAD_MAX_BYTES = 4096
    upload = io.BytesIO(b"x" * 10_000)
    upload.name = "big.pdf"
    body = encode_multipart(BOUNDARY, {"file": upload})
    stream = io.BytesIO(body)
    request = RequestFactory().post("/")
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handlers = [CappedUploadHandler(request), MemoryFileUploadHandler(request)]
    # when
    post, files = MultiPartParser(meta, stream, handlers).parse()
    # then: nothing was read, nothing parsed, the request is marked refused
    assert stream.tell() == 0
    assert (dict(post), dict(files)) == ({}, {})
    assert getattr(request, REFUSED_ATTR) is True


def test_v5_2_1_upload_handler_stops_a_stream_that_grows_past_the_cap(settings):
    # given: a body whose declared length was under the cap
    settings.UPLOAD_MAX_BYTES = 4096
    request = RequestFactory().post("/")
    handler = CappedUploadHandler(request)
    assert handler.handle_raw_input(None, {}, 1000, BOUNDARY) is None
    # when / then: the chunks that arrive go past it
    assert handler.receive_data_chunk(b"x" * 4000, 0) == b"x" * 4000
    with pytest.raises(StopUpload) as stopped:
        handler.receive_data_chunk(b"x" * 200, 4000)
    assert stopped.value.connection_reset is True
    assert getattr(request, REFUSED_ATTR) is True


def test_v5_2_1_form_body_over_the_data_limit_is_refused_with_413(tenant_a, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = tenant_client(tenant_a)
    # when
    response = client.post("/apply/", {"email": "big@example.com", "padding": "x" * 5000})
    # then
    assert response.status_code == 413
    with tenant_context(tenant_a):
        assert Application.objects.count() == 0
