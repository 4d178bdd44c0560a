"""A PgBouncer in transaction mode in front of the test database's server, for tests.

One server connection per database and user (`default_pool_size = 1`), so every client's
transactions share it: a statement that ran outside its client's transaction would see whatever
the previous client left on the server connection.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

from tests.support.postgres_user import AS_POSTGRES, give_to_postgres

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return Path(PGBOUNCER).exists()


@contextlib.contextmanager
def pgbouncer_serve(*, host: str, port: int, listen_port: int, user: str):
    """Yield once PgBouncer listens on 127.0.0.1:`listen_port`; stopped on exit.

    PgBouncer refuses to run as root: as root it is started with `-u postgres`, its files in a
    directory that user owns."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={host} port={port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen_port}\n"
        f"unix_socket_dir = {directory}\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        "default_pool_size = 1\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 100\n"
        # libpq's `options` (jit=off) cannot pass a pooler; set it on the role or database.
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
    )
    give_to_postgres(directory, directory / "users.txt", config)
    argv = [PGBOUNCER, *(["-u", "postgres"] if AS_POSTGRES else []), str(config)]
    process = subprocess.Popen(  # noqa: S603 (fixed argv)
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        import psycopg

        deadline = time.monotonic() + 15
        while True:
            try:
                psycopg.connect(
                    host="127.0.0.1", port=listen_port, user=user, dbname="postgres"
                ).close()
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)
