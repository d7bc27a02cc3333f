"""Top-level tests: a real Odoo server (or odoo-bin) started as a separate process,
driven over HTTP/JSON-RPC as real users. `make test` creates the database they use."""

import configparser
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg2
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


def wait_for_server(proc, url, exit_detail, timeout=120, interval=0.5):
    """Wait until ``url`` answers 200 (True), or ``timeout`` seconds (False); fail at
    once if ``proc`` exits, with ``exit_detail()`` (its log) in the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"Odoo exited:\n{exit_detail()}"
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return True
        except (requests.ConnectionError, requests.Timeout):  # busy: still starting
            pass
        time.sleep(interval)
    return False


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
        if wait_for_server(self.proc, f"{self.url}/web/login", self.proc.stderr.read):
            return
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


def xmlid_to_id(session, xmlid):
    """The database id of the record of ``xmlid`` (``module.name``), read by ``session``."""
    module, name = xmlid.split(".")
    [row] = session.call(
        "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"]
    )
    return row["res_id"]


# The groups of the roles the top-level tests make users of (the demo users play the
# others), in one place: a test asks for a role.
ROLE_GROUPS = {
    # an employee without any Delivery CRM group
    "employee": ["base.group_user"],
    # an employee outside the CRM who may create and edit contacts
    "contacts": ["base.group_user", "base.group_partner_manager"],
    "staff": ["delivery_crm.group_delivery_crm_user"],
}


def rpc_user(admin, role, login, name, **values):
    """The id of the user ``login`` of ``role`` (a key of ``ROLE_GROUPS``), created over
    JSON-RPC by ``admin`` (the administrator's session) unless a former run on the same
    database made it; its password is its login. ``values``: other fields (``email``)."""
    found = admin.call("res.users", "search", [("login", "=", login)])
    if found:
        return found[0]
    groups = [xmlid_to_id(admin, xmlid) for xmlid in ROLE_GROUPS[role]]
    return admin.call(
        "res.users",
        "create",
        {"name": name, "login": login, "password": login, "group_ids": [(6, 0, groups)], **values},
    )


@pytest.fixture(scope="session")
def server():
    srv = OdooServer(TEST_DB)
    yield srv
    srv.stop()


# --------------------------------------------------------------------------- reliability
# The fault and load tests (test_reliability_*.py): a PostgreSQL server of their own
# that they may restart and crash, Odoo run as in production (multi-process), and the
# figures they measure, printed at the end of the pytest run and kept in a JSON file.

RELIABILITY_REPORT = pytest.StashKey[dict]()
RELIABILITY_JSON = ROOT / ".local" / "reliability.json"
RELIABILITY_TEMPLATE = f"delivery_crm_reliability_template_{os.getpid()}"


def env_number(name, default):
    """An integer or float setting of the reliability tests from the environment."""
    value = os.environ.get(name)
    if not value:
        return default
    return type(default)(value)


def pg_bindir():
    """The PostgreSQL server programs (initdb, pg_ctl): $PG_BINDIR, pg_config's, or the
    newest Debian ones."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
        if (bindir / "initdb").exists():
            return bindir
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name),
    )
    assert found, "no PostgreSQL server programs (initdb, pg_ctl) found: set PG_BINDIR"
    return found[-1].parent


def odoo_data_dir():
    config = configparser.ConfigParser()
    config.read(CONF)
    return Path(config.get("options", "data_dir", fallback=str(ROOT / ".local" / "data")))


