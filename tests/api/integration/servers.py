"""A PostgreSQL cluster and a Redis server of a test's own, to stop, kill and restart.

Never the machine's shared servers (PostgreSQL on 5432, Redis on 6379): each
gets a free port and a fresh directory, and is removed when the test ends,
also when it fails. PostgreSQL's ``initdb`` refuses to run as root, so as
root the cluster belongs to the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import redis


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, timeout_s: float = 60) -> float:
    """Poll ``ready`` every 0.1 s until it is true; return the seconds it took."""
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.1)
    return time.monotonic() - start


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` on a free port in a temporary directory.

    :meth:`stop` is ``pg_ctl stop -m immediate``: the server processes quit
    at once without a checkpoint, as in a crash, and the next start replays
    the WAL.
    """

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="energy-test-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    @property
    def admin_url(self) -> str:
        """libpq URL of the ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database``."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create ``name``; return its SQLAlchemy URL."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def accepts(self) -> bool:
        """True when the server answers a query."""
        try:
            with psycopg.connect(self.admin_url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_until(self.accepts, f"PostgreSQL on port {self.port}")

    def stop(self) -> None:
        """Stop the server at once (immediate mode, like a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, delete its directory."""
        pg_ctl = str(self.bin / "pg_ctl")
        stop = [*self.as_user, pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        subprocess.run(stop, capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """``redis-server`` on a free port with its own directory.

    With ``append_only`` the same durability as the compose file's ``redis``
    service (``--appendonly yes``, fsync every second); without, a restart
    comes back empty. No RDB snapshots either way. :meth:`kill` is SIGKILL.
    """

    def __init__(self, append_only: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("no redis-server binary")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="energy-test-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.append_only = append_only
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start the server (loading its append-only file) and wait for PONG."""
        self._log = (self.dir / "server.log").open("a")
        where = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        aof = "yes" if self.append_only else "no"
        durable = ["--appendonly", aof, "--save", "", "--protected-mode", "no"]
        self.proc = subprocess.Popen(
            [self.binary, *where, *durable],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self.accepts, f"Redis on port {self.port}")

    def accepts(self) -> bool:
        """True when the server answers PING (and has loaded its data)."""
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.BusyLoadingError):
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, no final write."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def remove(self) -> None:
        """Kill the server if it runs, delete its directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
