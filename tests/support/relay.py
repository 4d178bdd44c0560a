"""A TCP-to-Unix-socket relay: the services host of the second-host test (tests/support/netns.py).

Run inside a network namespace, it listens on that namespace's veth address and hands each
connection to a Unix socket of the machine (PostgreSQL's, the test broker's, a test receiver's).
Unix sockets are files, not addresses of a network namespace, so the relay crosses into the
services without the root namespace's network being touched.

    python tests/support/relay.py 127.77.0.1:5432=/run/postgresql/.s.PGSQL.5432 ...

It prints `ready` on its standard output once every listener is bound, and runs until killed.
Standard library only: it is started by file path, without the project's packages.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            if writer.can_write_eof():
                writer.write_eof()


def _handler(target: str):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(target)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                with contextlib.suppress(ConnectionError, OSError):
                    end.close()

    return handle


async def _serve(routes: list[tuple[str, int, str]]) -> None:
    servers = [
        await asyncio.start_server(_handler(target), host, port, reuse_address=True)
        for host, port, target in routes
    ]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.gather(*(server.serve_forever() for server in servers))


def _parse(spec: str) -> tuple[str, int, str]:
    address, target = spec.split("=", 1)
    host, port = address.rsplit(":", 1)
    return host, int(port), target


if __name__ == "__main__":
    asyncio.run(_serve([_parse(spec) for spec in sys.argv[1:]]))