class PrivatePostgres:
    """A PostgreSQL server of the tests' own, in a temporary directory and reachable on
    a Unix socket only: a test may restart or crash it without disturbing the databases
    of anyone else. Durability settings are PostgreSQL's defaults (fsync,
    synchronous_commit on)."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="delivery_crm_pg_"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgresql.log"
        self.host = str(self.dir)
        self.port = free_port()
        self.user = getpass.getuser()
        self.databases = set()
        # PostgreSQL refuses to run as root: then its server runs as the postgres account
        as_root = os.geteuid() == 0
        self._as_owner = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._pg(
            "initdb", "-D", self.data, "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-locale"
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = ''\n"
                f"unix_socket_directories = '{self.host}'\n"
            )
        self.start()

    def _pg(self, program, *args, check=True):
        command = [*self._as_owner, str(self.bindir / program), *map(str, args)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        assert not check or proc.returncode == 0, (
            f"{program} failed:\n{proc.stdout}\n{proc.stderr}\n{self.log_tail()}"
        )
        return proc

    def log_tail(self, lines=30):
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def start(self):
        self._pg("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def restart(self, mode="fast"):
        """Restart the server: ``fast`` (clean shutdown, clients disconnected) or
        ``immediate`` (a crash: no shutdown checkpoint, WAL recovery at start)."""
        self._pg("pg_ctl", "-D", self.data, "-l", self.log, "-m", mode, "-w", "-t", "60", "restart")

    def stop(self):
        self._pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        # the logs of PostgreSQL and of the Odoo servers outlive the run, for a post-mortem
        logs = ROOT / ".local" / "reliability-logs"
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
        for log in self.dir.glob("*.log"):
            shutil.copy(log, logs / log.name)
        shutil.rmtree(self.dir, ignore_errors=True)
        filestore = odoo_data_dir() / "filestore"
        for db in self.databases:
            shutil.rmtree(filestore / db, ignore_errors=True)

    def env(self):
        return dict(os.environ, PGHOST=self.host, PGPORT=str(self.port), PGUSER=self.user)

    def odoo_args(self):
        return [f"--db_host={self.host}", f"--db_port={self.port}", f"--db_user={self.user}"]

    def connect(self, db="postgres"):
        cnx = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=db)
        cnx.autocommit = True
        return cnx

    def query(self, db, sql, *params):
        """Rows of one statement, on a connection of its own (autocommit)."""
        cnx = self.connect(db)
        try:
            with cnx.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else []
        finally:
            cnx.close()

    def run_odoo(self, *args, stdin=None, timeout=600):
        """odoo-bin on this server, to completion; fails the test with its output."""
        proc = subprocess.run(
            odoo_cmd(*args, *self.odoo_args()),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            check=False,
        )
        assert proc.returncode == 0, f"odoo {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def clone(self, db, template=RELIABILITY_TEMPLATE):
        """A copy of ``template`` (database and filestore), as Odoo's own duplicate."""
        subprocess.run(["createdb", "-T", template, db], env=self.env(), check=True)
        self.databases.add(db)
        filestore = odoo_data_dir() / "filestore"
        if (filestore / template).exists():
            shutil.copytree(filestore / template, filestore / db, dirs_exist_ok=True)
        return db


@pytest.fixture(scope="session")
def private_postgres():
    """A PostgreSQL server of the reliability tests, holding a template database with
    delivery_crm installed (no demo data) that each test copies."""
    pg = PrivatePostgres()
    try:
        pg.databases.add(RELIABILITY_TEMPLATE)
        pg.run_odoo(
            "-d",
            RELIABILITY_TEMPLATE,
            "-i",
            "delivery_crm",
            "--without-demo",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        )
        yield pg
    finally:
        pg.stop()


def odoo_bin():
    """The odoo-bin script (in prefork mode the master starts the gevent process with
    ``sys.argv[0]``, which ``python -m odoo`` leaves unusable)."""
    import odoo  # the Python of the tests has Odoo on its path

    for candidate in (
        Path(odoo.__path__[0]).parent / "odoo-bin",
        Path(sys.executable).parent / "odoo",
    ):
        if candidate.exists():
            return candidate
    raise AssertionError("no odoo-bin script found next to the odoo package or in the venv")


