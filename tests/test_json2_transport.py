"""The transport system on Odoo 19's external API (issue 15 item 6), over real HTTP:
``POST /json/2/delivery.shipment/transport_upsert`` with the API key of an integration
user (group "Delivery CRM / Transport system"), as the README's curl examples do."""

import time
import uuid

import pytest
import requests
from conftest import RpcError, run_odoo, xmlid_to_id

TRANSPORT_GROUP = "delivery_crm.group_delivery_crm_transport"


def make_api_key(db, uid):
    """An API key of user ``uid``, made as an administrator makes one from a shell (the
    user would make it in Preferences → Account Security → New API Key)."""
    script = (
        f"user = env['res.users'].browse({uid})\n"
        "key = env['res.users.apikeys'].with_user(user).sudo()._generate("
        "None, 'transport system test', None)\n"
        "env.cr.commit()\n"
        "print('APIKEY=' + key)\n"
    )
    out = run_odoo("shell", "-d", db, "--no-http", "--log-level=warn", stdin=script)
    [key] = [line[len("APIKEY=") :] for line in out.splitlines() if line.startswith("APIKEY=")]
    return key


class Json2:
    """A client of /json/2 with a bearer token (an API key, or whatever is tried)."""

    def __init__(self, server, token):
        self.server = server
        self.headers = {
            "Authorization": f"bearer {token}",
            "X-Odoo-Database": server.db,
            "Content-Type": "application/json",
        }

    def post(self, model, method, **body):
        return requests.post(
            f"{self.server.url}/json/2/{model}/{method}",
            headers=self.headers,
            json=body,
            timeout=300,
        )

    def call(self, model, method, **body):
        response = self.post(model, method, **body)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def world(server):
    """The administrator's session, two customers with codes, another company's
    customer, the integration user with an API key and an employee with one."""
    admin = server.session("admin", "admin")
    run = uuid.uuid4().hex[:8]
    customers = {
        code: admin.call(
            "res.partner",
            "create",
            {
                "name": f"Transport test {code} {run}",
                "ref": f"{code}-{run}",
                "is_company": True,
                "is_delivery_customer": True,
                "customer_state": "active",
            },
        )
        for code in ("A", "B")
    }
    company2 = admin.call("res.company", "create", {"name": f"Other carrier {run}"})
    foreign = admin.call(
        "res.partner",
        "create",
        {
            "name": f"Foreign customer {run}",
            "ref": f"F-{run}",
            "is_company": True,
            "is_delivery_customer": True,
            "company_id": company2,
        },
    )
    users = {}
    for login, groups in (
        (f"transport.{run}", ["base.group_user", TRANSPORT_GROUP]),
        (f"employee.{run}", ["base.group_user"]),
    ):
        users[login.split(".")[0]] = admin.call(
            "res.users",
            "create",
            {
                "name": login,
                "login": login,
                "password": f"{login}-password",
                "group_ids": [(6, 0, [xmlid_to_id(admin, xmlid) for xmlid in groups])],
            },
        )
    yield {
        "admin": admin,
        "run": run,
        "refs": {code: f"{code}-{run}" for code in customers},
        "ids": {**customers, "foreign": foreign},
        "foreign_ref": f"F-{run}",
        "transport": Json2(server, make_api_key(server.db, users["transport"])),
        "transport_password": Json2(server, f"transport.{run}-password"),
        "employee": Json2(server, make_api_key(server.db, users["employee"])),
    }
    # leave the shared test database as it was: a second company would, for one, give the
    # module's evaluation tests one evaluation run per company
    shipments = admin.call("delivery.shipment", "search", [("name", "like", f"%-{run}")])
    admin.call("delivery.shipment", "unlink", shipments)
    admin.call("res.users", "write", list(users.values()), {"active": False})
    admin.call("res.partner", "unlink", [*customers.values(), foreign])
    admin.call("res.company", "unlink", [company2])


def row(world, name, code="A", **values):
    return {
        "name": f"{name}-{world['run']}",
        "customer_ref": world["refs"][code],
        "date": "2026-11-20 08:00:00",
        "promised_datetime": "2026-11-21 08:00:00",
        "revenue": 1280.0,
        "pieces": 12,
        "weight": 86.5,
        "status": "in_transit",
        **values,
    }


