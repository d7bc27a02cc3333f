"""Screenshots of delivery_crm's key screens, desktop (1440x900) and phone (375x812).

    .venv/bin/python tools/screenshots.py --config .local/odoo.conf --db DB [--out DIR]

DB is a database with delivery_crm and its demo data that the script may change (a
throwaway one: `make screenshots` creates it fresh). The script starts Odoo on a free port
on that database, prepares it over JSON-RPC as admin (installs the zh_CN language, runs the
quarterly evaluation, plans Li Wei's visit for today), then drives a headless Chromium
through the DevTools protocol: it logs in by setting the session cookie of
/web/session/authenticate, opens each screen, waits until the web client is idle and saves
a PNG. The customer profile report is rendered to PDF by Odoo and to PNG by pdftoppm
(poppler-utils). Odoo and Chromium are stopped at the end.

Files: docs/screenshots/<screen>-desktop.png, <screen>-phone.png, and a few
<screen>-<size>-zh_CN.png with the Chinese user interface.
"""

import argparse
import base64
import functools
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
import websocket

# the screens the module's Apps page (static/description/index.html) shows, copied there
APP_PAGE_SHOTS = (
    "customer-form-desktop.png",
    "complaint-form-desktop.png",
    "evaluation-form-desktop.png",
    "visits-today-phone.png",
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIZES = {"desktop": (1440, 900), "phone": (375, 812)}
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
)
TIMEZONE = "Asia/Shanghai"  # the demo users' time zone
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
PASSWORDS = {"admin": "admin", "li.wei": "li.wei", "portal.zhao": "portal.zhao"}
ATTEMPTS = 3  # a screen that fails to show (a busy machine) is opened again
WEB_CLIENT_READY = ".o_action_manager .o_view_controller"


@dataclass
class Screen:
    """A screen to capture: ``path`` may hold ``{name}`` fields filled from the record
    ids found by ``prepare()``; ``phone_path`` replaces it at phone size."""

    name: str
    login: str
    path: str
    ready: str = WEB_CLIENT_READY
    sizes: tuple = ("desktop", "phone")
    phone_path: str = ""
    script: str = ""  # JavaScript run once the screen is ready (open a tab, scroll)
    langs: dict = field(default_factory=dict)  # lang code -> sizes to take in that language


def show_tab(name):
    """JavaScript that opens the form's notebook page ``name`` (scrolled to on a phone)."""
    return f"""
        const tab = document.querySelector('.o_notebook a.nav-link[name="{name}"]');
        tab.click();
        if (window.innerWidth < 768) {{
            tab.scrollIntoView();
        }}
    """


SCREENS = [
    Screen(
        "dashboard",
        "admin",
        "/odoo/action-delivery_crm.delivery_dashboard_action",
        ready=".o_delivery_dashboard .o_delivery_kpi",
    ),
    Screen(
        "customers",
        "admin",
        "/odoo/action-delivery_crm.res_partner_action_delivery_customer?view_type=list",
        ready=".o_list_renderer .o_data_row, .o_kanban_renderer .o_kanban_record",
        phone_path="/odoo/action-delivery_crm.res_partner_action_delivery_customer",
    ),
    Screen(
        "customer-form",
        "admin",
        "/odoo/action-delivery_crm.res_partner_action_delivery_customer/{customer}",
        ready=".o_form_view .o_form_sheet",
        script=show_tab("delivery_crm"),
        langs={"zh_CN": ("desktop",)},
    ),
    Screen(
        "complaints",
        "admin",
        "/odoo/action-delivery_crm.delivery_complaint_action",
        ready=".o_kanban_renderer .o_kanban_record",
    ),
    Screen(
        "complaint-form",
        "admin",
        "/odoo/action-delivery_crm.delivery_complaint_action/{complaint}",
        ready=".o_form_view .o_form_sheet",
    ),
    Screen(
        "portal-complaints",
        "portal.zhao",
        "/my/complaints",
        ready="table tbody tr",
    ),
    Screen(
        "visits-calendar",
        "admin",
        "/odoo/action-delivery_crm.delivery_visit_action",
        ready=".o_calendar_renderer .fc-event",
        # a phone opens the kanban view first (the action's mobile view)
        script="odoo.__WOWL_DEBUG__.root.env.services.action.switchView('calendar');",
    ),
    Screen(
        "visits-today",
        "li.wei",
        "/odoo/action-delivery_crm.delivery_visit_action_today",
        ready=".o_kanban_renderer .o_kanban_record button",
        langs={"zh_CN": ("phone",)},
    ),
    Screen(
        "evaluations",
        "admin",
        "/odoo/action-delivery_crm.delivery_evaluation_action",
        ready=".o_list_renderer .o_data_row, .o_kanban_renderer .o_kanban_record",
    ),
    Screen(
        "evaluation-form",
        "admin",
        "/odoo/action-delivery_crm.delivery_evaluation_action/{evaluation}",
        ready=".o_form_view .o_form_sheet",
    ),
    Screen(
        "tier-ladder",
        "admin",
        "/odoo/action-delivery_crm.delivery_tier_ladder_action/{ladder}",
        ready=".o_form_view .o_form_sheet .o_field_x2many",
    ),
]
REPORT = ("customer-profile-report", "delivery_crm.report_customer_profile", "customer")


