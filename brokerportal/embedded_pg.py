"""A project-local PostgreSQL under `.data/`, used when DATABASE_URL is not set.

    python -m brokerportal.embedded_pg start|stop|status

It listens only on a unix socket in `.data/run` (no TCP port, so it never collides with a
PostgreSQL of the system's own), uses the system's `initdb`/`pg_ctl` when present and the
binaries of the `pgserver` wheel otherwise. PostgreSQL refuses to run as root, so when started
by root the cluster is owned and run by the unprivileged `nobody` user.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "pg"
SOCKET_DIR = DATA_DIR / "run"
LOG_FILE = DATA_DIR / "pg.log"
DB_NAME = "brokerportal"
UNPRIVILEGED_USER = "nobody"


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if system:
        return system[-1].parent
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
    kwargs: dict = {"check": check, "text": True, "capture_output": True}
    if os.geteuid() == 0:
        kwargs["user"] = UNPRIVILEGED_USER
        kwargs["cwd"] = "/"
    return subprocess.run(args, **kwargs)  # noqa: S603


def _prepare_dirs() -> None:
    DATA_DIR.mkdir(exist_ok=True)
    SOCKET_DIR.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        for path in (SOCKET_DIR, PGDATA):
            if path.exists():
                os.chown(path, entry.pw_uid, entry.pw_gid)
        # nobody must be able to reach .data/ through the tree
        for parent in [DATA_DIR, *DATA_DIR.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        if LOG_FILE.exists():
            os.chown(LOG_FILE, entry.pw_uid, entry.pw_gid)


def status() -> bool:
    if not (PGDATA / "PG_VERSION").exists():
        return False
    result = _run([str(_bin_dir() / "pg_ctl"), "-D", str(PGDATA), "status"], check=False)
    return result.returncode == 0


def start() -> None:
    bindir = _bin_dir()
    if not (PGDATA / "PG_VERSION").exists():
        PGDATA.mkdir(parents=True, exist_ok=True)
        _prepare_dirs()
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(PGDATA),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        )
    _prepare_dirs()
    if not status():
        LOG_FILE.touch()
        _prepare_dirs()
        options = f"-c listen_addresses='' -k {SOCKET_DIR} -c max_connections=200 -c fsync=off"
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(PGDATA),
                "-l",
                str(LOG_FILE),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    exists = _run(
        [
            str(bindir / "psql"),
            "-h",
            str(SOCKET_DIR),
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",  # noqa: S608 - constant name
        ]
    )
    if exists.stdout.strip() != "1":
        _run([str(bindir / "createdb"), "-h", str(SOCKET_DIR), "-U", "postgres", DB_NAME])
    print(f"PostgreSQL running on socket {SOCKET_DIR} (database {DB_NAME})")  # noqa: T201


def stop() -> None:
    if status():
        _run([str(_bin_dir() / "pg_ctl"), "-D", str(PGDATA), "-m", "fast", "-w", "stop"])
        print("PostgreSQL stopped")  # noqa: T201


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "start":
        start()
    elif command == "stop":
        stop()
    else:
        print("running" if status() else "stopped")  # noqa: T201
        sys.exit(0 if status() else 3)
