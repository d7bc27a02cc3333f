"""Bad input over JSON-RPC, as the demo users, against a real Odoo server: wrong types,
missing required fields, out-of-range scores and dates, unknown ids, oversized text, SQL
and HTML/script payloads. Each call is either refused with an error that says what is
wrong — and then the database is as it was: the model has the rows it had, the records
the call aimed at keep their values — or stored inertly: SQL stays text, scripts are
stripped from HTML fields and escaped wherever text is shown (the PDF reports' HTML, the
customer portal)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import RpcError, drain_server_log

VALIDATION = "odoo.exceptions.ValidationError"
USER = "odoo.exceptions.UserError"
ACCESS = "odoo.exceptions.AccessError"
MISSING = "odoo.exceptions.MissingError"
VALUE = "builtins.ValueError"
# Odoo does not check the types of many2one and integer values: PostgreSQL refuses them
# in the INSERT (or the module's first read of them), the transaction is rolled back
PG_TEXT = "psycopg2.errors.InvalidTextRepresentation"

SQL_PAYLOAD = "'; DROP TABLE res_partner; --"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS = SCRIPT + IMG
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
TEN_MB = 10 * 1024 * 1024


# ----------------------------------------------------------------------------- fixture
def _xmlid(session, xmlid):
    module, name = xmlid.split(".")
    [row] = session.call(
        "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"]
    )
    return row["res_id"]


class Ctx:
    """The sessions of the demo users and the ids the cases use."""

    def __init__(self, server):
        self.server = server
        self.sessions = {}
        admin = self.admin = self.session("admin")
        ref = {
            "c1": "delivery_crm.res_partner_customer_01_demo",
            "c9": "delivery_crm.res_partner_customer_09_demo",
            "contact1": "delivery_crm.res_partner_contact_01_demo",
            "contact2": "delivery_crm.res_partner_contact_02_demo",
            "delay": "delivery_crm.delivery_complaint_type_delay",
            "complaint1": "delivery_crm.delivery_complaint_01_demo",
            "template": "delivery_crm.mail_template_holiday_greeting",
        }
        self.ids = {key: _xmlid(admin, xmlid) for key, xmlid in ref.items()}
        users = admin.call(
            "res.users",
            "search_read",
            [("login", "in", ["li.wei", "zhang.min", "chen.jing", "portal.zhao"])],
            ["login"],
        )
        self.uid = {user["login"]: user["id"] for user in users}
        self.ids["visit1"] = admin.call(
            "delivery.visit",
            "search",
            [
                ("partner_id", "=", self.ids["c1"]),
                ("user_id", "=", self.uid["li.wei"]),
                ("state", "=", "planned"),
            ],
            limit=1,
        )[0]
        for key, partner in (("shipment1", "c1"), ("shipment9", "c9")):
            self.ids[key] = admin.call(
                "delivery.shipment", "search", [("partner_id", "=", self.ids[partner])], limit=1
            )[0]
        [shipment1] = admin.call("delivery.shipment", "read", [self.ids["shipment1"]], ["name"])
        self.names = {"shipment1": shipment1["name"]}
        self.ids["diamond"] = admin.call("delivery.tier", "search", [("code", "=", "DIAMOND")])[0]
        # another tier of China Resources Vanguard's ladder than the one it has
        [c1] = admin.call("res.partner", "read", [self.ids["c1"]], ["tier_id", "tier_ladder_id"])
        self.ids["other_tier"] = admin.call(
            "delivery.tier",
            "search",
            [("ladder_id", "=", c1["tier_ladder_id"][0]), ("id", "!=", c1["tier_id"][0])],
            limit=1,
        )[0]
        self.ids["scheme"] = admin.call("delivery.evaluation.scheme", "search", [], limit=1)[0]
        # a grant given (and revoked at once): its terms cannot change afterwards
        manager = self.session("wang.fang")
        self.ids["grant"] = manager.call(
            "delivery.access.grant",
            "create",
            {
                "partner_id": self.ids["c9"],
                "user_id": self.uid["chen.jing"],
                "department": "marketing",
                "reason": "RPC bad input",
                "date_end": _in_days(1),
            },
        )
        manager.call("delivery.access.grant", "action_revoke", [self.ids["grant"]])

    def session(self, login):
        if login not in self.sessions:
            self.sessions[login] = self.server.session(login, login)
        return self.sessions[login]

    def count(self, model):
        return self.admin.call(model, "search_count", [], context={"active_test": False})

    def snapshot(self, model, ids, fields):
        return self.admin.call(model, "read", ids, fields, context={"active_test": False})


def _in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def ctx(server):
    drain_server_log(server)
    return Ctx(server)


# ----------------------------------------------------------------------------- the cases
class Case:
    """One malformed call: ``user`` calls ``model.method(*args)`` (``args`` may be a
    function of the context). Refused: ``error`` is the expected error class name (or a
    tuple of acceptable ones), ``match`` a piece of its message; the rows of ``model``
    (and of ``counted``) and the fields of ``watch`` (model, ids, fields: a function of
    the context) must be unchanged. Stored inertly: ``check(ctx, result)`` verifies what
    was stored and cleans up."""

    def __init__(self, name, user, model, method, args, error=None, match=None, **options):
        self.id = name
        self.user = user
        self.model = model
        self.method = method
        self.args = args
        self.errors = (error,) if isinstance(error, str) else error
        self.match = match
        self.kwargs = options.get("kwargs", {})
        self.counted = options.get("counted", ())
        self.watch = options.get("watch")
        self.check = options.get("check")
        assert bool(self.errors) != bool(self.check), name

    def __repr__(self):
        return self.id


def _complaint(c, **values):
    return {"subject": "Bad input", "partner_id": c.ids["c1"], "type_id": c.ids["delay"], **values}


def _visit(c, **values):
    return {"name": "Bad input", "partner_id": c.ids["c1"], **values}


def _shipment(c, **values):
    return {
        "name": "BAD-INPUT-1",
        "partner_id": c.ids["c1"],
        "date": "2026-01-05 08:00:00",
        **values,
    }


def _grant(c, **values):
    return {
        "partner_id": c.ids["c9"],
        "user_id": c.uid["zhang.min"],
        "department": "sales",
        "reason": "Bad input",
        "date_start": _in_days(0),
        "date_end": _in_days(1),
        **values,
    }


def _override(**values):
    """A manager's tier override of China Resources Vanguard: the wizard made first (it
    is transient), its action is the call."""

    def args(c):
        wizard = {
            "partner_id": c.ids["c1"],
            "tier_id": c.ids["diamond"],
            "reason": "Bad input",
            "expiry": "2099-01-01",
            **values,
        }
        return [[c.session("wang.fang").call("delivery.tier.override.wizard", "create", wizard)]]

    return args


def _watch_tier(c):
    return ("res.partner", [c.ids["c1"]], ["tier_id", "tier_override_expiry"])


def _reply(body):
    def args(c):
        wizard = {"complaint_id": c.ids["complaint1"], "body": body}
        return [[c.session("li.wei").call("delivery.complaint.reply.wizard", "create", wizard)]]

    return args


def _scheme(**values):
    return lambda c: [[c.ids["scheme"]], values]


def _watch_scheme(c):
    fields = ["weight_satisfaction", "weight_volume", "excellent_score"]
    return ("delivery.evaluation.scheme", [c.ids["scheme"]], fields)


def _watch(customer, *fields):
    return lambda c: ("res.partner", [c.ids[customer]], list(fields))


def _occasion(c, **values):
    return {
        "name": "Bad input",
        "kind": "holiday",
        "date_mode": "fixed",
        "mail_template_id": c.ids["template"],
        **values,
    }


# checks of what is stored inertly ---------------------------------------------------
def _render(session, path):
    response = session.http.get(session.server.url + path, timeout=120)
    assert response.status_code == 200, path
    return response.text


def _assert_escaped(html, where):
    assert SCRIPT not in html and IMG not in html, f"a raw script in {where}"
    assert ESCAPED_SCRIPT in html, f"the text is not shown escaped in {where}"


def _check_sql_text(c, complaint_id):
    li = c.session("li.wei")
    [row] = li.call("delivery.complaint", "read", [complaint_id], ["subject"])
    assert row["subject"] == SQL_PAYLOAD
    # a value in a domain is a query parameter: the same text finds it, nothing runs
    found = li.call("delivery.complaint", "search", [("subject", "=", SQL_PAYLOAD)])
    assert found == [complaint_id]
    assert c.admin.call("res.partner", "search_count", [("id", "=", c.ids["c1"])]) == 1
    c.session("wang.fang").call("delivery.complaint", "unlink", [complaint_id])


def _check_oversized(c, complaint_id):
    li = c.session("li.wei")
    [row] = li.call("delivery.complaint", "read", [complaint_id], ["subject", "name"])
    assert len(row["subject"]) == TEN_MB and set(row["subject"]) == {"A"}
    listed = li.call("delivery.complaint", "search_read", [], ["name"], limit=80)
    assert complaint_id in {line["id"] for line in listed}
    c.session("wang.fang").call("delivery.complaint", "unlink", [complaint_id])


def _check_complaint_scripts(c, complaint_id):
    li = c.session("li.wei")
    [row] = li.call(
        "delivery.complaint",
        "read",
        [complaint_id],
        ["subject", "description", "root_cause_detail", "phone"],
    )
    # HTML is sanitized when stored, text is kept as typed
    assert "<script" not in row["description"] and "onerror" not in row["description"]
    assert "Late again" in row["description"]
    assert row["subject"] == "Late " + XSS
    assert row["root_cause_detail"] == "Driver " + XSS
    report = _render(li, f"/report/html/delivery_crm.report_delivery_complaint/{complaint_id}")
    _assert_escaped(report, "the complaint report")
    portal = c.session("portal.zhao")
    _assert_escaped(_render(portal, f"/my/complaints/{complaint_id}"), "the portal request page")
    _assert_escaped(_render(portal, "/my/complaints"), "the portal request list")
    c.session("wang.fang").call("delivery.complaint", "unlink", [complaint_id])


def _check_visit_scripts(c, visit_id):
    li = c.session("li.wei")
    [row] = li.call("delivery.visit", "read", [visit_id], ["content", "feedback"])
    assert "<script" not in row["content"] and "onerror" not in row["content"]
    assert row["feedback"] == XSS
    report = _render(li, f"/report/html/delivery_crm.report_delivery_visit/{visit_id}")
    _assert_escaped(report, "the visit report")
    c.session("wang.fang").call("delivery.visit", "unlink", [visit_id])


def _check_profile_scripts(c, result):
    li = c.session("li.wei")
    try:
        report = _render(li, f"/report/html/delivery_crm.report_customer_profile/{c.ids['c1']}")
        _assert_escaped(report, "the customer profile report")
    finally:
        li.call("res.partner", "write", [c.ids["c1"]], {"special_preferences": c.saved})


def _save_preferences(c):
    [row] = c.admin.call("res.partner", "read", [c.ids["c1"]], ["special_preferences"])
    c.saved = row["special_preferences"]
    return [[c.ids["c1"]], {"special_preferences": "Call first " + XSS}]


def _clocks(c):
    """The SLA clocks of the first request (task SLA)."""
    return c.admin.call(
        "delivery.complaint.sla", "search", [("complaint_id", "=", c.ids["complaint1"])]
    )


def _check_no_rows(c, result):
    assert result == []


# task claim (issue 15 item 3): compensation claims
def _claim(c, **values):
    return {"shipment_id": c.ids["shipment1"], "kind": "delay", "amount_claimed": 100.0, **values}


def _claim_at(c, state, amount=800.0, **values):
    """A claim of the first customer brought to ``state`` (submitted or approved) by the
    administrator, with ``values`` written once there; its id in a list."""
    # on a delivery of its own: one open claim per delivery and kind
    shipment_id = c.admin.call(
        "delivery.shipment",
        "create",
        {
            "name": f"CLAIM-{uuid.uuid4().hex[:12]}",
            "partner_id": c.ids["c1"],
            "date": "2026-09-01 08:00:00",
        },
    )
    claim_id = c.admin.call(
        "delivery.claim", "create", _claim(c, amount_claimed=amount, shipment_id=shipment_id)
    )
    c.admin.call("delivery.claim", "action_submit", [claim_id])
    if state == "approved":
        c.admin.call("delivery.claim", "write", [claim_id], {"amount_approved": amount / 2})
        c.admin.call("delivery.claim", "action_approve", [claim_id])
    if values:
        c.admin.call("delivery.claim", "write", [claim_id], values)
    return [claim_id]


def _last_claim(c):
    """The claim the case's arguments just made (the newest one)."""
    return c.admin.call("delivery.claim", "search", [], limit=1, order="id desc")


