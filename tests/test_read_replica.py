"""Reads on a replica (issue 18 item 5), proven with a real PostgreSQL streaming replica.

The test makes a hot standby of the running PostgreSQL cluster (``pg_basebackup -R -X
stream`` into a temporary directory, its own port and socket directory, run as the
``postgres`` account), starts Odoo with ``--db_replica_host``/``--db_replica_port`` on
the test database, pauses the replica's replay (``pg_wal_replay_pause()``) and writes
on the primary. The read-only paths (the Excel download, a printed report, a portal
list; the dashboard is one more line of ``READ_PATHS``) then answer from the frozen
replica — they do not see the write — while a read/write call does; the export log
row of the download is on the primary. Replay resumed and caught up, they see it.

The basebackup copies every database of the cluster: seconds in CI (the test databases
only), about a minute on a machine that also holds the benchmark databases.
"""

import io
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import psycopg2
import pytest
import requests
from conftest import TEST_DB, OdooServer, drain_server_log, free_port, xmlid_to_id

PRIMARY_HOST = os.environ.get("PGHOST", "/var/run/postgresql")
PRIMARY_PORT = int(os.environ.get("PGPORT", "5432"))
# settings a hot standby must have at least as high as its primary
STANDBY_MINIMUMS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def primary_query(sql, *params):
    cnx = psycopg2.connect(host=PRIMARY_HOST, port=PRIMARY_PORT, dbname=TEST_DB)
    cnx.autocommit = True
    try:
        with cnx.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        cnx.close()