def shipments(world, *names):
    return world["admin"].call(
        "delivery.shipment",
        "search_read",
        [("name", "in", [f"{name}-{world['run']}" for name in names])],
        ["name", "status", "outcome", "revenue", "write_date", "partner_id"],
        order="name",
    )


def messages(world, ids):
    return world["admin"].call(
        "mail.message", "search_count", [("model", "=", "delivery.shipment"), ("res_id", "in", ids)]
    )


def test_create_resend_and_newer_status(world):
    api = world["transport"]
    rows = [
        row(world, "WB-1"),
        row(world, "WB-2", "B", customer_ref=None, partner_id=world["ids"]["B"]),
    ]
    result = api.call("delivery.shipment", "transport_upsert", rows=rows)
    assert (result["created"], result["errors"]) == (2, 0), result
    stored = shipments(world, "WB-1", "WB-2")
    assert [r["id"] for r in result["rows"]] == [s["id"] for s in stored]
    assert stored[0]["partner_id"][0] == world["ids"]["A"]
    ids = [s["id"] for s in stored]
    before = messages(world, ids)

    again = api.call("delivery.shipment", "transport_upsert", rows=rows)
    assert [r["result"] for r in again["rows"]] == ["unchanged", "unchanged"]
    assert shipments(world, "WB-1", "WB-2") == stored, "nothing written"
    assert messages(world, ids) == before, "no tracking message"

    newer = [
        row(
            world,
            "WB-1",
            status="delivered",
            delivered_datetime="2026-11-21 07:40:00",
            updated_at="2026-11-21 07:45:00",
        )
    ]
    result = api.call("delivery.shipment", "transport_upsert", rows=newer)
    assert result["rows"][0]["result"] == "updated", result
    [one] = shipments(world, "WB-1")
    assert (one["status"], one["outcome"]) == ("delivered", "delivered")
    # an older message of the transport system is ignored, a status never goes back
    older = [row(world, "WB-1", updated_at="2026-11-20 09:00:00")]
    result = api.call("delivery.shipment", "transport_upsert", rows=older)
    assert result["rows"][0]["result"] == "unchanged" and result["rows"][0]["stale"]
    back = [row(world, "WB-1", updated_at="2026-11-22 09:00:00")]
    result = api.call("delivery.shipment", "transport_upsert", rows=back)
    assert "cannot go back" in result["rows"][0]["error"]
    assert shipments(world, "WB-1")[0]["status"] == "delivered"


def test_read_customers(world):
    customers = world["transport"].call(
        "delivery.shipment",
        "transport_customers",
        refs=[*world["refs"].values(), world["foreign_ref"]],
    )
    assert sorted(c["ref"] for c in customers) == sorted(world["refs"].values())
    assert set(customers[0]) == {"id", "name", "ref"}


def test_batch_of_1000_in_one_call(world):
    rows = [row(world, f"WB-K{i:04d}", "AB"[i % 2]) for i in range(1000)]
    started = time.perf_counter()
    result = world["transport"].call("delivery.shipment", "transport_upsert", rows=rows)
    seconds = time.perf_counter() - started
    assert (result["created"], result["errors"]) == (1000, 0)
    result = world["transport"].call("delivery.shipment", "transport_upsert", rows=rows)
    assert result["unchanged"] == 1000
    assert seconds < 60, f"1,000 rows took {seconds:.1f} s"


def test_malformed_rows_refused_alone(world):
    rows = [
        row(world, "WB-GOOD1"),
        row(world, "WB-BAD-DATE", date="2026-02-30 08:00:00"),
        row(world, "WB-NEGATIVE", revenue=-10.0),
        row(world, "WB-UNKNOWN", customer_ref="NO-SUCH-CUSTOMER"),
        row(world, "WB-FOREIGN", customer_ref=world["foreign_ref"]),
        row(world, "WB-FOREIGN-ID", customer_ref=None, partner_id=world["ids"]["foreign"]),
        row(world, "WB-TYPE", pieces="12"),
        row(world, "WB-GOOD2", "B"),
    ]
    result = world["transport"].call("delivery.shipment", "transport_upsert", rows=rows)
    by_result = {r["reference"]: r for r in result["rows"]}
    errors = {
        "WB-BAD-DATE": "is not a date and time",
        "WB-NEGATIVE": "cannot be negative",
        "WB-UNKNOWN": "No delivery customer of your company",
        "WB-FOREIGN": "No delivery customer of your company",
        "WB-FOREIGN-ID": "No delivery customer of your company",
        "WB-TYPE": "pieces must be a whole number",
    }
    for name, message in errors.items():
        line = by_result[f"{name}-{world['run']}"]
        assert line["result"] == "error" and message in line["error"], line
    assert (result["created"], result["errors"]) == (2, len(errors))
    stored = [s["name"] for s in shipments(world, *[r["name"].rsplit("-", 1)[0] for r in rows])]
    assert stored == [f"WB-GOOD1-{world['run']}", f"WB-GOOD2-{world['run']}"]


