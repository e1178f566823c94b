"""A throwaway PostgreSQL cluster for the store's tests: Debian's server binaries, a cluster in
a temporary folder on a free loopback port, run as the `postgres` user when the tests run as
root (PostgreSQL refuses root), stopped and removed at the end."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ports import free_port

SERVER_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class NoServer(RuntimeError):
    pass


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield the URL of a running empty database; stop the server and delete it afterwards."""
    if not SERVER_BINARIES:
        raise NoServer("PostgreSQL server binaries not found: `make test` installs Debian's postgresql")
    binaries = SERVER_BINARIES[-1]
    folder = Path(tempfile.mkdtemp(prefix="sanse-pg-"))
    data = folder / "data"
    port = free_port()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)

    def run(*command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=folder)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        try:
            run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "sanse")
            yield f"postgresql://postgres@127.0.0.1:{port}/sanse"
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