def _points_wizard(**values):
    """task ben: li.wei's redemption wizard for his customer; its action is the call."""

    def args(c):
        wizard = {"partner_id": c.ids["c1"], "reference": "Bad input", **values}
        return [[c.session("li.wei").call("delivery.points.wizard", "create", wizard)]]

    return args


def _requirement_task(c, **values):
    """task req: a task of a new requirement of li.wei's customer (made by the
    administrator), due in a month unless ``values`` say otherwise."""
    requirement = c.admin.call(
        "delivery.complaint",
        "create",
        {"subject": "Bad input", "partner_id": c.ids["c1"], "request_type": "requirement"},
    )
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    return {
        "complaint_id": requirement,
        "name": "Bad input",
        "owner_id": c.admin.uid,
        "deadline": deadline,
        **values,
    }


def _rostered(c):
    """task duty: zhang.min on the shift "Bad input" of 2001-01-01 (made once)."""
    manager = c.session("wang.fang")
    shifts = manager.call("delivery.duty.shift", "search", [("name", "=", "Bad input")], limit=1)
    shift = (
        shifts[0]
        if shifts
        else manager.call(
            "delivery.duty.shift",
            "create",
            {"name": "Bad input", "start_hour": 8.0, "end_hour": 16.0, "tz": "UTC"},
        )
    )
    # task fixduty: a past day (the staff open the hand-over of a shift that ended)
    row = {"date": "2001-01-01", "shift_id": shift, "user_id": c.uid["zhang.min"]}
    if not manager.call("delivery.duty.roster", "search", [(k, "=", v) for k, v in row.items()]):
        manager.call("delivery.duty.roster", "create", row)
    return row


