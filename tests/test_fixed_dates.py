"""Date-dependent behaviour at fixed dates, whatever day the suite runs: the month-end statement
run's default period, idle and absolute session timeouts (across the US daylight-saving switches)
and the short/long-term split of realized gains.

The dates: a month end, 31 December, 1 January, 29 February 2028, the US DST switch days
(8 March and 1 November 2026), a US exchange holiday (Thanksgiving, 26 November 2026) and a
Saturday (28 November 2026)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django_tenants.utils import tenant_context

from branding.statements.gains import LONG_TERM, SHORT_TERM, holding_term
from branding.statements.staff_views import _last_month
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (dt.date(2026, 11, 30), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),  # a month end
        (dt.date(2026, 12, 31), (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
        (dt.date(2027, 1, 1), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        (dt.date(2028, 2, 29), (dt.date(2028, 1, 1), dt.date(2028, 1, 31))),
        (dt.date(2028, 3, 1), (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
        (dt.date(2026, 3, 8), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        (dt.date(2026, 11, 1), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
        (dt.date(2026, 11, 26), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
        (dt.date(2026, 11, 28), (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ],
)
def test_statement_run_defaults_to_the_last_whole_month(today, period):
    with time_machine.travel(
        dt.datetime.combine(today, dt.time(23, 59), tzinfo=dt.UTC), tick=False
    ):
        assert _last_month() == period


def test_statement_run_form_offers_last_month_on_a_new_year_morning(tenant_a):
    # given: a staff member who may start statement runs, on the morning of 1 January 2027
    user = user_make(tenant=tenant_a, username="newyear", roles=["Compliance Officer"])
    with tenant_context(tenant_a):
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="branding",
                codename__in=["view_statementrun", "add_statementrun"],
            )
        )
    with time_machine.travel(dt.datetime(2027, 1, 1, 8, 0, tzinfo=dt.UTC), tick=False):
        client = login(tenant_client(tenant_a), user, tenant_a)
        # when
        response = client.get("/broker/statements/")
    # then: the form proposes December 2026
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2026-12-01"' in html and 'value="2026-12-31"' in html


# US daylight saving: 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01 02:00 EDT becomes 01:00
# EST. A wall clock skips or repeats an hour; the timeouts count real elapsed seconds.
@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2026, 3, 8, 1, 50, tzinfo=NEW_YORK),  # ten minutes before the spring switch
        dt.datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK, fold=0),  # before the autumn switch
        dt.datetime(2026, 11, 26, 9, 0, tzinfo=NEW_YORK),  # Thanksgiving
        dt.datetime(2028, 2, 29, 23, 55, tzinfo=dt.UTC),  # into 1 March
        dt.datetime(2026, 12, 31, 23, 55, tzinfo=dt.UTC),  # into the new year
    ],
)
def test_staff_idle_timeout_counts_elapsed_minutes_across_clock_changes(tenant_a, start):
    # given: a verified Viewer active at `start` (staff idle timeout: 15 minutes)
    user = user_make(tenant=tenant_a, username=f"idle{start:%m%d%H}", roles=["Viewer"])
    with time_machine.travel(start, tick=False) as traveller:
        client = login(tenant_client(tenant_a), user, tenant_a)
        assert client.get("/broker/").status_code == 200
        # when: 14 minutes later (the wall clock may have jumped an hour meanwhile)
        traveller.shift(dt.timedelta(minutes=14))
        # then: still logged in
        assert client.get("/broker/").status_code == 200
        # when: 16 idle minutes after that
        traveller.shift(dt.timedelta(minutes=16))
        response = client.get("/broker/")
    # then: the session ended
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/broker/"


def test_client_absolute_timeout_ends_an_active_session_across_the_autumn_switch(tenant_a):
    # given: a client who logs in at 20:00 EDT on 31 October 2026 and stays active every 20
    # minutes (tenant defaults: 30 minutes idle, 12 hours absolute)
    user = user_make(tenant=tenant_a, username="allnight", roles=["Client"])
    start = dt.datetime(2026, 10, 31, 20, 0, tzinfo=NEW_YORK)
    with time_machine.travel(start, tick=False) as traveller:
        client = login(tenant_client(tenant_a), user, tenant_a)
        assert client.get("/").status_code == 200
        # when: active until 11 h 40 min of real time have passed (07:40 EST by the wall clock,
        # which repeated the 01:00 hour)
        for _ in range(35):
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get("/").status_code == 200
        # and 40 minutes later, past 12 hours since login
        traveller.shift(dt.timedelta(minutes=20))
        still = client.get("/")
        traveller.shift(dt.timedelta(minutes=20))
        ended = client.get("/")
    # then
    assert still.status_code == 200
    assert ended.status_code == 302
    assert ended["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("opened", "closed", "term"),
    [
        # IRS Publication 544/550: long-term when held more than one year; the holding period
        # starts the day after acquisition and includes the day of disposal.
        (dt.date(2026, 1, 1), dt.date(2027, 1, 1), SHORT_TERM),  # exactly one year
        (dt.date(2026, 1, 1), dt.date(2027, 1, 2), LONG_TERM),
        (dt.date(2026, 12, 31), dt.date(2027, 12, 31), SHORT_TERM),
        (dt.date(2026, 12, 31), dt.date(2028, 1, 1), LONG_TERM),
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28), SHORT_TERM),
        (dt.date(2028, 2, 29), dt.date(2029, 3, 1), LONG_TERM),
        (dt.date(2027, 2, 28), dt.date(2028, 2, 28), SHORT_TERM),
        (dt.date(2027, 2, 28), dt.date(2028, 2, 29), LONG_TERM),
        (dt.date(2025, 11, 26), dt.date(2026, 11, 26), SHORT_TERM),  # Thanksgiving to Thanksgiving
        (dt.date(2025, 11, 28), dt.date(2026, 11, 30), LONG_TERM),
        (dt.date(2026, 11, 28), dt.date(2026, 11, 28), SHORT_TERM),  # a Saturday, same day
    ],
)
def test_realized_gains_term_at_fixed_dates(opened, closed, term):
    assert holding_term(opened, closed) == term
