"""The service desk over JSON-RPC, as the demo users: staff take a complaint through its
workflow, the gates refuse what the policy forbids, and the demo portal customer reaches
only their own company's requests and none of their internal fields."""

import pytest
from conftest import RpcError


def _type(session, code):
    return session.call("delivery.complaint.type", "search", [("code", "=", code)])[0]


def test_staff_takes_a_complaint_through_the_gates(server):
    staff = server.session("li.wei", "li.wei")
    [contact] = staff.call(
        "res.partner",
        "search_read",
        [("parent_id.is_delivery_customer", "=", True), ("email", "!=", False)],
        ["id", "parent_id"],
        limit=1,
    )
    complaint_id = staff.call(
        "delivery.complaint",
        "create",
        {
            "subject": "RPC: parcel late",
            "contact_id": contact["id"],
            "type_id": _type(staff, "DELAY"),
            "urgency": "urgent",
            "importance": "important",
        },
    )
    [row] = staff.call(
        "delivery.complaint",
        "read",
        [complaint_id],
        ["name", "partner_id", "user_id", "priority", "state", "sla_response_hours"],
    )
    assert row["name"].startswith("CMP/")
    assert row["partner_id"][0] == contact["parent_id"][0]
    assert row["priority"] == "3"
    assert row["state"] == "registered"
    # the demo customer is a Special key account (0.5 h); urgent and important: 50 %
    assert row["sla_response_hours"] == 0.25
    assert row["user_id"][0] == staff.uid  # first-contact ownership

    # skipping steps, or moving on without a root cause, is refused and changes nothing
    with pytest.raises(RpcError) as err:
        staff.call("delivery.complaint", "write", [complaint_id], {"state": "closed"})
    assert err.value.name == "odoo.exceptions.UserError"
    staff.call("delivery.complaint", "action_acknowledge", [complaint_id])
    staff.call("delivery.complaint", "action_investigate", [complaint_id])
    with pytest.raises(RpcError) as err:
        staff.call("delivery.complaint", "action_resolving", [complaint_id])
    assert err.value.name == "odoo.exceptions.ValidationError"
    assert "root cause" in err.value.message
    [row] = staff.call("delivery.complaint", "read", [complaint_id], ["state", "sla_status"])
    assert row == {"id": complaint_id, "state": "investigating", "sla_status": "on_time"}


def test_portal_customer_sees_only_their_company(server):
    portal = server.session("portal.zhao", "portal.zhao")
    rows = portal.call("delivery.complaint", "search_read", [], ["name", "partner_id", "state"])
    assert rows, "the demo portal customer has requests"
    assert len({row["partner_id"][0] for row in rows}) == 1
    manager = server.session("wang.fang", "wang.fang")
    others = manager.call(
        "delivery.complaint", "search", [("partner_id", "!=", rows[0]["partner_id"][0])]
    )
    assert others
    with pytest.raises(RpcError) as err:
        portal.call("delivery.complaint", "read", others[:1], ["name"])
    assert err.value.name == "odoo.exceptions.AccessError"
    for field in ("user_id", "root_cause_id", "internal_note", "responsible_id"):
        with pytest.raises(RpcError) as err:
            portal.call("delivery.complaint", "read", [rows[0]["id"]], [field])
        assert err.value.name == "odoo.exceptions.AccessError", field
    with pytest.raises(RpcError) as err:
        portal.call("delivery.complaint", "write", [rows[0]["id"]], {"subject": "hacked"})
    assert err.value.name == "odoo.exceptions.AccessError"
    deliveries = portal.call("delivery.shipment", "search_read", [], ["partner_id", "status"])
    assert deliveries and {d["partner_id"][0] for d in deliveries} == {rows[0]["partner_id"][0]}
    with pytest.raises(RpcError) as err:
        portal.call("delivery.shipment", "read", [deliveries[0]["id"]], ["revenue"])
    assert err.value.name == "odoo.exceptions.AccessError"


