"""The test servers PostgreSQL and PgBouncer refuse to run as root: as root, the tests run them as
the `postgres` user, with their files in directories that user owns."""

import os
import shutil
from pathlib import Path

AS_POSTGRES = os.geteuid() == 0


def give_to_postgres(directory: Path, *files: Path) -> None:
    """As root: `directory` (readable by all) and `files` are owned by `postgres`."""
    if not AS_POSTGRES:
        return
    directory.chmod(0o755)
    for path in (directory, *files):
        shutil.chown(path, "postgres")
