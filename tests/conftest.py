"""Top-level tests: a real Odoo server (or odoo-bin) started as a separate process,
driven over HTTP/JSON-RPC as real users. `make test` creates the database they use."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / ".local" / "odoo.conf"
TEST_DB = os.environ.get("TEST_DB", "delivery_crm_test")


def odoo_cmd(*args):
    """odoo-bin with the project's configuration; a sub-command (shell, ...) first."""
    command = [args[0]] if args and not args[0].startswith("-") else []
    return [sys.executable, "-m", "odoo", *command, "-c", str(CONF), *args[len(command) :]]


def run_odoo(*args, stdin=None, timeout=600):
    """Run odoo-bin to completion; fail the test with its output when it fails."""
    proc = subprocess.run(
        odoo_cmd(*args),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"odoo {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def fresh_database(db, modules, *odoo_args):
    """Drop ``db`` if it exists and create it with ``modules`` installed."""
    drop_database(db)
    run_odoo(
        "-d", db, "-i", modules, "--stop-after-init", "--log-level=warn", "--no-http", *odoo_args
    )


def drop_database(db, attempts=20):
    """DROP DATABASE ... WITH (FORCE) cannot end a superuser's session, so an autovacuum
    worker busy in ``db`` makes it fail for a moment: try again."""
    command = ["dropdb", "--if-exists", "--force", db]
    for _attempt in range(attempts - 1):
        if subprocess.run(command, check=False, capture_output=True).returncode == 0:
            return
        time.sleep(1)
    subprocess.run(command, check=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    def __init__(self, db, *extra):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            odoo_cmd(
                "-d",
                db,
                f"--db-filter=^{db}$",
                f"--http-port={self.port}",
                "--http-interface=127.0.0.1",
                "--max-cron-threads=0",
                "--log-level=warn",
                *extra,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"Odoo exited: {self.proc.stderr.read()}"
            try:
                if requests.get(f"{self.url}/web/login", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        self.stop()
        raise AssertionError("Odoo did not answer on /web/login within 120 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def session(self, login, password):
        return RpcSession(self, login, password)


class RpcError(Exception):
    def __init__(self, error):
        self.error = error
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message") or error.get("message", "")
        super().__init__(f"{self.name}: {self.message}")


class RpcSession:
    """A browser-like JSON-RPC session of one user."""

    def __init__(self, server, login, password):
        self.server = server
        self.http = requests.Session()
        result = self._post(
            "/web/session/authenticate",
            {"db": server.db, "login": login, "password": password},
        )
        self.uid = result["uid"]
        assert self.uid, f"{login} could not log in"

    def _post(self, path, params):
        resp = self.http.post(
            self.server.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=60,
        )
        resp.raise_for_status()
        body = resp.json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


@pytest.fixture(scope="session")
def server():
    srv = OdooServer(TEST_DB)
    yield srv
    srv.stop()
