"""Fixtures for pipeline tests: a real PostgreSQL server (session-scoped) and small scored lists.

The PostgreSQL fixture runs the machine's own server binaries (initdb/pg_ctl) on a temp data dir
and a free 127.0.0.1 port, with password authentication, and stops it at the end of the session.
Without binaries the tests skip locally but FAIL under CI (``CI`` set): CI must really test it.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

PG_PASSWORD = "s3cret-Pw!"


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL (with a password) of a throw-away PostgreSQL server."""
    bindir = _pg_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run the sql target against a real PostgreSQL")
        pytest.skip(message)
    pytest.importorskip("psycopg")
    user = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    root = Path(tempfile.mkdtemp(prefix="upsell-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    pwfile = root / "pw"
    pwfile.write_text(PG_PASSWORD + "\n")
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, sock, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    run = lambda cmd: subprocess.run(_as_server_user(cmd, user), check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run([str(bindir / "initdb"), "-D", str(data), "-U", "upsell", f"--pwfile={pwfile}",
             "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
        run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
             "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr or exc.stdout}")
    try:
        yield f"postgresql+psycopg://upsell:{PG_PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def make_scored_list(n: int = 5, as_of: str = "2026-11-20", model_version: str = "3") -> pd.DataFrame:
    """A small scored account list with every contract column (scores descend with the index)."""
    stamp = pd.Timestamp(as_of)
    ids = [f"A{i:03d}" for i in range(n)]
    scores = [round(0.9 - 0.15 * i, 4) for i in range(n)]
    return pd.DataFrame({
        "account_id": ids,
        "as_of": pd.Series([stamp] * n, dtype="datetime64[us]"),
        "score": scores,
        "score_band": ["A" if s >= 0.6 else "B" if s >= 0.3 else "C" for s in scores],
        "rank": list(range(1, n + 1)),
        "triggers": ["seat_util_high;renewal_90d"] + ["seat_util_high"] * (n - 1),
        "decision_path": ["start>fit>engaged>high_score"] * n,
        "final_node": ["high_score"] * n,
        "action": ["call"] * n,
        "offer_type": ["tier_upgrade"] * n,
        "channel": ["call"] * n,
        "owner_role": ["account_manager"] * n,
        "owner_id": [f"u{i}" for i in range(n)],
        "priority": list(range(1, n + 1)),
        "expected_value": [round(s * 1000, 2) for s in scores],
        "due_at": pd.Series([stamp + pd.Timedelta(days=7)] * n, dtype="datetime64[us]"),
        "reason_1": ["Seat utilisation 96% of licensed seats"] * n,
        "reason_2": ["-12% support tickets vs last quarter"] * n,
        "reason_3": [None] * n,
        "model_name": ["upsell-propensity"] * n,
        "model_version": [model_version] * n,
        "run_id": ["run-" + as_of] * n,
    })


@pytest.fixture
def scored_list() -> pd.DataFrame:
    """Five scored accounts on 2026-11-20."""
    return make_scored_list()