def log(message):
    print(f"[screenshots] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- Odoo
class Odoo:
    """An Odoo server on a free port, and JSON-RPC sessions on it."""

    def __init__(self, config, db, workdir):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "odoo.log"
        cmd = [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            config,
            "-d",
            db,
            f"--db-filter=^{db}$",
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--log-level=warn",
            f"--logfile={self.log_path}",
        ]
        log(f"starting Odoo on {self.url} (database {db}, log {self.log_path})")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo stopped at start-up, see {self.log_path}")
            try:
                if requests.get(f"{self.url}/web/login", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer on {self.url}, see {self.log_path}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def session(self, login):
        """A requests session logged in as ``login``."""
        session = requests.Session()
        reply = self.rpc(
            session,
            "/web/session/authenticate",
            {"db": self.db, "login": login, "password": PASSWORDS[login]},
        )
        if not reply.get("uid"):
            raise RuntimeError(f"cannot log in as {login}")
        return session

    def rpc(self, session, path, params):
        reply = session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=600,
        ).json()
        if "error" in reply:
            raise RuntimeError(f"{path}: {reply['error']['data']['message']}")
        return reply["result"]

    def call(self, session, model, method, *args, **kwargs):
        return self.rpc(
            session,
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, session, xmlid):
        module, name = xmlid.split(".")
        [data] = self.call(
            session,
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return data["res_id"]


def prepare(odoo):
    """Make the demo database show every screen filled; return the record ids of the
    screens' paths."""
    admin = odoo.session("admin")
    call = functools.partial(odoo.call, admin)
    # the Chinese user interface
    lang_ids = call("res.lang", "search", [("code", "=", "zh_CN")], context={"active_test": False})
    wizard = call("base.language.install", "create", {"lang_ids": [(6, 0, lang_ids)]})
    call("base.language.install", "lang_install", [wizard])
    # evaluations: the quarterly job evaluates the last complete quarter
    cron = odoo.ref(admin, "delivery_crm.ir_cron_evaluation_quarterly")
    call("ir.cron", "method_direct_trigger", [cron])
    # "My visits today" of Li Wei: his planned visit at 15:00 today, in his time zone
    li_wei = call("res.users", "search", [("login", "=", "li.wei")])
    visits = call(
        "delivery.visit",
        "search",
        [("user_id", "in", li_wei), ("state", "=", "planned")],
        limit=1,
        order="planned_date",
    )
    if visits:
        local = datetime.now(ZoneInfo(TIMEZONE)).replace(hour=15, minute=0, second=0)
        utc = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        call("delivery.visit", "write", visits, {"planned_date": f"{utc:%Y-%m-%d %H:%M:%S}"})
    customer = odoo.ref(admin, "delivery_crm.res_partner_customer_01_demo")
    [evaluation] = call(
        "delivery.evaluation", "search", [("partner_id", "=", customer)], limit=1
    ) or call("delivery.evaluation", "search", [], limit=1, order="total_score desc")
    return {
        "customer": customer,
        "complaint": odoo.ref(admin, "delivery_crm.delivery_complaint_01_demo"),
        "evaluation": evaluation,
        "ladder": odoo.ref(admin, "delivery_crm.delivery_tier_ladder_standard"),
    }


def set_lang(odoo, logins, lang):
    admin = odoo.session("admin")
    users = odoo.call(admin, "res.users", "search", [("login", "in", logins)])
    odoo.call(admin, "res.users", "write", users, {"lang": lang})


# --------------------------------------------------------------------------- Chromium
def find_chrome():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no Chromium found (Debian: apt-get install chromium)")


class Browser:
    """A headless Chromium and a DevTools connection to its page."""

    def __init__(self, workdir):
        profile = workdir / "chromium"
        profile.mkdir()
        cmd = [find_chrome(), *CHROME_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "chromium.log").open("wb"),
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.stat().st_size > 5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start, see {workdir / 'chromium.log'}")
            time.sleep(0.2)
        port = int(port_file.read_text().splitlines()[0])
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        [page] = [t for t in targets if t["type"] == "page"][:1]
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=120, suppress_origin=True
        )
        self.next_id = 0
        self.send("Emulation.setTimezoneOverride", timezoneId=TIMEZONE)

    def stop(self):
        self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:  # other messages are events: not used
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result.get("result", {}).get("value")

    def resize(self, size):
        width, height = SIZES[size]
        phone = size == "phone"
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=phone,
        )
        self.send("Emulation.setTouchEmulationEnabled", enabled=phone, maxTouchPoints=5)
        self.send("Emulation.setUserAgentOverride", userAgent=PHONE_USER_AGENT if phone else "")

    def log_in(self, base_url, session_id):
        self.send("Network.clearBrowserCookies")
        self.send("Network.setCookie", name="session_id", value=session_id, url=base_url)

    def open(self, url, ready, script=""):
        """Open ``url``, wait until ``ready`` (a CSS selector) is shown and the page is
        idle, run ``script`` and wait until the page is idle again."""
        self.evaluate("window.__screenshot_previous_page = true")
        self.send("Page.navigate", url=url)
        self.wait(url, WEB_CLIENT_READY if script else ready)
        if script:
            self.evaluate(f"(() => {{ {script} }})()")
            self.wait(url, ready)

    def wait(self, url, ready, timeout=60):
        """Wait until ``ready`` is shown and the page stops changing: no loading
        indicator, the same DOM for a second."""
        check = f"""(() => {{
            if (window.__screenshot_previous_page || document.readyState !== "complete") {{
                return "loading";
            }}
            const error = document.querySelector(".o_error_dialog, .o_dialog:has(.text-danger)");
            if (error) {{
                return "error: " + error.innerText.slice(0, 2000);
            }}
            if (document.querySelector(".o_loading_indicator, .o_blockUI")) {{
                return "loading";
            }}
            if (!document.querySelector({json.dumps(ready)})) {{
                return "loading";
            }}
            return "ready:" + document.body.innerHTML.length;
        }})()"""
        deadline = time.monotonic() + timeout
        previous, stable = None, 0
        while time.monotonic() < deadline:
            state = self.evaluate(check) or "loading"
            if state.startswith("error"):
                raise RuntimeError(f"{url}: {state}")
            if state.startswith("ready"):
                stable = stable + 1 if state == previous else 0
                if stable >= 4:  # unchanged for a second
                    self.evaluate("document.fonts.ready")
                    time.sleep(0.5)
                    return
            previous = state
            time.sleep(0.25)
        failed = pathlib.Path(tempfile.gettempdir(), "screenshot-failed.png")
        self.screenshot(failed)
        raise RuntimeError(f"{url}: {ready!r} not shown after {timeout} s (see {failed})")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


