"""Issuing: month-end runs, re-runs, corrections, immutability, delivery, tenant scoping."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.http import Http404
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from branding.statement_models import (
    IssuedStatement,
    StatementDelivery,
    StatementFailure,
    StatementRun,
)
from branding.statements.delivery import statements_ready_emails_send
from branding.statements.selectors import (
    access_issued_statement,
    run_progress,
    statements_for,
)
from branding.statements.services import (
    statement_correct,
    statement_issue,
    statement_run_start,
    statements_issue_for_run,
)
from branding.tasks import batch_size
from ledger.services import account_open, cash_deposit
from tenants.roles import CLIENT, roles_ensure

D = Decimal
OCT = {
    "period_kind": "monthly",
    "period_start": date(2026, 10, 1),
    "period_end": date(2026, 10, 31),
}


def _client(account, *, username="zoe"):
    roles_ensure()
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        first_name="Zoë",
        last_name="Łukasiewicz",
    )
    user.groups.add(Group.objects.get(name=CLIENT))
    assign_perm("ledger.view_account", user, account)
    return user


def _accounts(tenant, count):
    accounts = []
    for i in range(count):
        account = account_open(tenant=tenant, title=f"Client {i}", account_type="individual")
        cash_deposit(
            account=account,
            amount=D(1000 + i),
            currency="USD",
            idempotency_key=f"run-dep-{account.pk}",
            value_date=date(2026, 10, 2),
        )
        accounts.append(account)
    return accounts


def test_month_end_run_issues_one_statement_per_account_and_a_rerun_adds_nothing(
    tenant_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a):
        # given
        accounts = _accounts(tenant_a, 3)
        _client(accounts[0])
        # when
        with django_capture_on_commit_callbacks(execute=True):
            run = statement_run_start(tenant=tenant_a, user=None, **OCT)
        issued = list(IssuedStatement.objects.filter(run=run).order_by("account__number"))
        # then
        assert run.total == 3
        assert [s.account_id for s in issued] == [a.pk for a in accounts]
        assert [s.ending_value for s in issued] == [D(1000), D(1001), D(1002)]
        for statement in issued:
            assert statement.pdf_sha256 == hashlib.sha256(statement.pdf.read()).hexdigest()
            assert statement.xml.read().startswith(b"<?xml")
        # the client's name, not the account title, heads the client's statement
        first_page = PdfReader(issued[0].pdf.open("rb")).pages[0].extract_text()
        assert "Zoë Łukasiewicz" in first_page
        progress = run_progress(tenant=tenant_a, run=run)
        assert (progress.total, progress.issued, progress.failed, progress.percent) == (
            3,
            3,
            0,
            100,
        )
        assert [m.to for m in mail.outbox] == [["zoe@example.com"]]
        assert "is ready" in mail.outbox[0].subject
        # the link is absolute, on the tenant's own host, in both parts of the e-mail
        link = f"https://{tenant_a.get_primary_domain().domain}/statements/{issued[0].pk}/pdf/"
        assert link in mail.outbox[0].body
        assert f'href="{link}"' in mail.outbox[0].alternatives[0][0]
        assert StatementDelivery.objects.get(statement=issued[0]).recipients == 1
        # when: the run is started again
        with django_capture_on_commit_callbacks(execute=True):
            again = statement_run_start(tenant=tenant_a, user=None, **OCT)
        # then: the same run, nothing new, no second e-mail
        assert again.pk == run.pk
        assert StatementRun.objects.count() == 1
        assert IssuedStatement.objects.count() == 3
        assert len(mail.outbox) == 1


def test_issuing_twice_returns_the_first_statement(tenant_a):
    with tenant_context(tenant_a):
        # given
        (account,) = _accounts(tenant_a, 1)
        first, created = statement_issue(account=account, **OCT)
        # when
        second, created_again = statement_issue(account=account, **OCT)
        # then
        assert (created, created_again) == (True, False)
        assert second.pk == first.pk
        assert IssuedStatement.objects.filter(account=account).count() == 1


def test_the_database_refuses_to_change_an_issued_statement(tenant_a):
    with tenant_context(tenant_a):
        # given
        (account,) = _accounts(tenant_a, 1)
        issued, _ = statement_issue(account=account, **OCT)
        # when / then
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            IssuedStatement.objects.filter(pk=issued.pk).update(pdf_sha256="0" * 64)
        assert IssuedStatement.objects.get(pk=issued.pk).pdf_sha256 == issued.pdf_sha256


def test_a_correction_is_a_new_version_naming_the_one_it_replaces(tenant_a):
    with tenant_context(tenant_a):
        # given: a statement, then a late deposit back-dated into the period
        (account,) = _accounts(tenant_a, 1)
        original, _ = statement_issue(account=account, **OCT)
        cash_deposit(
            account=account,
            amount=D(50),
            currency="USD",
            idempotency_key="late",
            value_date=date(2026, 10, 30),
        )
        # when
        corrected = statement_correct(issued=original, reason="Late deposit", user=None)
        # then
        assert (corrected.version, corrected.replaces_id) == (2, original.pk)
        assert (original.ending_value, corrected.ending_value) == (D(1000), D(1050))
        assert corrected.correction_reason == "Late deposit"
        # and the replaced version cannot be corrected again, and nothing was added
        with pytest.raises(ValueError, match="already replaced"):
            statement_correct(issued=original, reason="again", user=None)
        assert IssuedStatement.objects.filter(account=account).count() == 2


def test_a_version_without_the_one_it_replaces_is_refused(tenant_a):
    with tenant_context(tenant_a):
        (account,) = _accounts(tenant_a, 1)
        issued, _ = statement_issue(account=account, **OCT)
        with pytest.raises(IntegrityError), transaction.atomic():
            IssuedStatement.objects.create(
                account=account,
                kind="activity",
                version=2,
                ending_value=0,
                currency="USD",
                **OCT,
            )
        assert IssuedStatement.objects.filter(account=account).count() == 1


def test_statements_for_and_access_are_scoped_to_tenant_and_grant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        # given: two accounts of tenant A, the client may see only the first
        first, second = _accounts(tenant_a, 2)
        user = _client(first)
        mine, _ = statement_issue(account=first, **OCT)
        other, _ = statement_issue(account=second, **OCT)
        # when
        listed = list(statements_for(tenant=tenant_a, account_ids=[first.pk]))
        # then
        assert [s.pk for s in listed] == [mine.pk]
        assert access_issued_statement(user=user, tenant=tenant_a, statement_id=mine.pk) == mine
        with pytest.raises(Http404):
            access_issued_statement(user=user, tenant=tenant_a, statement_id=other.pk)
        with pytest.raises(Http404):
            access_issued_statement(user=user, tenant=tenant_a, statement_id=999999)
    connection.set_schema_to_public()
    # and tenant B sees nothing of tenant A's, even naming its account ids
    with tenant_context(tenant_b):
        assert list(statements_for(tenant=tenant_b, account_ids=[first.pk, second.pk])) == []


def test_a_batch_issues_the_rest_when_one_account_fails_and_a_second_call_adds_nothing(
    tenant_a,
):
    with tenant_context(tenant_a):
        # given: two funded accounts and a master whose sub keeps its books in a currency
        # without an FX rate (its consolidated statement cannot be valued)
        first, second = _accounts(tenant_a, 2)
        _client(first)
        master = account_open(tenant=tenant_a, title="Master", account_type="master")
        account_open(
            tenant=tenant_a, title="Sub", account_type="sub", parent=master, base_currency="CHF"
        )
        run = StatementRun.objects.create(
            kind="activity",
            period_kind="monthly",
            period_start=OCT["period_start"],
            period_end=OCT["period_end"],
        )
        ids = [first.pk, master.pk, second.pk]
        # when
        pending = statements_issue_for_run(tenant=tenant_a, run=run, account_ids=ids)
        # then: the two statements are issued (and await their e-mail), the master's failed
        issued = IssuedStatement.objects.filter(run=run).order_by("account_id")
        assert [s.account_id for s in issued] == [first.pk, second.pk]
        assert sorted(pending) == [s.pk for s in issued]
        failure = StatementFailure.objects.get(run=run)
        assert failure.account_id == master.pk
        assert failure.error.startswith("LookupError")
        # when: the batch is delivered again (a redelivered task) and the e-mails go out
        again = statements_issue_for_run(tenant=tenant_a, run=run, account_ids=ids)
        sent = statements_ready_emails_send(statements=list(issued.select_related("account")))
        # then: nothing new is issued, and once told, nothing is pending
        assert sorted(again) == sorted(pending)
        assert IssuedStatement.objects.filter(run=run).count() == 2
        assert (sent, [m.to for m in mail.outbox]) == (1, [["zoe@example.com"]])
        assert statements_issue_for_run(tenant=tenant_a, run=run, account_ids=ids) == []
        assert statements_ready_emails_send(statements=list(issued)) == 0


@pytest.mark.parametrize(("accounts", "size"), [(0, 1), (1, 1), (24, 3), (200, 25), (10000, 25)])
def test_a_run_is_cut_into_batches_of_at_most_25_and_at_least_eight_tasks(accounts, size):
    assert batch_size(accounts) == size