def test_key_without_the_group_refused(world):
    response = world["employee"].post(
        "delivery.shipment", "transport_upsert", rows=[row(world, "WB-EMPLOYEE")]
    )
    assert response.status_code == 403, response.text
    assert response.json()["name"] == "odoo.exceptions.AccessError"
    assert not shipments(world, "WB-EMPLOYEE")


def test_password_instead_of_key_refused(world):
    response = world["transport_password"].post(
        "delivery.shipment", "transport_upsert", rows=[row(world, "WB-PASSWORD")]
    )
    assert response.status_code == 401, response.text
    assert not shipments(world, "WB-PASSWORD")


# task fix16 (issue 16 finding 4): the tier-benefit flags the transport system prices with
def test_benefit_flags_over_json2(world):
    admin, run = world["admin"], world["run"]
    ref = f"FLAGS-{run}"
    customer = admin.call(
        "res.partner",
        "create",
        {
            "name": f"Benefit flags {run}",
            "ref": ref,
            "is_company": True,
            "is_delivery_customer": True,
            "customer_state": "active",
            "account_manager_id": admin.uid,
        },
    )
    fields = [
        "ref",
        "benefit_first_order",
        "benefit_first_order_percent",
        "benefit_discount_percent",
        "benefit_free_delivery",
        "benefit_priority",
    ]

    def give_tier(xmlid):
        wizard = admin.call(
            "delivery.tier.override.wizard",
            "create",
            {
                "partner_id": customer,
                "tier_id": xmlid_to_id(admin, xmlid),
                "reason": "Transport flags test",
                "expiry": "2099-12-31",
            },
        )
        admin.call("delivery.tier.override.wizard", "action_confirm", [wizard])

    def flags():
        [values] = world["transport"].call("res.partner", "read", ids=[customer], fields=fields)
        return values

    try:
        give_tier("delivery_crm.delivery_tier_new")
        new = flags()
        assert new["ref"] == ref
        assert new["benefit_first_order"] is True and new["benefit_first_order_percent"] > 0
        assert (new["benefit_discount_percent"], new["benefit_free_delivery"]) == (0.0, False)
        delivered = row(
            world,
            "WB-FIRST",
            customer_ref=ref,
            status="delivered",
            delivered_datetime="2026-11-21 07:40:00",
        )
        result = world["transport"].call("delivery.shipment", "transport_upsert", rows=[delivered])
        assert result["created"] == 1, result
        assert flags()["benefit_first_order"] is False
        give_tier("delivery_crm.delivery_tier_gold")
        gold = flags()
        assert gold["benefit_free_delivery"] is True and gold["benefit_priority"] is True
        assert gold["benefit_discount_percent"] > 0  # the Regular tier's member prices
        # an employee outside the CRM and the transport system is refused the flags
        response = world["employee"].post("res.partner", "read", ids=[customer], fields=fields)
        assert response.status_code == 403, response.text
        assert response.json()["name"] == "odoo.exceptions.AccessError"
        # a terminated customer has no benefits left
        admin.call(
            "res.partner",
            "write",
            [customer],
            {"customer_state": "terminated", "state_reason": "Contract ended"},
        )
        ended = flags()
        assert (ended["benefit_free_delivery"], ended["benefit_discount_percent"]) == (False, 0.0)
    finally:
        shipments_ = admin.call("delivery.shipment", "search", [("partner_id", "=", customer)])
        admin.call("delivery.shipment", "unlink", shipments_)
        try:
            admin.call("res.partner", "unlink", [customer])
        except RpcError:  # its tier history is kept: archived instead
            admin.call("res.partner", "write", [customer], {"active": False})