def _draft_handover(c):
    """task duty: zhang.min's hand-over of that shift, being written (made once)."""
    row = _rostered(c)
    staff = c.session("zhang.min")
    found = staff.call(
        "delivery.duty.handover",
        "search",
        [("shift_id", "=", row["shift_id"]), ("date", "=", row["date"])],
    )
    return found or [
        staff.call(
            "delivery.duty.handover", "create", {"shift_id": row["shift_id"], "date": row["date"]}
        )
    ]


def _guest(c, **values):
    """task ben: a guest of a new appreciation event (made by the administrator)."""
    event = c.admin.call(
        "delivery.appreciation.event",
        "create",
        {"name": "Bad input", "date_begin": "2099-06-01 10:00:00"},
    )
    return {"event_id": event, "partner_id": c.ids["c1"], **values}


LOSS_PLAN = "delivery_crm.delivery_emergency_plan_loss"


def _emergency_wizard(empty_plan=False):
    """task inq: li.wei's activation wizard on his request (of a plan without steps that a
    manager just wrote); its action is the call."""

    def args(c):
        plan = _xmlid(c.admin, LOSS_PLAN)
        if empty_plan:
            plan = c.session("wang.fang").call(
                "delivery.emergency.plan", "create", {"name": "Bad input: no steps"}
            )
        wizard = {"complaint_id": c.ids["complaint1"], "plan_id": plan}
        return [[c.session("li.wei").call("delivery.emergency.activate.wizard", "create", wizard)]]

    return args


STAFF_GROUP = "delivery_crm.group_delivery_crm_user"  # task train