class OdooWorkers:
    """odoo-bin as run in production: ``--workers`` HTTP worker processes, cron worker
    processes and the gevent (websocket) process under one master, in a process group
    of its own so that a test can kill it whole. Its log goes to a file.

    ``supervised``: started again a second after the master exits, as a service manager
    does (systemd ``Restart=always``, ``RestartSec=1``); ``restarts`` counts them."""

    def __init__(self, pg, db, workers=2, cron_workers=1, *extra, supervised=False):
        self.pg = pg
        self.db = db
        self.args = [
            "-d",
            db,
            f"--db-filter=^{db}$",
            "--http-interface=127.0.0.1",
            f"--workers={workers}",
            f"--max-cron-threads={cron_workers}",
            "--limit-time-real=120",
            "--limit-time-cpu=60",
            "--log-level=warn",
            *extra,
        ]
        self.log = pg.dir / f"odoo-{db}.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.restarts = 0
        self._stopping = threading.Event()
        self.start()
        if supervised:
            threading.Thread(target=self._supervise, daemon=True).start()

    def _launch(self):
        with open(self.log, "a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    str(odoo_bin()),
                    "-c",
                    str(CONF),
                    *self.args,
                    f"--http-port={self.port}",
                    f"--gevent-port={free_port()}",
                    *self.pg.odoo_args(),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.pg.env(),
                start_new_session=True,
            )

    def _supervise(self):
        while not self._stopping.wait(0.2):
            if self.proc.poll() is not None and not self._stopping.wait(1):
                self._kill_group(self.proc)  # workers the dead master left behind
                self.restarts += 1
                self._launch()

    def start(self):
        """Start the server (on the same port as before) and wait until it answers."""
        self._stopping.clear()
        self._launch()
        if wait_for_server(self.proc, f"{self.url}/web/health", self.log_tail, interval=0.2):
            return
        self.kill()
        raise AssertionError(f"Odoo did not answer on /web/health within 120 s\n{self.log_tail()}")

    def log_tail(self, lines=40):
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def pids(self):
        """The master and every process it started (workers, gevent)."""
        master = psutil.Process(self.proc.pid)
        return {self.proc.pid} | {child.pid for child in master.children(recursive=True)}

    @staticmethod
    def _kill_group(proc, sig=signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass  # the whole group is gone already

    def kill(self):
        """SIGKILL the master and all its processes at once (a crash, no clean-up)."""
        self._stopping.set()
        if self.proc:
            self._kill_group(self.proc)
            self.proc.wait(timeout=30)

    def stop(self):
        self._stopping.set()
        if not self.proc:
            return
        self._kill_group(self.proc, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.5)  # let the workers finish their graceful exit, then no leftovers
        self._kill_group(self.proc)
        self.proc.wait(timeout=30)

    def session(self, login, password):
        return RpcSession(self, login, password)


@pytest.fixture(scope="session")
def reliability_report(request):
    """Figures of the reliability tests by test name: printed at the end of the run and
    written to .local/reliability.json."""
    return request.config.stash.setdefault(RELIABILITY_REPORT, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = config.stash.get(RELIABILITY_REPORT, None)
    if not report:
        return
    terminalreporter.section("reliability figures")
    for name, figures in report.items():
        terminalreporter.write_line(f"{name}:")
        for key, value in figures.items():
            terminalreporter.write_line(f"    {key}: {value}")
    RELIABILITY_JSON.parent.mkdir(parents=True, exist_ok=True)
    RELIABILITY_JSON.write_text(json.dumps(report, indent=2) + "\n")
    terminalreporter.write_line(f"(written to {RELIABILITY_JSON.relative_to(ROOT)})")


# --------------------------------------------------------------------------- server log
def drain_server_log(srv, keep=400):
    """Read the log of ``srv`` (an OdooServer) as it is written, keeping its last
    ``keep`` lines in ``srv.log_tail``. OdooServer pipes Odoo's stderr and reads it only
    if Odoo exits at start: a server that goes on logging (each refused RPC is a WARNING
    of odoo.http) fills the pipe and then blocks on its next log line, mid-request."""
    from collections import deque

    if getattr(srv, "log_tail", None) is not None:
        return srv.log_tail
    srv.log_tail = deque(maxlen=keep)

    def drain():
        for line in srv.proc.stderr:
            srv.log_tail.append(line)

    threading.Thread(target=drain, name=f"odoo-log-{srv.port}", daemon=True).start()
    return srv.log_tail
