"""The customer profile and tiers over JSON-RPC, as the demo users of each role,
against a real Odoo server on the test database (module + demo data)."""

import pytest
import requests
from conftest import RpcError, rpc_user

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
    # every customer of the demo data: the roles read every customer's profile
    admin = server.session("admin", "admin")
    demo = admin.call(
        "ir.model.data",
        "search_read",
        [("module", "=", "delivery_crm"), ("model", "=", "res.partner")],
        ["res_id"],
    )
    demo_customers = admin.call(
        "res.partner", "search", CUSTOMERS + [("id", "in", [row["res_id"] for row in demo])]
    )
    assert demo_customers and set(demo_customers) <= {row["id"] for row in rows}
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


# ----------------------------------------------------------------------------- history
# issue 13 item 3 / security review H5, M5 (helper "history"): merging or re-parenting
# customers and ending a manager's tier override are for managers
CONTACTS_EMPLOYEE = "dcrm.profile.contacts"


def _uid(session, login):
    return session.call("res.users", "search", [("login", "=", login)])[0]


def _two_customers(manager, tag, email):
    """Two fresh customers with the same e-mail: li.wei's and chen.jing's."""
    return [
        manager.call(
            "res.partner",
            "create",
            {
                "name": f"RPC merge {tag} {owner}",
                "is_company": True,
                "is_delivery_customer": True,
                "email": email,
                "account_manager_id": _uid(manager, owner),
            },
        )
        for owner in ("li.wei", "chen.jing")
    ]


def _merge(session, partner_ids, dst_id):
    wizard = session.call(
        "base.partner.merge.automatic.wizard",
        "create",
        {"partner_ids": [(6, 0, partner_ids)], "dst_partner_id": dst_id},
    )
    return session.call("base.partner.merge.automatic.wizard", "action_merge", [wizard])


def test_account_manager_cannot_merge_another_customer_into_theirs(server):
    manager = server.session("wang.fang", "wang.fang")
    admin = server.session("admin", "admin")
    mine, theirs = _two_customers(manager, "am", "rpc.merge.am@example.com")
    try:
        staff = server.session("li.wei", "li.wei")
        with pytest.raises(RpcError) as err:
            _merge(staff, [mine, theirs], mine)
        assert err.value.name == "odoo.exceptions.AccessError", err.value
        assert "managers" in err.value.message
        assert admin.call("res.partner", "search_count", [("id", "in", [mine, theirs])]) == 2
    finally:
        admin.call("res.partner", "unlink", [mine, theirs])


def test_contact_creation_employee_cannot_merge_a_customer(server):
    admin = server.session("admin", "admin")
    rpc_user(admin, "contacts", CONTACTS_EMPLOYEE, "Contacts Only")
    manager = server.session("wang.fang", "wang.fang")
    customer, _other = _two_customers(manager, "employee", "rpc.merge.emp@example.com")
    copy = admin.call(
        "res.partner", "create", {"name": "RPC merge copy", "email": "rpc.merge.emp@example.com"}
    )
    try:
        employee = server.session(CONTACTS_EMPLOYEE, CONTACTS_EMPLOYEE)
        for dst in (copy, customer):
            with pytest.raises(RpcError) as err:
                _merge(employee, [customer, copy], dst)
            assert err.value.name == "odoo.exceptions.AccessError", err.value
        assert admin.call("res.partner", "search_count", [("id", "in", [customer, copy])]) == 2
        # nor does the employee make the customer somebody's contact
        with pytest.raises(RpcError) as err:
            employee.call("res.partner", "write", [customer], {"parent_id": copy})
        assert err.value.name == "odoo.exceptions.AccessError", err.value
        [row] = admin.call("res.partner", "read", [customer], ["parent_id"])
        assert row["parent_id"] is False
    finally:
        admin.call("res.partner", "unlink", [customer, _other, copy])


def test_account_manager_cannot_end_a_tier_override_by_switching_ladder(server):
    manager = server.session("wang.fang", "wang.fang")
    admin = server.session("admin", "admin")
    customer, other = _two_customers(manager, "ladder", "rpc.ladder@example.com")
    try:
        [row] = manager.call("res.partner", "read", [customer], ["tier_ladder_id", "tier_id"])
        ladder = row["tier_ladder_id"][0]
        higher = manager.call(
            "delivery.tier",
            "search",
            [("ladder_id", "=", ladder), ("id", "!=", row["tier_id"][0])],
            limit=1,
        )[0]
        wizard = manager.call(
            "delivery.tier.override.wizard",
            "create",
            {
                "partner_id": customer,
                "tier_id": higher,
                "reason": "Strategic tender",
                "expiry": "2099-12-31",
            },
        )
        manager.call("delivery.tier.override.wizard", "action_confirm", [wizard])
        key = manager.call("delivery.tier.ladder", "search", [("id", "!=", ladder)], limit=1)[0]
        staff = server.session("li.wei", "li.wei")
        with pytest.raises(RpcError) as err:
            staff.call("res.partner", "write", [customer], {"tier_ladder_id": key})
        assert err.value.name == "odoo.exceptions.AccessError", err.value
        fields = ["tier_ladder_id", "tier_id", "tier_override_tier_id"]
        [after] = manager.call("res.partner", "read", [customer], fields)
        assert (after["tier_ladder_id"][0], after["tier_id"][0]) == (ladder, higher)
        assert after["tier_override_tier_id"][0] == higher
    finally:
        admin.call("res.partner", "unlink", [customer, other])
