"""The task outbox (tenants.queue, tenants.outbox): a task is written in the transaction of the
change that wants it, nothing is written for a rolled-back one, a broker that refuses the send
leaves the row for the relay, and the relay sends it with the tenant's schema once the broker
answers. Against real Redis brokers (one that answers, one port where nothing listens)."""

import json

import pytest
import redis
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import tenant_context

from brokerportal.celery import app
from events.tasks import webhooks_fan_out
from tenants.models import TaskOutbox
from tenants.outbox import outbox_relay
from tenants.queue import task_enqueue_on_commit
from tests.support.liveserver import free_port
from tests.support.workers import PROBE_BROKER


def _pools_reset() -> None:
    """Drop the app's connection and producer pools: the next send connects to the broker
    the configuration names now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_at():
    """Point the project's app at a broker for the test, and back afterwards."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def point(url: str) -> None:
        _pools_reset()
        app.conf.broker_url = url
        app.conf.task_always_eager = False

    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=PROBE_BROKER):
            yield point
    finally:
        _pools_reset()
        app.conf.broker_url, app.conf.task_always_eager = saved
        redis.Redis.from_url(PROBE_BROKER).delete("celery")


def _queued() -> list[dict]:
    return [json.loads(m) for m in redis.Redis.from_url(PROBE_BROKER).lrange("celery", 0, -1)]


@pytest.mark.django_db
def test_a_rolled_back_change_writes_no_task(
    tenant_a, broker_at, django_capture_on_commit_callbacks
):
    broker_at(PROBE_BROKER)
    before = TaskOutbox.objects.count()
    # when
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                task_enqueue_on_commit(webhooks_fan_out, event_id=1)
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    # then
    assert TaskOutbox.objects.count() == before
    assert callbacks == []
    assert _queued() == []


@pytest.mark.django_db
def test_a_refused_send_waits_in_the_outbox_and_the_relay_sends_it(
    tenant_a, broker_at, django_capture_on_commit_callbacks
):
    # given a broker where nothing listens
    broker_at(f"redis://127.0.0.1:{free_port()}/0")
    # when a change commits its task
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            task_enqueue_on_commit(webhooks_fan_out, event_id=41)
    # then the row is written, not sent, with the reason
    row = TaskOutbox.objects.get(schema_name="tenant_a", kwargs={"event_id": 41})
    assert (row.task, row.args, row.sent_at, row.attempts) == (
        "events.tasks.webhooks_fan_out",
        [],
        None,
        1,
    )
    assert "Error" in row.last_error

    # when the broker answers again and the relay runs
    broker_at(PROBE_BROKER)
    sent = outbox_relay()
    # then it is sent once, under the row's task id and with the tenant's schema
    row.refresh_from_db()
    assert sent >= 1 and row.sent_at is not None and row.attempts == 2 and row.last_error == ""
    ours = [m for m in _queued() if m["headers"]["id"] == row.task_id]
    assert len(ours) == 1
    assert ours[0]["headers"]["task"] == "events.tasks.webhooks_fan_out"
    assert ours[0]["headers"]["_schema_name"] == "tenant_a"
    # and a second relay sends nothing again
    assert outbox_relay() == 0
    assert len([m for m in _queued() if m["headers"]["id"] == row.task_id]) == 1
