"""A second host on this machine: network namespaces joined by a veth pair (`ip netns`).

Two namespaces are made for one test and removed after it:

- the *services* namespace holds the veth end `SERVICES_ADDRESS` and a relay
  (tests/support/relay.py) that hands each connection on a port there to a Unix socket of the
  machine: PostgreSQL's, the test broker's, a test receiver's;
- the *host* namespace holds the other end, `HOST_ADDRESS`, and whatever the test starts in it
  (`SecondHost.exec`). Its loopback stays down: the services' address is all it reaches.

Both ends are in the loopback range (127.77.0.0/30, `route_localnet` set in the two namespaces
so the kernel routes it over the veth) and both namespaces are the test's own: nothing is
added to the root namespace's network, and no packet leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SERVICES_ADDRESS = "127.77.0.1"
HOST_ADDRESS = "127.77.0.2"
PREFIX = 30
RELAY = Path(__file__).with_name("relay.py")
NAME_PREFIX = "bp-host-"


class NetnsError(RuntimeError):
    """An `ip` command failed while the namespaces were set up."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)  # noqa: S603,S607
    if done.returncode:
        raise NetnsError(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")


def unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None when they can (tried for real)."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if not Path("/usr/sbin/ip").exists() and not Path("/sbin/ip").exists():
        return "no `ip` command (Debian's iproute2)"
    probe = f"{NAME_PREFIX}probe-{os.getpid()}"
    try:
        _ip("netns", "add", probe)
    except NetnsError as refused:
        return f"`ip netns add` is refused here (no CAP_NET_ADMIN?): {refused}"
    try:
        _ip("netns", "del", probe)
    except NetnsError:
        pass
    return None


def _stale_remove() -> None:
    """Namespaces left by an earlier run of this process's kind whose process is gone."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)  # noqa: S603,S607
    for line in listing.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(NAME_PREFIX):
            continue
        owner = name.removeprefix(NAME_PREFIX).split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(NetnsError):
                _ip("netns", "del", name)


@dataclass(frozen=True)
class SecondHost:
    namespace: str
    services_namespace: str
    address: str = HOST_ADDRESS
    services_address: str = SERVICES_ADDRESS

    def exec(self) -> list[str]:
        """The prefix that runs a command inside the host's namespace."""
        return ["ip", "netns", "exec", self.namespace]

    def netns_id(self) -> str:
        """The namespace as `/proc/PID/ns/net` names it in the processes started inside."""
        return f"net:[{os.stat(f'/run/netns/{self.namespace}').st_ino}]"

    def veth_bytes(self) -> tuple[int, int]:
        """Bytes received and sent by the host's end of the veth."""
        base = Path("/sys/class/net")  # read through the namespace: `ip netns exec` mounts it
        done = subprocess.run(  # noqa: S603
            [
                *self.exec(),
                "cat",
                str(base / "veth-host/statistics/rx_bytes"),
                str(base / "veth-host/statistics/tx_bytes"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        rx, tx = done.stdout.split()
        return int(rx), int(tx)


def _relay_start(namespace: str, routes: Mapping[int, str]) -> subprocess.Popen:
    specs = [f"{SERVICES_ADDRESS}:{port}={target}" for port, target in routes.items()]
    relay = subprocess.Popen(  # noqa: S603
        ["ip", "netns", "exec", namespace, sys.executable, str(RELAY), *specs],  # noqa: S607
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    ready, _, _ = select.select([relay.stdout], [], [], 30)
    line = relay.stdout.readline() if ready else ""
    if line.strip() != "ready":
        relay.kill()
        _, error = relay.communicate(timeout=10)
        raise NetnsError(f"the relay did not start: {line!r} {error.strip()}")
    return relay


@contextlib.contextmanager
def second_host(routes: Mapping[int, str]) -> Iterator[SecondHost]:
    """The two namespaces, the veth pair and the relay of `routes` (port on
    `SERVICES_ADDRESS` -> Unix socket path); everything is removed on the way out, failure
    included. Processes the caller started in the host must be stopped by the caller first."""
    _stale_remove()
    tag = f"{NAME_PREFIX}{os.getpid()}-{time.monotonic_ns() % 10**6}"
    host = SecondHost(namespace=f"{tag}-w", services_namespace=f"{tag}-s")
    made: list[str] = []
    relay: subprocess.Popen | None = None
    try:
        for namespace in (host.services_namespace, host.namespace):
            _ip("netns", "add", namespace)
            made.append(namespace)
        # Created in the namespaces directly: the root namespace never holds either end.
        _ip(
            "link", "add", "veth-svc", "netns", host.services_namespace, "type", "veth",
            "peer", "name", "veth-host", "netns", host.namespace,
        )  # fmt: skip
        for namespace, device, address in (
            (host.services_namespace, "veth-svc", SERVICES_ADDRESS),
            (host.namespace, "veth-host", HOST_ADDRESS),
        ):
            for scope in ("all", device):
                _ip(
                    "netns", "exec", namespace, "sysctl", "-q", "-w",
                    f"net.ipv4.conf.{scope}.route_localnet=1",
                )  # fmt: skip
            _ip("-n", namespace, "addr", "add", f"{address}/{PREFIX}", "dev", device)
            _ip("-n", namespace, "link", "set", device, "up")
        relay = _relay_start(host.services_namespace, routes)
        yield host
    finally:
        if relay is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(relay.pid, 9)
            relay.communicate(timeout=10)
        for namespace in reversed(made):
            with contextlib.suppress(NetnsError):
                _ip("netns", "del", namespace)  # its end of the veth goes with it