# --------------------------------------------------------------------------- main
def capture(odoo, browser, screens, ids, out, lang=None):
    sessions = {}
    for screen in screens:
        sizes = screen.langs.get(lang, ()) if lang else screen.sizes
        for size in sizes:
            if screen.login not in sessions:
                sessions[screen.login] = odoo.session(screen.login).cookies["session_id"]
            path = screen.phone_path if size == "phone" and screen.phone_path else screen.path
            name = f"{screen.name}-{size}" + (f"-{lang}" if lang else "") + ".png"
            browser.resize(size)
            browser.log_in(odoo.url, sessions[screen.login])
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    browser.open(odoo.url + path.format(**ids), screen.ready, screen.script)
                    break
                except RuntimeError as error:
                    if attempt == ATTEMPTS:
                        raise
                    log(f"{name}: {error}; trying again")
            browser.screenshot(out / name)
            log(f"{name}")


def capture_report(odoo, ids, out, workdir):
    """The first page of a PDF report, as PNG."""
    name, report, record = REPORT
    admin = odoo.session("admin")
    response = admin.get(f"{odoo.url}/report/pdf/{report}/{ids[record]}", timeout=300)
    if response.headers.get("Content-Type") != "application/pdf":
        raise RuntimeError(f"{report}: no PDF ({response.status_code})")
    pdf = workdir / f"{name}.pdf"
    pdf.write_bytes(response.content)
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        raise RuntimeError("pdftoppm not found (Debian: apt-get install poppler-utils)")
    subprocess.run(
        [pdftoppm, "-png", "-r", "96", "-f", "1", "-l", "1", "-singlefile", pdf, out / name],
        check=True,
    )
    log(f"{name}.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--db", required=True, help="database with delivery_crm and demo data")
    parser.add_argument(
        "--out", default=str(ROOT / "docs" / "screenshots"), help="where the PNGs go"
    )
    parser.add_argument("--only", nargs="*", help="screen names to take (default: all)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    screens = [s for s in SCREENS if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory(prefix="dcrm-screenshots-") as tmp:
        workdir = pathlib.Path(tmp)
        odoo = Odoo(args.config, args.db, workdir)
        browser = None
        try:
            ids = prepare(odoo)
            browser = Browser(workdir)
            set_lang(odoo, sorted(PASSWORDS), "en_US")
            capture(odoo, browser, screens, ids, out)
            if not args.only or REPORT[0] in args.only:
                capture_report(odoo, ids, out, workdir)
            langs = sorted({lang for screen in screens for lang in screen.langs})
            for lang in langs:
                set_lang(odoo, sorted({s.login for s in screens if lang in s.langs}), lang)
                capture(odoo, browser, screens, ids, out, lang=lang)
        except Exception:
            if odoo.log_path.is_file():
                sys.stderr.write(odoo.log_path.read_text()[-5000:])
            raise
        finally:
            if browser:
                browser.stop()
            odoo.stop()
    app_page = pathlib.Path(__file__).resolve().parent.parent / "delivery_crm/static/description"
    for name in APP_PAGE_SHOTS:
        if (out / name).is_file():
            shutil.copyfile(out / name, app_page / name)
    log(f"done: {out} (and the Apps page's {', '.join(APP_PAGE_SHOTS)})")


if __name__ == "__main__":
    main()