class StreamingReplica:
    """A hot standby of the primary cluster, in a temporary directory, reachable on a
    Unix socket of its own; stopped and deleted by :meth:`stop`."""

    def __init__(self):
        major = int(primary_query("SHOW server_version_num")[0][0]) // 10000
        self.bindir = Path(f"/usr/lib/postgresql/{major}/bin")
        assert (self.bindir / "pg_basebackup").exists(), (
            f"no PostgreSQL {major} server programs in {self.bindir}: the test makes a "
            "streaming replica of the running cluster with them"
        )
        self.dir = Path(tempfile.mkdtemp(prefix="delivery_crm_replica_"))
        self.data = self.dir / "data"
        self.log = self.dir / "replica.log"
        self.host = str(self.dir)
        self.port = free_port()
        # PostgreSQL refuses to run as root: then the replica runs as the postgres account,
        # which connects to the primary for replication ("local replication all peer")
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        started = time.monotonic()
        self._pg(
            "pg_basebackup",
            "-D",
            self.data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            "--no-manifest",
            "-h",
            PRIMARY_HOST,
            "-p",
            PRIMARY_PORT,
        )
        self.basebackup_seconds = time.monotonic() - started
        minimums = "".join(
            f"{name} = {primary_query(f'SHOW {name}')[0][0]}\n" for name in STANDBY_MINIMUMS
        )
        self._write(
            "postgresql.conf",
            f"port = {self.port}\nlisten_addresses = ''\n"
            f"unix_socket_directories = '{self.host}'\nhot_standby = on\nfsync = off\n"
            f"shared_buffers = 32MB\n{minimums}",
        )
        # the test's own server, on a socket in its own directory
        self._write("pg_hba.conf", "local all all trust\n")
        self._write("pg_ident.conf", "")
        self._pg("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "120", "start")

    def _write(self, name, text):
        path = self.data / name
        path.write_text(text, encoding="utf-8")
        if self._as_owner:
            shutil.chown(path, "postgres", "postgres")

    def _pg(self, program, *args, check=True):
        command = [*self._as_owner, str(self.bindir / program), *map(str, args)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        assert not check or proc.returncode == 0, (
            f"{program} failed (the primary must accept replication connections of the "
            f"postgres account, pg_hba.conf 'local replication all peer'):\n"
            f"{proc.stdout}\n{proc.stderr}\n{self.log_tail()}"
        )
        return proc

    def log_tail(self, lines=30):
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def query(self, sql, *params, db=TEST_DB):
        cnx = psycopg2.connect(host=self.host, port=self.port, user="postgres", dbname=db)
        cnx.autocommit = True
        try:
            with cnx.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else []
        finally:
            cnx.close()

    def catch_up(self, timeout=120):
        """Wait until the replica has replayed everything the primary has written."""
        [[lsn]] = primary_query("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn)[0][0]:
                return
            time.sleep(0.1)
        raise AssertionError(f"the replica did not catch up within {timeout} s\n{self.log_tail()}")

    def pause(self):
        self.query("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 30
        while self.query("SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
            assert time.monotonic() < deadline, "the replica's replay did not pause"
            time.sleep(0.05)

    def resume(self):
        self.query("SELECT pg_wal_replay_resume()")

    def stop(self):
        self._pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def replica():
    standby = StreamingReplica()
    try:
        yield standby
    finally:
        standby.stop()


@pytest.fixture(scope="module")
def replica_server(replica):
    srv = OdooServer(
        TEST_DB, f"--db_replica_host={replica.host}", f"--db_replica_port={replica.port}"
    )
    drain_server_log(srv)
    try:
        yield srv
    finally:
        srv.stop()


def jsonrpc_execute(server, login, password, model, method, *args):
    """The external API (``/jsonrpc``, ``execute_kw``): always a read/write cursor."""

    def call(service, method_, *args_):
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method_, "args": list(args_)},
        }
        answer = requests.post(f"{server.url}/jsonrpc", json=body, timeout=60).json()
        assert "error" not in answer, answer
        return answer["result"]

    uid = call("common", "login", server.db, login, password)
    return call("object", "execute_kw", server.db, uid, password, model, method, list(args))


class Scene:
    """The users, records and one-time links the read paths use."""

    def __init__(self, server):
        self.server = server
        # the complaint's subject and the customer's new name, written while replay is paused
        self.marker = f"replica-{uuid.uuid4().hex[:10]}"
        self.new_name = f"Renamed {uuid.uuid4().hex[:10]}"
        self.admin = server.session("admin", "admin")
        # a manager of the demo data
        self.manager = server.session("wang.fang", "wang.fang")
        admin = self.admin
        self.customer_id = admin.call(
            "res.partner",
            "create",
            {"name": "Replica buyer", "is_company": True, "is_delivery_customer": True},
        )
        contact_id = admin.call(
            "res.partner", "create", {"name": "Portal contact", "parent_id": self.customer_id}
        )
        login = f"portal.{self.marker}"
        admin.call(
            "res.users",
            "create",
            {
                "name": "Portal contact",
                "login": login,
                "password": login,
                "partner_id": contact_id,
                "group_ids": [(6, 0, [xmlid_to_id(admin, "base.group_portal")])],
            },
        )
        self.portal = requests.Session()
        page = self.portal.get(f"{server.url}/web/login", timeout=30).text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        self.portal.post(
            f"{server.url}/web/login",
            data={"login": login, "password": login, "csrf_token": csrf},
            timeout=30,
        )
        self.complaint_type = xmlid_to_id(admin, "delivery_crm.delivery_complaint_type_delay")
        # the Excel downloads, their one-time keys made before the replay is paused
        self.xlsx_urls = [self._xlsx_url() for _ in range(2)]

    def _xlsx_url(self):
        today = date.today()
        wizard = self.manager.call(
            "delivery.xlsx.export.wizard",
            "create",
            {
                "export_type": "complaint",
                "date_from": str(today - timedelta(days=1)),
                "date_to": str(today + timedelta(days=1)),
            },
        )
        return self.manager.call("delivery.xlsx.export.wizard", "action_export", [wizard])["url"]

    def write(self):
        """The writes on the primary: a complaint of the customer, its new name."""
        self.admin.call(
            "delivery.complaint",
            "create",
            {
                "partner_id": self.customer_id,
                "subject": self.marker,
                "type_id": self.complaint_type,
            },
        )
        self.admin.call("res.partner", "write", [self.customer_id], {"name": self.new_name})

    def get(self, http, path):
        response = http.get(f"{self.server.url}{path}", timeout=60)
        assert response.status_code == 200, (path, response.status_code)
        return response


def xlsx_sees_the_write(scene):
    response = scene.get(scene.manager.http, scene.xlsx_urls.pop(0))
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return any(
        scene.marker in str(cell)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    )


def report_sees_the_write(scene):
    """The customer's profile card, printed (a report of customer data: logged)."""
    path = f"/report/html/delivery_crm.report_customer_profile/{scene.customer_id}"
    return scene.new_name in scene.get(scene.manager.http, path).text


def dashboard_complaints(scene):
    """The complaints of the month on the manager's dashboard (its complaint-rate card)."""
    data = scene.manager.call("delivery.dashboard", "get_dashboard_data", "month")
    [card] = [kpi for kpi in data["kpis"] if kpi["key"] == "complaint_rate"]
    return card["part"]


def dashboard_sees_the_write(scene):
    return dashboard_complaints(scene) > scene.dashboard_complaints_before


def portal_list_sees_the_write(scene):
    return scene.marker in scene.get(scene.portal, "/my/complaints").text


# The read-only paths: each answers whether it sees the write of the scene.
READ_PATHS = {
    "xlsx export": xlsx_sees_the_write,
    "report": report_sees_the_write,
    "portal list": portal_list_sees_the_write,
    "dashboard": dashboard_sees_the_write,
}


def test_reads_answer_from_the_replica(replica, replica_server):
    server = replica_server
    scene = Scene(server)
    replica.catch_up()
    assert replica.query("SELECT pg_is_in_recovery()")[0][0]
    manager_uid = scene.manager.uid
    [[logs_before]] = primary_query(
        "SELECT count(*) FROM delivery_export_log WHERE user_id = %s AND export_type = 'xlsx'",
        manager_uid,
    )

    # what the dashboard counts before the write (read on the caught-up replica)
    scene.dashboard_complaints_before = dashboard_complaints(scene)
    replica.pause()
    try:
        scene.write()
        # the manager's dashboard counts the company's complaints from the hourly rollup:
        # its Refresh (a read/write call, on the primary) counts the new one now
        jsonrpc_execute(
            server, "wang.fang", "wang.fang", "delivery.complaint.rate.report", "action_refresh", []
        )
        domain = [("subject", "=", scene.marker)]
        # a read/write call sees the write: the external API runs on the primary
        assert (
            jsonrpc_execute(server, "admin", "admin", "delivery.complaint", "search_count", domain)
            == 1
        )
        # an @api.readonly method of the web client answers from the replica
        assert scene.admin.call("delivery.complaint", "search_count", domain) == 0
        frozen = {name: sees(scene) for name, sees in READ_PATHS.items()}
        assert frozen == dict.fromkeys(READ_PATHS, False), (
            f"these read paths did not answer from the replica: {frozen}"
        )
        # the download's export log row was written on the primary, not on the replica
        count = (
            "SELECT count(*) FROM delivery_export_log WHERE user_id = %s AND export_type = 'xlsx'"
        )
        assert primary_query(count, manager_uid)[0][0] == logs_before + 1
        assert replica.query(count, manager_uid)[0][0] == logs_before
        # the replica refuses writes
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            replica.query("UPDATE res_partner SET comment = 'x' WHERE id = %s", scene.customer_id)
    finally:
        replica.resume()

    replica.catch_up()
    seen = {name: sees(scene) for name, sees in READ_PATHS.items()}
    assert seen == dict.fromkeys(READ_PATHS, True), seen
    # no read path wrote on the replica: Odoo would have retried it on the primary with
    # a warning; nor did Odoo fall back to the primary for want of a replica
    log = "".join(server.log_tail)
    assert "retrying with a read/write cursor" not in log, log
    assert "Failed to open a readonly cursor" not in log, log
    print(f"basebackup of the cluster: {replica.basebackup_seconds:.1f} s")