# what the portal shows of a request (security review M4): the portal user reads these
# and Odoo's mixin fields, none of the internal ones
PORTAL_SHOWN = [
    "name",
    "subject",
    "request_type",
    "type_id",
    "received_date",
    "shipment_id",
    "urgency",
    "state",
    "description",
    "resolution",
    "first_response_date",
    "sla_response_deadline",
    "resolved_date",
    "sla_resolution_deadline",
    "closed_date",
    "partner_id",
]
PORTAL_HIDDEN = [
    "acknowledged_uid",
    "investigation_uid",
    "resolving_uid",
    "resolved_uid",
    "closed_uid",
    "create_uid",
    "write_uid",
    "importance",
    "priority",
    "feasibility",
    "feasibility_reason",
    "tier_id",
    "reopen_count",
    "sla_response_hours",
    "sla_resolution_hours",
    "sla_paused_hours",
    "first_response_time",
    "resolution_time",
    "email_cc",
    "email_from",
    "contact_id",
    "channel",
    "close_comment",
]


def test_portal_reads_only_what_the_portal_shows(server):
    portal = server.session("portal.zhao", "portal.zhao")
    [row] = portal.call("delivery.complaint", "search_read", [], PORTAL_SHOWN, limit=1)
    assert set(row) == {"id", *PORTAL_SHOWN}
    readable = portal.call("delivery.complaint", "fields_get", [], attributes=["type"])
    assert not set(PORTAL_HIDDEN) & set(readable)
    for field in PORTAL_HIDDEN:
        with pytest.raises(RpcError) as err:
            portal.call("delivery.complaint", "read", [row["id"]], [field])
        assert err.value.name == "odoo.exceptions.AccessError", field
    for field in ("create_uid", "on_time", "currency_id"):
        with pytest.raises(RpcError) as err:
            portal.call("delivery.shipment", "search_read", [], [field], limit=1)
        assert err.value.name == "odoo.exceptions.AccessError", field


def test_no_employee_forges_or_reads_the_ratings_of_requests(server):
    """Security review H1, H2: every employee could create, rewrite and read the
    ratings of requests (with the tokens that rate as the customer) over RPC."""
    manager = server.session("wang.fang", "wang.fang")
    [complaint_id] = manager.call("delivery.complaint", "search", [], limit=1)
    [model_id] = manager.call("ir.model", "search", [("model", "=", "delivery.complaint")])
    domain = [("res_model", "=", "delivery.complaint")]
    for login in ("demo", "zhang.min", "li.wei", "sun.li", "wang.fang", "admin"):
        user = server.session(login, login)
        with pytest.raises(RpcError) as err:
            user.call(
                "rating.rating",
                "create",
                {"res_model_id": model_id, "res_id": complaint_id, "rating": 1, "consumed": True},
            )
        assert err.value.name == "odoo.exceptions.AccessError", login
        # the customer's pending ratings (live tokens) are listed to nobody
        assert user.call("rating.rating", "search_count", [*domain, ("consumed", "=", False)]) == 0
        rows = user.call("rating.rating", "search_read", domain, ["rating", "res_id"])
        if login == "demo":  # outside the Delivery CRM: no rating of a request
            assert rows == [], login
        for row in rows[:1]:
            with pytest.raises(RpcError) as err:
                user.call("rating.rating", "read", [row["id"]], ["access_token"])
            assert err.value.name == "odoo.exceptions.AccessError", login
            with pytest.raises(RpcError) as err:
                user.call("rating.rating", "write", [row["id"]], {"rating": 5})
            assert err.value.name == "odoo.exceptions.AccessError", login
        # rating as the customer is not an RPC method
        with pytest.raises(RpcError) as err:
            user.call("delivery.complaint", "rating_apply", [complaint_id], 5, token="x" * 32)
        assert err.value.name == "odoo.exceptions.AccessError", login