# fmt: off
CASES = [
    # --- requests: wrong types, unknown ids, missing and out-of-range values
    Case("complaint-customer-not-an-id", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, partner_id="abc")], VALIDATION, "expects the id"),
    Case("complaint-customer-unknown-id", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, partner_id=999999999)], MISSING),
    Case("complaint-contact-unknown-id", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, contact_id=999999999)], MISSING),
    Case("complaint-type-unknown-id", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, type_id=999999999)], VALIDATION),
    Case("complaint-missing-subject", "li.wei", "delivery.complaint", "create",
         lambda c: [{"partner_id": c.ids["c1"], "type_id": c.ids["delay"]}], VALIDATION,
         "Summary"),
    Case("complaint-empty-subject", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, subject=False)], VALIDATION, "Summary"),
    # a request type that does not exist (a KeyError of the module's numbering today)
    Case("complaint-request-type-bogus", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, request_type="bogus")], VALUE, "request_type"),
    Case("complaint-urgency-number", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, urgency=7)], VALUE, "urgency"),
    Case("complaint-without-type", "li.wei", "delivery.complaint", "create",
         lambda c: [{"subject": "Bad input", "partner_id": c.ids["c1"]}], VALIDATION,
         "needs a complaint type"),
    Case("complaint-contact-of-another-customer", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, contact_id=c.ids["contact2"])], VALIDATION,
         "is not a contact of"),
    Case("complaint-delivery-of-another-customer", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, shipment_id=c.ids["shipment9"])], VALIDATION,
         "belongs to another customer"),
    Case("complaint-received-in-the-future", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, received_date="2999-01-01 00:00:00")], VALIDATION,
         "in the future"),
    Case("complaint-received-not-a-date", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, received_date="yesterday")], VALUE),
    Case("complaint-received-impossible-date", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, received_date="2026-13-45 25:00:00")], VALUE,
         "does not match format"),
    Case("complaint-created-closed", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, state="closed")], USER, "starts as registered"),
    Case("complaint-unknown-field", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, no_such_field=1)], VALUE, "Invalid field"),
    # Odoo does not check the shape of the arguments: the call fails before any write
    Case("complaint-values-not-a-dict", "li.wei", "delivery.complaint", "create",
         ["not a dict"], ("builtins.AttributeError", "builtins.AssertionError")),
    Case("complaint-write-unknown-id", "li.wei", "delivery.complaint", "write",
         [[999999999], {"subject": "x"}], MISSING),
    Case("complaint-unlink-unknown-id", "wang.fang", "delivery.complaint", "unlink",
         [[999999999]], MISSING),
    Case("complaint-action-on-unknown-id", "li.wei", "delivery.complaint",
         "action_acknowledge", [[999999999]], MISSING),
    Case("complaint-read-unknown-id", "li.wei", "delivery.complaint", "read",
         [[999999999], ["subject"]], check=_check_no_rows),
    Case("complaint-ids-not-numbers", "li.wei", "delivery.complaint", "read",
         [["abc"], ["subject"]], PG_TEXT),
    Case("complaint-private-method", "li.wei", "delivery.complaint", "_sla_start",
         lambda c: [[c.ids["complaint1"]], "2020-01-01 00:00:00"], ACCESS, "Private methods",
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]],
                          ["sla_response_deadline"])),
    Case("complaint-unknown-method", "li.wei", "delivery.complaint", "no_such_method",
         lambda c: [[c.ids["complaint1"]]], "builtins.AttributeError", "does not exist"),
    Case("complaint-skips-to-closed", "li.wei", "delivery.complaint", "write",
         lambda c: [[c.ids["complaint1"]], {"state": "closed"}], USER, "cannot go from",
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]], ["state"])),
    Case("complaint-owner-changed-without-hand-over", "li.wei", "delivery.complaint", "write",
         lambda c: [[c.ids["complaint1"]], {"user_id": c.uid["zhang.min"]}], USER,
         "Hand over",
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]], ["user_id"])),
    # --- SQL in searches: names are checked, values are query parameters
    Case("search-sql-in-field-name", "li.wei", "delivery.complaint", "search",
         [[("subject; DROP TABLE res_partner", "=", 1)]], VALUE, "Invalid field",
         counted=["res.partner"]),
    Case("search-sql-in-operator", "li.wei", "delivery.complaint", "search",
         [[("subject", "; DROP TABLE res_partner", 1)]], VALUE, "Invalid operator",
         counted=["res.partner"]),
    Case("search-sql-in-order", "li.wei", "delivery.complaint", "search",
         [[]], USER, 'Invalid "order"', kwargs={"order": "id; DROP TABLE res_partner"},
         counted=["res.partner"]),
    Case("search-sql-in-limit", "li.wei", "delivery.complaint", "search",
         [[]], PG_TEXT, kwargs={"limit": "1; DROP TABLE res_partner"},
         counted=["res.partner"]),
    Case("read-sql-in-field-list", "li.wei", "delivery.complaint", "search_read",
         [[], ['subject"; DROP TABLE res_partner; --']], VALUE, "Invalid field",
         counted=["res.partner"]),
    Case("group-sql-in-groupby", "li.wei", "delivery.complaint", "read_group",
         [[], ["subject"], ["subject; DROP TABLE res_partner"]], VALUE, "groupby",
         counted=["res.partner"]),
    Case("search-sql-in-value", "li.wei", "delivery.complaint", "search_read",
         [[("subject", "=", SQL_PAYLOAD + " never stored")], ["subject"]],
         check=_check_no_rows),
    # --- text stored inertly, shown escaped
    Case("complaint-sql-in-subject", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, subject=SQL_PAYLOAD)], check=_check_sql_text),
    Case("complaint-10-mb-subject", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, subject="A" * TEN_MB)], check=_check_oversized),
    Case("complaint-scripts-in-text-and-html", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, subject="Late " + XSS, root_cause_detail="Driver " + XSS,
                               phone=XSS, description="<p>Late again</p>" + XSS)],
         check=_check_complaint_scripts),
    Case("visit-scripts-in-text-and-html", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, feedback=XSS, content="<p>Talked</p>" + XSS)],
         check=_check_visit_scripts),
    Case("profile-script-in-text", "li.wei", "res.partner", "write", _save_preferences,
         check=_check_profile_scripts),
    # --- visits: satisfaction scores, durations, dates, check-in positions
    Case("visit-score-7", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, satisfaction_score="7")], VALUE, "satisfaction_score"),
    Case("visit-score-minus-1", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, satisfaction_score="-1")], VALUE, "satisfaction_score"),
    Case("visit-score-a-number-not-a-key", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, satisfaction_score=5)], VALUE, "satisfaction_score"),
    Case("visit-25-hours", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, duration=25)], VALIDATION, "between 0 and 24 hours"),
    Case("visit-negative-duration", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, duration=-1)], VALIDATION, "between 0 and 24 hours"),
    Case("visit-created-done", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, state="done")], USER, "planned first"),
    Case("visit-without-customer", "li.wei", "delivery.visit", "create",
         [{"name": "Bad input"}], VALIDATION, "Customer"),
    Case("visit-planned-not-a-date", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, planned_date="next tuesday")], VALUE),
    Case("visit-unknown-customer", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, partner_id=999999999)], VALIDATION),
    Case("visit-check-in-not-numbers", "li.wei", "delivery.visit", "action_check_in_at",
         lambda c: [[c.ids["visit1"]], "north", "east"], USER, "two numbers",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["check_in_date"])),
    Case("visit-check-in-off-the-earth", "li.wei", "delivery.visit", "action_check_in_at",
         lambda c: [[c.ids["visit1"]], 999, 0], USER, "not a position on Earth",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["check_in_date"])),
    # --- deliveries
    Case("delivery-negative-revenue", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, revenue=-1)], VALIDATION, "cannot be negative"),
    Case("delivery-negative-weight", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, weight=-5)], VALIDATION, "cannot be negative"),
    Case("delivery-negative-pieces", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, pieces=-1)], VALIDATION, "cannot be negative"),
    Case("delivery-revenue-not-a-number", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, revenue="lots")], VALUE),
    Case("delivery-pieces-out-of-range", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, pieces=10**12)], VALIDATION, "out of range"),
    Case("delivery-outcome-bogus", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, outcome="teleported")], VALUE, "outcome"),
    Case("delivery-delivered-before-ordered", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, delivered_datetime="2026-01-01 08:00:00")], VALIDATION,
         "before it was created"),
    Case("delivery-for-a-contact", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, partner_id=c.ids["contact1"])], VALIDATION,
         "not a delivery customer"),
    Case("delivery-duplicate-reference", "li.wei", "delivery.shipment", "create",
         lambda c: [_shipment(c, name=c.names["shipment1"])], VALIDATION),
    # --- temporary access grants: dates, grantee, customer
    Case("grant-ends-before-it-starts", "wang.fang", "delivery.access.grant", "create",
         lambda c: [_grant(c, date_start=_in_days(2), date_end=_in_days(1))], VALIDATION,
         "after its start"),
    Case("grant-longer-than-30-days", "wang.fang", "delivery.access.grant", "create",
         lambda c: [_grant(c, date_end=_in_days(60))], VALIDATION, "at most 30 days"),
    Case("grant-to-a-portal-user", "wang.fang", "delivery.access.grant", "create",
         lambda c: [_grant(c, user_id=c.uid["portal.zhao"])], VALIDATION,
         "not an internal user"),
    Case("grant-on-a-contact", "wang.fang", "delivery.access.grant", "create",
         lambda c: [_grant(c, partner_id=c.ids["contact1"])], VALIDATION,
         "not a delivery customer"),
    Case("grant-department-bogus", "wang.fang", "delivery.access.grant", "create",
         lambda c: [_grant(c, department="hr")], VALUE, "department"),
    Case("grant-extended-after-given", "wang.fang", "delivery.access.grant", "write",
         lambda c: [[c.ids["grant"]], {"date_end": _in_days(20)}], USER, "cannot be changed",
         watch=lambda c: ("delivery.access.grant", [c.ids["grant"]], ["date_end"])),
    # --- tier overrides: end date, reason
    Case("override-ending-in-the-past", "wang.fang", "delivery.tier.override.wizard",
         "action_confirm", _override(expiry="2020-01-01"), USER, "end date in the future",
         counted=["delivery.tier.change"], watch=_watch_tier),
    Case("override-without-reason", "wang.fang", "delivery.tier.override.wizard",
         "action_confirm", _override(reason="   "), USER, "needs a reason",
         counted=["delivery.tier.change"], watch=_watch_tier),
    # --- configuration: weights, scores, hours, days of the year
    Case("scheme-weights-not-100", "wang.fang", "delivery.evaluation.scheme", "write",
         _scheme(weight_satisfaction=15), VALIDATION, "sum to 100", watch=_watch_scheme),
    Case("scheme-negative-weight", "wang.fang", "delivery.evaluation.scheme", "write",
         _scheme(weight_satisfaction=-5, weight_volume=55), VALIDATION, "cannot be negative",
         watch=_watch_scheme),
    Case("scheme-excellent-score-150", "wang.fang", "delivery.evaluation.scheme", "write",
         _scheme(excellent_score=150), VALIDATION, "100", watch=_watch_scheme),
    Case("tier-minimum-score-150", "wang.fang", "delivery.tier", "write",
         lambda c: [[c.ids["diamond"]], {"min_score": 150}], VALIDATION, "between 0 and 100",
         watch=lambda c: ("delivery.tier", [c.ids["diamond"]], ["min_score"])),
    Case("sla-zero-hours", "wang.fang", "delivery.sla.policy", "create",
         [{"name": "Bad input", "first_response_hours": 0}], VALIDATION, "must be positive"),
    Case("occasion-on-february-31", "wang.fang", "delivery.care.occasion", "create",
         lambda c: [_occasion(c, month=2, day=31)], VALIDATION, "not a day of the year"),
    Case("occasion-in-month-13", "wang.fang", "delivery.care.occasion", "create",
         lambda c: [_occasion(c, month=13, day=1)], VALIDATION, "not a day of the year"),
    Case("training-score-101", "wang.fang", "delivery.staff.training", "create",
         lambda c: [{"name": "Bad input", "user_id": c.uid["zhang.min"], "score": 101}],
         VALIDATION, "between 0 and 100"),
    Case("training-negative-hours", "wang.fang", "delivery.staff.training", "create",
         lambda c: [{"name": "Bad input", "user_id": c.uid["zhang.min"], "hours": -2}],
         VALIDATION, "cannot be negative"),
    # --- key accounts, care, communication, answers
    Case("key-plan-year-99", "li.wei", "delivery.key.account.plan", "create",
         lambda c: [{"partner_id": c.ids["c1"], "year": 99}], VALIDATION, "four-digit year"),
    Case("key-plan-negative-target", "li.wei", "delivery.key.account.plan", "create",
         lambda c: [{"partner_id": c.ids["c1"], "year": 2090, "volume_target": -1}],
         VALIDATION, "cannot be negative"),
    Case("key-plan-for-a-general-customer", "wang.fang", "delivery.key.account.plan",
         "create", lambda c: [{"partner_id": c.ids["c9"], "year": 2090}], VALIDATION,
         "not a key customer"),
    Case("care-negative-cost", "li.wei", "delivery.care.event", "create",
         lambda c: [{"name": "Bad input", "partner_id": c.ids["c1"], "cost": -10}],
         VALIDATION, "cannot be negative"),
    Case("care-reward-by-an-account-manager", "li.wei", "delivery.care.event", "create",
         lambda c: [{"name": "Bad input", "partner_id": c.ids["c1"], "kind": "reward"}],
         ACCESS, "rewards"),
    Case("communication-every-0-months", "li.wei", "delivery.communication.plan", "create",
         lambda c: [{"name": "Bad input", "partner_id": c.ids["c1"], "interval_number": 0}],
         VALIDATION, "at least 1"),
    Case("reply-with-an-empty-answer", "li.wei", "delivery.complaint.reply.wizard",
         "action_send", _reply("<p><br></p>"), USER, "empty", counted=["mail.message"]),
    # --- the customer profile
    Case("customer-state-bogus", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"customer_state": "bogus"}], (VALUE, USER),
         watch=_watch("c1", "customer_state")),
    Case("customer-terminated-without-reason", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"customer_state": "terminated"}], USER, "reason",
         watch=_watch("c1", "customer_state")),
    Case("customer-tier-set-by-hand", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"tier_id": c.ids["other_tier"]}], USER, "Override tier",
         watch=_watch("c1", "tier_id")),
    Case("customer-credit-level-by-staff", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"credit_level": "a"}], ACCESS, "credit_level"),
    Case("customer-credit-level-bogus", "wang.fang", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"credit_level": "z"}], VALUE, "credit_level",
         watch=_watch("c1", "credit_level")),
    # what the evaluation, the tier overrides and the conversions write (read-only fields):
    # not for staff to set
    Case("staff-set-the-evaluation-score", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"kpi_score": 100}], (ACCESS, USER),
         watch=_watch("c9", "kpi_score")),
    Case("staff-extend-a-tier-override", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"tier_override_expiry": "2099-12-31"}], (ACCESS, USER),
         watch=_watch("c9", "tier_override_expiry")),
    Case("staff-set-a-conversion-date", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"conversion_date": "2000-01-01"}], (ACCESS, USER),
         watch=_watch("c9", "conversion_date")),
    Case("staff-set-the-evaluated-tier", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"evaluated_tier_id": c.ids["diamond"]}], (ACCESS, USER),
         watch=_watch("c9", "evaluated_tier_id")),
    # issue 13 (chatter helper): what the check-in, check-out and recording of a visit keep
    # (security review L3, M2) is set by the visit's actions only, never by hand
    Case("visit-written-done", "li.wei", "delivery.visit", "write",
         lambda c: [[c.ids["visit1"]], {"state": "done"}], USER, "kept by the system",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["state", "visit_date"])),
    Case("visit-back-dated", "li.wei", "delivery.visit", "write",
         lambda c: [[c.ids["visit1"]], {"visit_date": "2026-01-05 10:00:00"}], USER,
         "kept by the system",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["visit_date"])),
    Case("visit-written-at-the-customer", "li.wei", "delivery.visit", "write",
         lambda c: [[c.ids["visit1"]], {"location_status": "ok", "check_in_distance": 0.01}],
         USER, "kept by the system",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]],
                          ["location_status", "check_in_distance"])),
    Case("visit-check-in-position-written", "li.wei", "delivery.visit", "write",
         lambda c: [[c.ids["visit1"]], {"check_in_date": "2026-01-05 09:00:00",
                                         "check_in_latitude": 31.24, "check_in_longitude": 121.49}],
         USER, "kept by the system",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]],
                          ["check_in_date", "check_in_latitude", "check_in_longitude"])),
    Case("visit-created-checked-in", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, location_status="ok", check_in_date="2026-01-05 09:00:00")],
         USER, "kept by the system"),
    Case("visit-created-done-by-context", "li.wei", "delivery.visit", "create",
         lambda c: [_visit(c, name="Forged by context")],
         check=lambda c, visit_id: _check_context_defaults_ignored(c, visit_id),
         kwargs={"context": {"default_state": "done", "default_location_status": "ok",
                             "default_visit_date": "2026-01-05 10:00:00"}}),
    # issue 13 item 3 / security review H5, M5, M6 (helper "history"): customers keep
    # their history; the first tier, the reward flag and the last visit are the module's
    Case("account-manager-puts-a-customer-under-theirs", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"is_company": False, "parent_id": c.ids["c1"]}], ACCESS,
         "managers", watch=_watch("c9", "parent_id", "is_company")),
    Case("account-manager-moves-a-contact-between-customers", "li.wei", "res.partner",
         "write", lambda c: [[c.ids["contact1"]], {"parent_id": c.ids["c9"]}], ACCESS,
         "managers", watch=_watch("contact1", "parent_id")),
    # the same move through the customer's contact list (the inverse write runs as the
    # request's user)
    Case("account-manager-takes-a-contact-into-another-customer", "li.wei", "res.partner",
         "write", lambda c: [[c.ids["c1"]], {"child_ids": [(4, c.ids["contact2"])]}], ACCESS,
         "managers", watch=_watch("contact2", "parent_id")),
    Case("staff-changes-the-email-of-another-customers-contact", "zhang.min", "res.partner",
         "write", lambda c: [[c.ids["contact1"]], {"email": "attacker@example.com"}], ACCESS,
         watch=_watch("contact1", "email")),
    Case("staff-adds-a-contact-to-another-customer", "zhang.min", "res.partner", "create",
         lambda c: [{"name": "Spy", "parent_id": c.ids["c1"], "email": "spy@example.com"}],
         ACCESS),
    Case("staff-chooses-the-first-tier", "zhang.min", "res.partner", "create",
         lambda c: [{"name": "Diamond at once", "is_delivery_customer": True,
                     "tier_id": c.ids["diamond"]}], (ACCESS, USER)),
    Case("staff-marks-a-reward-candidate", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"reward_candidate": True}], (ACCESS, USER),
         watch=_watch("c9", "reward_candidate")),
    Case("staff-sets-the-last-visit", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c9"]], {"last_visit_date": "2099-12-31"}], (ACCESS, USER),
         watch=_watch("c9", "last_visit_date")),
    # issue 13, fresh-eyes review: an archived request at creation is a manager's; the
    # lifecycle and classification of a new customer are the account managers'
    Case("complaint-created-archived", "li.wei", "delivery.complaint", "create",
         lambda c: [_complaint(c, active=False)], USER, "kept by the system"),
    Case("staff-registers-an-active-key-customer", "zhang.min", "res.partner", "create",
         lambda c: [{"name": "Active at once", "is_delivery_customer": True,
                     "customer_state": "active", "customer_class": "key"}], ACCESS,
         "account managers"),
    # ratings of requests (security review H1, H2, M4): only the customer's rating flow
    # writes them; the portal reads no internal field of a request
    Case("manager-forge-a-rating-of-a-request", "wang.fang", "rating.rating", "create",
         lambda c: [{"res_model_id": c.admin.call(
                         "ir.model", "search", [("model", "=", "delivery.complaint")])[0],
                     "res_id": c.ids["complaint1"], "rating": 1, "consumed": True}],
         ACCESS),
    Case("staff-rate-a-request-as-the-customer", "li.wei", "delivery.complaint",
         "rating_apply", lambda c: [[c.ids["complaint1"]], 5], ACCESS,
         kwargs={"token": "0" * 32}, counted=("rating.rating",),
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]], ["state", "rated_date"])),
    Case("portal-read-the-internal-triage", "portal.zhao", "delivery.complaint", "read",
         lambda c: [[c.ids["complaint1"]], ["importance", "acknowledged_uid"]], ACCESS),
    # task SLA (issue 14 item 3): the SLA clocks are the module's rows; nobody writes,
    # adds or removes one, nor sets the request's SLA fields that show them
    Case("staff-marks-a-clock-met", "li.wei", "delivery.complaint.sla", "write",
         lambda c: [_clocks(c), {"status": "met"}], ACCESS,
         watch=lambda c: ("delivery.complaint.sla", _clocks(c), ["status", "deadline"])),
    Case("manager-moves-a-clock-deadline", "wang.fang", "delivery.complaint.sla", "write",
         lambda c: [_clocks(c), {"deadline": "2099-01-01 00:00:00"}], ACCESS,
         watch=lambda c: ("delivery.complaint.sla", _clocks(c), ["deadline"])),
    Case("staff-adds-a-clock", "li.wei", "delivery.complaint.sla", "create",
         lambda c: [{"complaint_id": c.ids["complaint1"], "clock": "response"}], ACCESS),
    Case("manager-removes-a-clock", "wang.fang", "delivery.complaint.sla", "unlink",
         lambda c: [_clocks(c)], ACCESS),
    Case("manager-sets-the-resolve-by-date", "wang.fang", "delivery.complaint", "write",
         lambda c: [[c.ids["complaint1"]], {"sla_resolution_deadline": "2099-01-01 00:00:00"}],
         USER, "kept by the system",
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]],
                          ["sla_resolution_deadline"])),
    # task claim (issue 15 item 3): compensation claims refuse bad amounts, an approval
    # above one's limit, a decision without its reason or payment details, forged
    # workflow fields; the portal files through its form only (a claim on another
    # company's delivery: test_delivery_claim.py, a second company would stay behind
    # in this database and change the module tests' runs)
    Case("claim-negative-amount", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, amount_claimed=-100.0)], VALIDATION, "must be positive"),
    Case("claim-zero-amount", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, amount_claimed=0)], VALIDATION, "must be positive"),
    Case("claim-without-delivery", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, shipment_id=False)], VALIDATION, "Delivery"),
    Case("claim-delivery-unknown-id", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, shipment_id=999999999)], (MISSING, ACCESS)),
    Case("claim-approved-above-claimed", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, amount_approved=150.0)], VALIDATION, "at most the claimed"),
    Case("claim-state-forged", "li.wei", "delivery.claim", "create",
         lambda c: [_claim(c, state="paid")], USER, "kept by the system"),
    Case("staff-approves-a-claim-above-the-limit", "li.wei", "delivery.claim",
         "action_approve", lambda c: [_claim_at(c, "submitted", amount_approved=800.0)],
         USER, "needs a manager's approval",
         watch=lambda c: ("delivery.claim", _last_claim(c),
                          ["state", "approval_date", "amount_approved"])),
    Case("claim-refused-without-reason", "wang.fang", "delivery.claim", "action_refuse",
         lambda c: [_claim_at(c, "submitted")], USER, "reason",
         watch=lambda c: ("delivery.claim", _last_claim(c), ["state", "refused_date"])),
    Case("claim-paid-without-reference", "wang.fang", "delivery.claim", "action_pay",
         lambda c: [_claim_at(c, "approved", payment_date="2026-08-01")], USER,
         "payment date and reference",
         watch=lambda c: ("delivery.claim", _last_claim(c), ["state", "payment_date"])),
    Case("claim-paid-before-approval", "wang.fang", "delivery.claim", "action_pay",
         lambda c: [_claim_at(c, "submitted")], USER, "cannot be marked paid now",
         watch=lambda c: ("delivery.claim", _last_claim(c), ["state"])),
    Case("claim-approved-amount-raised-after-approval", "wang.fang", "delivery.claim",
         "write", lambda c: [_claim_at(c, "approved"), {"amount_approved": 700.0}], USER,
         "can no longer be changed",
         watch=lambda c: ("delivery.claim", _last_claim(c), ["amount_approved"])),
    Case("portal-files-a-claim-by-rpc", "portal.zhao", "delivery.claim", "create",
         lambda c: [_claim(c)], ACCESS),
    # --- issue 15 item 6 (api): the transport system's upsert refuses a malformed call
    # whole (a malformed row alone is answered per row: tests/test_json2_transport.py)
    Case("transport-rows-not-a-list", "li.wei", "delivery.shipment", "transport_upsert",
         lambda c: [{"name": "WB-1"}], VALIDATION, "rows must be a list"),
    Case("transport-too-many-rows", "li.wei", "delivery.shipment", "transport_upsert",
         lambda c: [[{"name": f"WB-{i}"} for i in range(1001)]], USER, "At most 1000 rows"),
    Case("portal-upserts-deliveries", "portal.zhao", "delivery.shipment", "transport_upsert",
         lambda c: [[{"name": "WB-P", "partner_id": c.ids["c1"], "date": "2026-09-01"}]],
         ACCESS, "transport system"),
    # task exc (issue 15 items 1 and 2): a notice choice that is not one, and the portal
    # reaching the desk's exception queue
    Case("partner-notice-scope-bogus", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"delivery_notify_scope": "sometimes"}], VALUE,
         "delivery_notify_scope",
         watch=lambda c: ("res.partner", [c.ids["c1"]], ["delivery_notify_scope"])),
    Case("portal-reads-the-exception-queue", "portal.zhao", "delivery.shipment.exception",
         "search_read", lambda c: [[]], ACCESS),
    # task geo (issue 16 items 1-2): a customer's position, the check-in's accuracy, and
    # a visit moved into the past (its calendar event follows the visit)
    Case("geo-customer-latitude-off-the-earth", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"partner_latitude": 95.0, "partner_longitude": 121.0}],
         VALIDATION, "not a position on Earth",
         watch=lambda c: ("res.partner", [c.ids["c1"]],
                          ["partner_latitude", "partner_longitude"])),
    Case("geo-staff-places-a-customer-by-hand", "zhang.min", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"partner_latitude": 30.0, "partner_longitude": 120.0}],
         ACCESS, "Only account managers set a customer's position",
         watch=lambda c: ("res.partner", [c.ids["c1"]],
                          ["partner_latitude", "partner_longitude"])),
    Case("geo-check-in-accuracy-not-a-number", "li.wei", "delivery.visit", "action_check_in_at",
         lambda c: [[c.ids["visit1"]], 31.23, 121.47, "about ten metres"], USER,
         "accuracy must be a number",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["check_in_date"])),
    Case("geo-visit-moved-into-the-past", "li.wei", "delivery.visit", "write",
         lambda c: [[c.ids["visit1"]], {"planned_date": "2020-01-06 02:00:00"}], USER,
         "cannot be moved into the past",
         watch=lambda c: ("delivery.visit", [c.ids["visit1"]], ["planned_date"])),
    # task comm (issue 16 items 3, 6): a communication is logged once it happened; the
    # monthly lines of key-account plans are the module's rows
    Case("communication-in-the-future", "li.wei", "delivery.communication", "create",
         lambda c: [{"name": "Bad input", "partner_id": c.ids["c1"], "content": "Bad input",
                     "date": "2099-01-01 08:00:00"}], VALIDATION, "in the future"),
    Case("communication-by-the-portal", "portal.zhao", "delivery.communication", "create",
         lambda c: [{"name": "Bad input", "partner_id": c.ids["c1"], "content": "Bad input"}],
         ACCESS),
    Case("manager-adds-a-key-plan-month", "wang.fang", "delivery.key.account.plan.month",
         "create", lambda c: [{"plan_id": 1, "month": "2099-01-01"}], ACCESS),
    # --- task ben (issue 16 items 5, 7): points, tier benefits, appreciation events
    Case("points-redeemed-beyond-the-balance", "li.wei", "delivery.points.wizard",
         "action_confirm", _points_wizard(points=999999.0), USER, "cannot be redeemed",
         counted=["delivery.points.move"]),
    Case("points-redeemed-negative", "li.wei", "delivery.points.wizard", "action_confirm",
         _points_wizard(points=-5.0), USER, "more than 0", counted=["delivery.points.move"]),
    Case("points-adjusted-by-an-account-manager", "li.wei", "delivery.points.wizard",
         "action_confirm", _points_wizard(points=50.0, origin="adjustment"), ACCESS,
         "managers", counted=["delivery.points.move"]),
    Case("points-move-written-by-rpc", "wang.fang", "delivery.points.move", "create",
         lambda c: [{"partner_id": c.ids["c1"], "points": 1000.0, "origin": "adjustment",
                     "date": "2026-09-01"}], ACCESS),
    Case("benefit-negative-points-rate", "wang.fang", "delivery.tier.benefit", "create",
         lambda c: [{"name": "Bad rate", "kind": "points", "points_rate": -1.0}], VALIDATION,
         "positive points rate"),
    Case("benefit-discount-over-100", "wang.fang", "delivery.tier.benefit", "create",
         lambda c: [{"name": "Bad discount", "kind": "discount", "discount_percent": 120.0}],
         VALIDATION, "at most 100%"),
    Case("appreciation-guest-of-another-customer", "li.wei", "delivery.appreciation.guest",
         "create", lambda c: [_guest(c, contact_id=c.ids["contact2"])], VALIDATION,
         "is not a person of"),
    # --- issue 16 items 4 and 8 (pros): a prospect's cadence is a number of days; the
    # behaviour segment is the daily job's
    Case("prospect-negative-cadence", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"prospect_followup_days": -3}], VALIDATION,
         "follow-up cadence", watch=_watch("c1", "prospect_followup_days")),
    Case("behaviour-segment-set-by-hand", "li.wei", "res.partner", "write",
         lambda c: [[c.ids["c1"]], {"behaviour_segment": "loyal"}], ACCESS,
         "kept by Delivery CRM", watch=_watch("c1", "behaviour_segment")),
    # --- task req (issue 17 items 1, 2): the action plan of a requirement; the
    # customer's confirmation of its delivery is recorded by the module only
    Case("requirement-task-on-a-complaint", "li.wei", "delivery.requirement.task", "create",
         lambda c: [_requirement_task(c, complaint_id=c.ids["complaint1"])], VALIDATION,
         "not a requirement"),
    Case("requirement-task-deadline-in-the-past", "li.wei", "delivery.requirement.task",
         "create", lambda c: [_requirement_task(c, deadline="2020-01-06")], USER,
         "cannot be in the past"),
    Case("requirement-delivery-confirmation-forged", "li.wei", "delivery.complaint", "write",
         lambda c: [[c.ids["complaint1"]], {"delivery_confirmed_date": "2026-01-01 08:00:00"}],
         USER, "kept by the system",
         watch=lambda c: ("delivery.complaint", [c.ids["complaint1"]],
                          ["delivery_confirmed_date"])),
    # --- task inq (issue 17 items 4, 5): emergency plans are activated with steps, each
    # with a role; nobody makes an inquiry summary by hand
    Case("emergency-plan-without-steps-activated", "li.wei", "delivery.emergency.activate.wizard",
         "action_activate", _emergency_wizard(empty_plan=True), USER, "has no steps",
         counted=["delivery.emergency.activation", "mail.activity"]),
    Case("emergency-plan-activated-on-nothing", "li.wei", "delivery.emergency.activate.wizard",
         "create", lambda c: [{"plan_id": _xmlid(c.admin, LOSS_PLAN)}], USER,
         "one request or one delivery exception"),
    Case("emergency-step-without-role", "wang.fang", "delivery.emergency.plan.step", "create",
         lambda c: [{"plan_id": _xmlid(c.admin, LOSS_PLAN), "action": "Bad input"}],
         VALIDATION, "role"),
    Case("emergency-step-due-before-activation", "wang.fang", "delivery.emergency.plan.step",
         "create", lambda c: [{"plan_id": _xmlid(c.admin, LOSS_PLAN), "action": "Bad input",
                               "role": "head", "deadline_hours": -2}],
         VALIDATION, "cannot be due before"),
    Case("emergency-plan-written-by-staff", "zhang.min", "delivery.emergency.plan", "create",
         lambda c: [{"name": "Bad input"}], ACCESS),
    Case("inquiry-summary-made-by-hand", "wang.fang", "delivery.inquiry.summary", "create",
         lambda c: [{"company_id": 1, "date_from": "2099-01-01", "date_to": "2099-03-31"}],
         ACCESS),
    # --- task duty (issue 17 item 3): shifts, the roster, shift hand-overs, incidents
    Case("duty-shift-ends-before-it-starts", "wang.fang", "delivery.duty.shift", "create",
         lambda c: [{"name": "Bad input night", "start_hour": 22.0, "end_hour": 6.0}],
         VALIDATION, "before it starts"),
    Case("duty-roster-same-person-twice", "wang.fang", "delivery.duty.roster", "create",
         lambda c: [_rostered(c)], VALIDATION, "already on duty"),
    Case("duty-handover-acknowledged-by-hand", "zhang.min", "delivery.duty.handover", "create",
         lambda c: [{"shift_id": _rostered(c)["shift_id"], "date": "2099-01-02",
                     "state": "acknowledged", "acknowledged_by_id": c.uid["zhang.min"]}],
         USER, "kept by the system"),
    Case("duty-handover-acknowledged-before-handed", "zhang.min", "delivery.duty.handover",
         "action_acknowledge", lambda c: [_draft_handover(c)], USER,
         "must be handed over", counted=["delivery.duty.handover.line"],
         watch=lambda c: ("delivery.duty.handover", _draft_handover(c), ["state"])),
    Case("duty-incident-raised-by-hand", "wang.fang", "delivery.major.incident", "create",
         lambda c: [{"name": "Bad input", "kind": "sla_breach", "key": "Bad input"}], ACCESS),
    # --- issue 17 item 6 (train): a training plan repeats every month at least; only a
    # manager grants an award; a re-training proposal is the system's
    Case("training-plan-every-0-months", "wang.fang", "delivery.training.plan", "create",
         lambda c: [{"name": "Bad input", "recurrence": "periodic", "interval_months": 0,
                     "role_ids": [(6, 0, [_xmlid(c.admin, STAFF_GROUP)])]}],
         VALIDATION, "every month at least"),
    Case("award-granted-by-staff", "zhang.min", "delivery.staff.recognition", "create",
         lambda c: [{"name": "Bad input", "user_id": c.uid["zhang.min"], "kind": "award"}],
         ACCESS),
    Case("award-granted-by-account-manager", "li.wei", "delivery.staff.recognition", "create",
         lambda c: [{"name": "Bad input", "user_id": c.uid["zhang.min"], "kind": "award"}],
         ACCESS, "Only Delivery CRM managers"),
    Case("training-kpi-month-forged", "wang.fang", "delivery.staff.training", "create",
         lambda c: [{"name": "Bad input", "user_id": c.uid["zhang.min"],
                     "kpi_month": "2026-01-01", "origin": "kpi"}],
         USER, "kept by the system"),
]
# fmt: on


