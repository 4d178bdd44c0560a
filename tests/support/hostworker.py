"""The project's Celery worker, recording where each task ran (the second-host test).

    python -m tests.support.hostworker worker --concurrency=1 ...

The same worker as `celery -A brokerportal worker` (the project's app, its settings, its task
modules), with Celery's own signals connected before the pool forks: `worker_ready` and every
task's `task_postrun` append one JSON line to the file named by `HOSTWORKER_RECORD` — the task's
id, name and arguments, its state, the Celery node name, the host name and the network
namespace (`/proc/self/ns/net`) of the process that ran it.

In a UTS namespace of its own (`unshare --uts`), the worker first takes the host name given in
`HOSTWORKER_HOSTNAME`; it refuses to when its UTS namespace is still the one named in
`HOSTWORKER_PARENT_UTS` (its starter's), so it never renames the machine.
"""

from __future__ import annotations

import json
import os
import socket
import sys


def _namespace(kind: str) -> str:
    return os.readlink(f"/proc/self/ns/{kind}")


def _hostname_take() -> None:
    wanted = os.environ.get("HOSTWORKER_HOSTNAME")
    if not wanted:
        return
    parent = os.environ.get("HOSTWORKER_PARENT_UTS")
    if not parent or _namespace("uts") == parent:
        raise SystemExit("HOSTWORKER_HOSTNAME set outside a UTS namespace of its own")
    socket.sethostname(wanted)


def _record(**row) -> None:
    row.update(
        host=socket.gethostname(),
        netns=_namespace("net"),
        pid=os.getpid(),
    )
    line = (json.dumps(row, default=str) + "\n").encode()
    descriptor = os.open(os.environ["HOSTWORKER_RECORD"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, line)  # one write in append mode: lines of processes never mix
    finally:
        os.close(descriptor)


def _connect() -> None:
    from celery.signals import task_postrun, worker_ready

    @worker_ready.connect(weak=False)
    def ready(sender=None, **kwargs):
        _record(event="ready", node=getattr(sender, "hostname", ""))

    @task_postrun.connect(weak=False)
    def ran(task_id=None, task=None, args=None, kwargs=None, state=None, **extra):
        _record(
            event="ran",
            task_id=task_id,
            name=task.name,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            state=state,
            node=task.request.hostname,
        )


def main(argv: list[str]) -> None:
    _hostname_take()
    _connect()
    from brokerportal.celery import app

    app.worker_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
