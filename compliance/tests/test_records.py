"""Records kept and exportable: retention refused by the database, the records export and its
check, and access reviews that take effect when signed and are evidence afterwards."""

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from branding.statement_models import IssuedStatement
from branding.tests.factories import statement_issued
from compliance.models import AccessReview, AccessReviewLine
from compliance.records_verify import records_verify
from compliance.selectors import access_reviews_overdue
from compliance.services import grant_add
from compliance.services.access_reviews import (
    access_review_open,
    access_review_sign,
    review_period,
)
from compliance.services.records import records_export
from ledger.access import accounts_visible
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client


def _today():
    return timezone.now().date()


def _review_with_a_grant(tenant):
    """An advisor granted trade on an account, a Security Officer, and this period's review."""
    officer = user_make(tenant=tenant, username="so-review", roles=["Security Officer"])
    advisor = user_make(tenant=tenant, username="adv-review", roles=["Advisor/Trader"])
    with tenant_context(tenant):
        account, statement = statement_issued(tenant, title="Review Holder")
        grant_add(actor=None, user=advisor, accounts=[account], perms=["trade"], tenant=tenant)
        review = access_review_open(tenant=tenant)
    return officer, advisor, account, statement, review


def test_review_periods_follow_the_tenants_interval():
    assert review_period(day=dt.date(2026, 11, 5), months=3) == (
        "2026-Q4",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert review_period(day=dt.date(2026, 2, 28), months=6)[0] == "2026-H1"
    assert review_period(day=dt.date(2026, 7, 1), months=12) == (
        "2026",
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )


def test_an_issued_statement_cannot_be_deleted_within_the_retention_period(tenant_a):
    with tenant_context(tenant_a):
        # given
        _, statement = statement_issued(tenant_a)
        # when / then
        with pytest.raises(DatabaseError, match=r"retained until .* \(6 years"):
            with transaction.atomic():
                IssuedStatement.objects.filter(pk=statement.pk).delete()
        assert IssuedStatement.objects.filter(pk=statement.pk).exists()


def test_a_review_past_the_retention_period_may_be_deleted_and_a_recent_one_not(tenant_a):
    with tenant_context(tenant_a):
        old = AccessReview.objects.create(
            period_label="2015-Q1",
            period_start=dt.date(2015, 1, 1),
            due_on=dt.date(2015, 3, 31),
            created_at=timezone.now() - dt.timedelta(days=366 * 7),
        )
        recent = AccessReview.objects.create(
            period_label="2025-Q1", period_start=dt.date(2025, 1, 1), due_on=dt.date(2025, 3, 31)
        )
        old.delete()
        with pytest.raises(DatabaseError, match="retained until"), transaction.atomic():
            recent.delete()
        assert list(AccessReview.objects.filter(period_label__in=["2015-Q1", "2025-Q1"])) == [
            recent
        ]
        # and an unsigned review past its due day is an exception of the report
        assert recent in access_reviews_overdue(today=_today())


def test_the_review_lists_roles_and_direct_grants_and_refuses_an_undecided_line(tenant_a):
    officer, advisor, account, _, review = _review_with_a_grant(tenant_a)
    with tenant_context(tenant_a):
        lines = {
            (line.kind, line.username, line.role, line.account_number, line.rights)
            for line in review.lines.all()
        }
        assert ("grant", "adv-review", "", account.number, "view trade") in lines
        assert ("role", "adv-review", "Advisor/Trader", "", "") in lines
        assert ("role", "so-review", "Security Officer", "", "") in lines
        assert review.assigned_to_id is not None
        # the same period opens the same review
        assert access_review_open(tenant=tenant_a).pk == review.pk
        # when a line is left undecided
        first = review.lines.first()
        with pytest.raises(Exception, match="undecided"):
            access_review_sign(
                review=review, actor=officer, decisions={first.pk: "keep"}, tenant=tenant_a
            )
        # then nothing changed
        review.refresh_from_db()
        assert not review.is_signed
        assert set(review.lines.values_list("decision", flat=True)) == {""}
        assert account in accounts_visible(user=advisor, tenant=tenant_a, need="trade")


def test_a_signed_review_that_revokes_a_grant_removes_it_and_is_verifiable_from_the_export(
    tenant_a, tmp_path
):
    # given
    officer, advisor, account, statement, review = _review_with_a_grant(tenant_a)
    client = login(tenant_client(tenant_a), officer, tenant_a)
    with tenant_context(tenant_a):
        lines = list(review.lines.all())
        grant = next(x for x in lines if x.kind == "grant" and x.username == "adv-review")
    form = {f"line-{x.pk}": "revoke" if x.pk == grant.pk else "keep" for x in lines}
    # when: the Security Officer signs it on its page
    page = client.get(f"/broker/security/reviews/{review.pk}/").content.decode()
    assert f'name="line-{grant.pk}" value="revoke"' in page
    response = client.post(f"/broker/security/reviews/{review.pk}/", form)
    assert response.status_code == 302
    # then: the grant is gone, the review signed with its evidence
    with tenant_context(tenant_a):
        assert account not in accounts_visible(user=advisor, tenant=tenant_a)
        review.refresh_from_db()
        assert review.is_signed and review.signed_by_username == officer.get_username()
        assert AccessReviewLine.objects.get(pk=grant.pk).decision == "revoke"
        with review.csv.open("rb") as handle:
            csv_data = handle.read()
        assert hashlib.sha256(csv_data).hexdigest() == review.csv_sha256
        assert f"{grant.pk},adv-review,grant,,{account.number},view trade,revoke" in (
            csv_data.decode()
        )
        # and the signed review can no longer change
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            AccessReview.objects.filter(pk=review.pk).update(signed_by_username="someone")
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            AccessReviewLine.objects.filter(pk=grant.pk).update(decision="keep")
    shown = client.get(f"/broker/security/reviews/{review.pk}/").content.decode()
    assert f"<code>{review.pdf_sha256}</code>" in shown
    download = client.get(f"/broker/security/reviews/{review.pk}/csv/")
    assert b"".join(download.streaming_content) == csv_data
    # when the period's records are exported
    out = tmp_path / "records.zip"
    call_command(
        "records_export",
        tenant="tenant_a",
        start=str(_today() - dt.timedelta(days=1)),
        end=str(_today()),
        out=str(out),
        stdout=io.StringIO(),
    )
    # then: the export holds the statement and the review, and checks out
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        chain_lines = archive.read("audit/chain.jsonl").decode().splitlines()
    records = {entry["record"] for entry in manifest["files"]}
    assert {f"issued_statement:{statement.pk}", f"access_review:{review.pk}"} <= records
    review_csv = next(
        e for e in manifest["files"] if e["path"].endswith(f"{review.pk}-{review.period_label}.csv")
    )
    assert review_csv["sha256"] == review.csv_sha256 == review_csv["stored_sha256"]
    actions = [json.loads(line)["action"] for line in chain_lines]
    assert "access_review.sign" in actions and "access.revoke" in actions
    assert records_verify(out) == []
    verified = io.StringIO()
    call_command("records_verify", str(out), stdout=verified)
    assert verified.getvalue().strip().endswith(": intact")


def _rewritten(source, target, change):
    """A copy of the zip at `source` with `change(name, data)` applied to each member."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, change(name, archive.read(name)))


def test_flipping_one_byte_of_one_file_fails_the_check(tenant_a, tmp_path):
    # given an export with a statement
    with tenant_context(tenant_a):
        _, statement = statement_issued(tenant_a)
        out = tmp_path / "records.zip"
        manifest = records_export(tenant=tenant_a, start=_today(), end=_today(), out=out)
    assert records_verify(out) == []
    pdf = next(
        e["path"]
        for e in manifest["files"]
        if e["record"] == f"issued_statement:{statement.pk}" and e["path"].endswith(".pdf")
    )

    def flip(name, data):
        if name != pdf:
            return data
        return data[:100] + bytes([data[100] ^ 0x01]) + data[101:]

    # when one byte of the PDF is flipped (and the archive rebuilt around it)
    tampered = tmp_path / "tampered.zip"
    _rewritten(out, tampered, flip)
    # then
    problems = records_verify(tampered)
    assert any(p.startswith(f"{pdf}: SHA-256") for p in problems), problems
    with pytest.raises(CommandError, match="problem"):
        call_command("records_verify", str(tampered), stdout=io.StringIO())
    # when a byte of the archive itself is flipped inside the PDF's data
    raw = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as archive:
        info = archive.getinfo(pdf)
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    raw[offset] ^= 0x01
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    assert any(p.startswith(pdf) for p in records_verify(broken))


def test_an_edited_audit_record_in_the_export_fails_the_check(tenant_a, tmp_path):
    with tenant_context(tenant_a):
        statement_issued(tenant_a)
        out = tmp_path / "records.zip"
        records_export(tenant=tenant_a, start=_today(), end=_today(), out=out)

    def edit(name, data):
        if name != "audit/chain.jsonl":
            return data
        first = json.loads(data.decode().splitlines()[0])
        rest = data.decode().splitlines()[1:]
        first["canonical"] = first["canonical"].replace("statement", "stetement", 1)
        return ("\n".join([json.dumps(first), *rest]) + "\n").encode()

    tampered = tmp_path / "tampered.zip"
    _rewritten(out, tampered, edit)
    problems = records_verify(tampered)
    assert "audit/chain.jsonl: SHA-256 differs from the manifest's" in problems


def test_records_export_refuses_an_unknown_tenant_and_a_bad_period(db, tmp_path):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("records_export", tenant="nobody", start="2026-01-01", end="2026-01-31")
    with pytest.raises(CommandError, match="ends before"):
        call_command(
            "records_export",
            tenant="tenant_a",
            start="2026-02-01",
            end="2026-01-31",
            out=str(tmp_path / "x.zip"),
        )


def test_a_signed_review_that_revokes_roles_removes_them_and_records_each_in_the_chain(tenant_a):
    from compliance.chain import chain_for_tenant, chain_verify
    from compliance.models import AuditRecord

    # given the advisor's and the officer's own roles to decide
    officer, advisor, _, _, review = _review_with_a_grant(tenant_a)
    with tenant_context(tenant_a):
        lines = list(review.lines.all())
        roles = [x for x in lines if x.kind == "role" and x.username == "adv-review"]
        decisions = {x.pk: "revoke" if x in roles else "keep" for x in lines}
        before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
        # when
        access_review_sign(review=review, actor=officer, decisions=decisions, tenant=tenant_a)
        # then the role is gone, and each revocation is a record of the chain, before the
        # signature's own
        assert not advisor.groups.filter(name="Advisor/Trader").exists()
        added = list(
            AuditRecord.objects.filter(seq__gt=before)
            .order_by("seq")
            .values_list("action", "target", "details", "actor_username")
        )
        assert added[:-1] == [
            (
                "user.role_revoke",
                "user:adv-review",
                {"role": line.role, "review": review.period_label},
                "so-review",
            )
            for line in roles
        ]
        assert added[-1][0] == "access_review.sign"
        assert chain_verify(chain_for_tenant(tenant_a)).intact