def _check_context_defaults_ignored(c, visit_id):
    """A visit created with ``default_state`` (and other system defaults) in the
    context is planned, not visited and not checked in; removed afterwards."""
    [visit] = c.snapshot("delivery.visit", [visit_id], ["state", "visit_date", "location_status"])
    c.admin.call("delivery.visit", "unlink", [visit_id])
    assert (visit["state"], visit["visit_date"], visit["location_status"]) == (
        "planned",
        False,
        "pending",
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(ctx, case):
    session = ctx.session(case.user)
    args = case.args(ctx) if callable(case.args) else case.args
    if case.check:
        case.check(ctx, session.call(case.model, case.method, *args, **case.kwargs))
        return
    counted = [case.model, *case.counted]
    transient = case.model.endswith(".wizard")
    before = {model: ctx.count(model) for model in counted if not transient or model != case.model}
    watched = case.watch(ctx) if case.watch else None
    values = ctx.snapshot(*watched) if watched else None
    try:
        with pytest.raises(RpcError) as err:
            result = session.call(case.model, case.method, *args, **case.kwargs)
            pytest.fail(
                f"refusal expected ({' or '.join(case.errors)}), the call returned {result!r}"
            )
    finally:
        if watched and ctx.snapshot(*watched) != values:
            # put back what the call should not have changed, for the cases after
            for row in values:
                restore = {
                    key: value[0] if isinstance(value, list) and len(value) == 2 else value
                    for key, value in row.items()
                    if key != "id"
                }
                ctx.admin.call(watched[0], "write", [row["id"]], restore)
    error = err.value
    assert error.name in case.errors, f"{error.name}: {error.message}"
    assert error.message.strip(), "an error without a message"
    if case.match:
        assert case.match in error.message, error.message
    assert {model: ctx.count(model) for model in before} == before
    if watched:
        assert ctx.snapshot(*watched) == values


def test_enough_cases():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
