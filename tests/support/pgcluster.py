"""A private PostgreSQL cluster for tests that stop or restart the database (tests/faults).

Initialised in a temporary directory with the system's `initdb`/`pg_ctl` (as `postgres` when
run by root; PostgreSQL refuses root), listening on a free loopback port, loaded with a copy of
the test database (`pg_dump | pg_restore`), so a restart never touches the shared server.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.liveserver import free_port
from tests.support.postgres_user import AS_POSTGRES, give_to_postgres

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1:]), None)


def available() -> bool:
    return BIN is not None and (BIN / "pg_ctl").exists()


@dataclass
class Cluster:
    directory: Path
    port: int
    dbname: str

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _ctl(self, *args: str) -> None:
        _run(
            [
                str(BIN / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-l",
                str(self.directory / "log"),
                "-w",
                "-t",
                "60",
                *args,
            ]
        )

    def start(self) -> None:
        self._ctl(
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self._ctl(
            "-m",
            "fast",
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off",
            "restart",
        )


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if AS_POSTGRES:
        kwargs.setdefault("user", "postgres")
        kwargs.setdefault("cwd", "/")
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603


@contextlib.contextmanager
def cluster_copy_of(settings_dict: dict):
    """Yield a running private cluster holding a copy of the database `settings_dict` names."""
    directory = Path(tempfile.mkdtemp(prefix="pgfault-"))
    give_to_postgres(directory)
    cluster = Cluster(directory=directory, port=free_port(), dbname="faults")
    try:
        _run([str(BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust"])
        cluster.start()
        psql = [str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        _run([*psql, "-c", f"CREATE DATABASE {cluster.dbname}"])
        _run([*psql, "-c", "CREATE ROLE brokerportal_platform NOLOGIN"])
        source = [
            "-h",
            settings_dict.get("HOST") or "127.0.0.1",
            "-p",
            str(settings_dict.get("PORT") or 5432),
            "-U",
            settings_dict.get("USER") or "postgres",
        ]
        dump = subprocess.run(  # noqa: S603
            [
                str(BIN / "pg_dump"),
                *source,
                "-Fc",
                "--no-owner",
                "--no-privileges",
                settings_dict["NAME"],
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [
                str(BIN / "pg_restore"),
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "--no-owner",
                "--no-privileges",
                "-d",
                cluster.dbname,
            ],
            input=dump.stdout,
            check=True,
            capture_output=True,
        )
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
