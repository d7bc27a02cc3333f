"""The customer profile and tiers over JSON-RPC, as the demo users of each role,
against a real Odoo server on the test database (module + demo data)."""

import pytest
import requests
from conftest import RpcError

CUSTOMERS = [("is_delivery_customer", "=", True)]


def test_login_page_and_app_menu(server):
    page = requests.get(f"{server.url}/web/login", timeout=30)
    assert page.status_code == 200
    assert 'name="login"' in page.text
    staff = server.session("li.wei", "li.wei")
    menus = staff.call("ir.ui.menu", "search_read", [("name", "=", "Delivery CRM")], ["name"])
    assert [m["name"] for m in menus] == ["Delivery CRM"]


def test_staff_reads_profiles_not_sensitive_fields(server):
    staff = server.session("li.wei", "li.wei")
    rows = staff.call(
        "res.partner",
        "search_read",
        CUSTOMERS,
        ["name", "customer_state", "tier_id", "account_manager_id"],
    )
    assert len(rows) >= 30
    assert all(row["tier_id"] for row in rows)
    assert {row["customer_state"] for row in rows} >= {"potential", "active"}
    with pytest.raises(RpcError) as err:
        staff.call("res.partner", "search_read", CUSTOMERS, ["credit_level"], limit=1)
    assert err.value.name == "odoo.exceptions.AccessError"
    fields = staff.call("res.partner", "fields_get", [], attributes=["string"])
    assert "tier_id" in fields and "decision_chain" not in fields


def test_manager_reads_sensitive_fields(server):
    manager = server.session("wang.fang", "wang.fang")
    rows = manager.call(
        "res.partner",
        "search_read",
        CUSTOMERS + [("customer_class", "=", "key")],
        ["credit_level", "decision_chain", "nda_signed"],
    )
    assert rows and all(row["decision_chain"] for row in rows)


def test_bad_input_refused_and_nothing_written(server):
    staff = server.session("li.wei", "li.wei")
    [customer] = staff.call(
        "res.partner",
        "search_read",
        CUSTOMERS + [("customer_state", "=", "active"), ("delivery_assigned", "=", True)],
        ["tier_id", "customer_state"],
        limit=1,
    )
    [foreign] = staff.call(
        "res.partner",
        "search_read",
        CUSTOMERS + [("delivery_assigned", "=", False)],
        ["business_scope"],
        limit=1,
    )
    diamond = staff.call("delivery.tier", "search", [("code", "=", "DIAMOND")])
    cases = [
        ("write", [[customer["id"]], {"tier_id": diamond[0]}], "odoo.exceptions.UserError"),
        (
            "write",
            [[customer["id"]], {"customer_state": "terminated", "state_reason": ""}],
            "odoo.exceptions.UserError",
        ),
        (
            "write",
            [[customer["id"]], {"customer_state": "potential"}],
            "odoo.exceptions.UserError",
        ),
        # a customer assigned to somebody else
        (
            "write",
            [[foreign["id"]], {"business_scope": "Overwritten"}],
            "odoo.exceptions.AccessError",
        ),
    ]
    for method, args, error in cases:
        with pytest.raises(RpcError) as err:
            staff.call("res.partner", method, *args)
        assert err.value.name == error, err.value
        assert err.value.message
    [after] = staff.call("res.partner", "read", [customer["id"]], ["tier_id", "customer_state"])
    assert after == {**customer, "id": customer["id"]}
    [after] = staff.call("res.partner", "read", [foreign["id"]], ["business_scope"])
    assert after == foreign
    # configuration is for managers
    with pytest.raises(RpcError) as err:
        staff.call("delivery.tier", "write", diamond, {"min_score": 10})
    assert err.value.name == "odoo.exceptions.AccessError"
    manager = server.session("wang.fang", "wang.fang")
    with pytest.raises(RpcError) as err:
        manager.call("delivery.tier", "write", diamond, {"min_score": -5})
    assert err.value.name == "odoo.exceptions.ValidationError"
    assert staff.call("delivery.tier", "read", diamond, ["min_score"])[0]["min_score"] == 90


def test_transport_system_writes_deliveries(server):
    staff = server.session("li.wei", "li.wei")
    [customer] = staff.call("res.partner", "search", [("name", "ilike", "Freshippo")], limit=1)
    ref = f"RPC-{customer}-1"
    record = {
        "name": ref,
        "partner_id": customer,
        "date": "2026-11-20 08:00:00",
        "promised_datetime": "2026-11-21 08:00:00",
        "delivered_datetime": "2026-11-21 09:30:00",
        "revenue": 1280.0,
    }
    [shipment_id] = staff.call("delivery.shipment", "create", [record])
    [shipment] = staff.call(
        "delivery.shipment", "read", [shipment_id], ["outcome", "status", "exception_notified"]
    )
    assert (shipment["outcome"], shipment["status"]) == ("late", "delivered")
    assert shipment["exception_notified"] is True
    bad_records = [
        {**record, "name": ref},  # duplicate reference
        {**record, "name": ref + "-neg", "revenue": -1},
        {**record, "name": ref + "-early", "delivered_datetime": "2026-11-19 08:00:00"},
    ]
    for bad in bad_records:
        with pytest.raises(RpcError) as err:
            staff.call("delivery.shipment", "create", [bad])
        assert err.value.name in ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError")
    assert staff.call("delivery.shipment", "search_count", [("name", "like", ref)]) == 1
