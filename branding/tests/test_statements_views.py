"""Downloads for clients and staff, and the Broker Portal run page with its progress bar."""

import datetime as dt
import hashlib
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from branding.statement_models import IssuedStatement, StatementRun
from branding.tests.factories import statement_issued
from tests.support.tenants import login, tenant_client

OCT = {
    "period_kind": "monthly",
    "period_start": date(2026, 10, 1),
    "period_end": date(2026, 10, 31),
}


def _issued(tenant, title="Zoë Łukasiewicz"):
    return statement_issued(tenant, title=title)


def _user(username, **extra):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", **extra
    )


def test_client_downloads_own_statement_and_gets_404_for_any_other(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        # given
        mine, statement = _issued(tenant_a)
        _, other = _issued(tenant_a, title="Someone else")
        client_user = _user("zoe")
        assign_perm("ledger.view_account", client_user, mine)
        url = reverse("statements:download", args=[statement.pk, "pdf"])
        other_url = reverse("statements:download", args=[other.pk, "pdf"])
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), client_user, tenant_a)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == statement.pdf_sha256
    assert client.get(other_url).status_code == 404
    assert client.get(reverse("statements:download", args=[statement.pk, "exe"])).status_code == 404
    # and on tenant B's host the same id is not found
    with tenant_context(tenant_b):
        stranger = _user("stranger")
    connection.set_schema_to_public()
    other_client = login(tenant_client(tenant_b), stranger, tenant_b)
    assert other_client.get(url).status_code == 404


def test_staff_run_page_shows_a_progress_bar_with_counts(
    tenant_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        # given
        account, _ = _issued(tenant_a)
        admin = _user("boss", is_staff=True, is_superuser=True)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), admin, tenant_a)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("branding_statement_run_create"),
            {"period_kind": "monthly", "period_start": "2026-10-01", "period_end": "2026-10-31"},
        )
    # then
    with tenant_context(tenant_a):
        run = StatementRun.objects.get()
        total = run.total
        assert IssuedStatement.objects.filter(account=account).count() == 1
    connection.set_schema_to_public()
    assert response.status_code == 302
    page = client.get(reverse("branding_statement_run", args=[run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<progress id="run-progress" max="{total}" value="{total}"' in html
    progress = client.get(reverse("branding_statement_run", args=[run.pk]) + "?format=json").json()
    assert progress == {"total": total, "issued": total, "failed": 0, "percent": 100, "done": True}
    assert client.get(reverse("branding_statement_run", args=[run.pk + 1000])).status_code == 404


def test_staff_without_the_run_permission_cannot_start_a_run(tenant_a):
    with tenant_context(tenant_a):
        # given: staff who may use the Broker Portal but not statements
        viewer = _user("viewer", is_staff=True)
        assign_perm("wagtailadmin.access_admin", viewer)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), viewer, tenant_a)
    # when
    response = client.post(
        reverse("branding_statement_run_create"),
        {"period_kind": "monthly", "period_start": "2026-10-01", "period_end": "2026-10-31"},
    )
    # then: refused (the Broker Portal answers a refusal by sending the user to its home page)
    assert (response.status_code, response["Location"]) == (302, "/broker/")
    with tenant_context(tenant_a):
        assert StatementRun.objects.count() == 0


def test_month_end_run_summary_prints_the_audit_chain_anchors_of_the_period(
    tenant_a, django_capture_on_commit_callbacks
):
    # given: audit records on a day of October 2026
    import time_machine

    from compliance.models import AuditRecord
    from compliance.services import audit_record

    with tenant_context(tenant_a):
        with time_machine.travel(dt.datetime(2026, 10, 14, 12, tzinfo=dt.UTC), tick=False):
            audit_record(actor=None, action="test.anchor", target="october")
        head = AuditRecord.objects.filter(created_at__date__lte=date(2026, 10, 14)).order_by(
            "-seq"
        )[0]
        admin = _user("boss-anchor", is_staff=True, is_superuser=True)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), admin, tenant_a)
    # when: the month-end run is started after the month closed
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=True):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("branding_statement_run_create"),
                {
                    "period_kind": "monthly",
                    "period_start": "2026-10-01",
                    "period_end": "2026-10-31",
                },
            )
        with tenant_context(tenant_a):
            run = StatementRun.objects.get()
        connection.set_schema_to_public()
        html = client.get(reverse("branding_statement_run", args=[run.pk])).content.decode()
    # then: the day's head is printed in the summary
    assert (
        f"<td>this firm</td><td>2026-10-14</td><td>#{head.seq}</td>"
        f"<td><code>{head.record_hash}</code></td>"
    ) in html
