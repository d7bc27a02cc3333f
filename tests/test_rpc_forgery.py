"""The figures that drive tiers, KPIs and rewards cannot be forged over the real routes
(security review of 2026-12, issue 13), as the demo users: the portal customer through
Odoo's chatter route, staff and the auditor over JSON-RPC. Each test is an attack of the
review, replayed over HTTP; it must be refused and write nothing."""

import uuid

import pytest
import requests
from conftest import RpcError


def _type(session, code):
    return session.call("delivery.complaint.type", "search", [("code", "=", code)])[0]


def _contact(session):
    [contact] = session.call(
        "res.partner",
        "search_read",
        [("parent_id.is_delivery_customer", "=", True), ("email", "!=", False)],
        ["id", "parent_id"],
        limit=1,
    )
    return contact


def _new_request(session, subject):
    return session.call(
        "delivery.complaint",
        "create",
        {
            "subject": subject,
            "contact_id": _contact(session)["id"],
            "type_id": _type(session, "DELAY"),
        },
    )


def _post(session, thread_id, post_data):
    return session._post(
        "/mail/message/post",
        {"thread_model": "delivery.complaint", "thread_id": thread_id, "post_data": post_data},
    )


def _refused(call, *args, **kwargs):
    """The call fails: an RPC error, or the route answers "not found"."""
    with pytest.raises((RpcError, requests.HTTPError)) as err:
        call(*args, **kwargs)
    return err.value


def _ratings(admin, complaint_id):
    return admin.call(
        "rating.rating",
        "search_count",
        [("res_model", "=", "delivery.complaint"), ("res_id", "=", complaint_id)],
    )


def test_portal_customer_cannot_rate_through_the_chatter(server):
    """H1: the customer posted three 5-star ratings on their own request through
    /mail/message/post; each counted in the evaluation and the staff KPI."""
    portal = server.session("portal.zhao", "portal.zhao")
    admin = server.session("admin", "admin")
    [row] = portal.call("delivery.complaint", "search_read", [], ["id"], limit=1)
    before = _ratings(admin, row["id"])
    body = f"Great service {uuid.uuid4().hex}"
    for _attempt in range(3):
        _post(
            portal,
            row["id"],
            {
                "body": body,
                "rating_value": 5,
                "message_type": "comment",
                "subtype_xmlid": "mail.mt_comment",
            },
        )
    # the customer's reply is posted (they may reply to their own request) …
    messages = admin.call(
        "mail.message",
        "search_read",
        [("model", "=", "delivery.complaint"), ("res_id", "=", row["id"])],
        ["body", "author_id"],
    )
    assert sum(body in m["body"] for m in messages) == 3
    # … and not one rating came with it
    assert _ratings(admin, row["id"]) == before


def test_owner_cannot_set_the_workflow_and_sla_fields(server):
    """H4: staff set a request's SLA status to "met", its escalation to "breach",
    closed it as "customer rated" and archived it, over RPC."""
    staff = server.session("li.wei", "li.wei")
    complaint_id = _new_request(staff, "RPC forgery: SLA")
    forged = [
        {"sla_response_status": "met", "sla_resolution_status": "met"},
        {"response_escalation": "breach"},
        {"first_response_time": 0.1, "resolution_time": 0.5},
        {"close_reason": "rated", "state": "closed"},
        {"active": False},
    ]
    fields = ["state", "close_reason", "sla_response_status", "response_escalation", "active"]
    [before] = staff.call("delivery.complaint", "read", [complaint_id], fields)
    for vals in forged:
        err = _refused(staff.call, "delivery.complaint", "write", [complaint_id], vals)
        assert err.name in ("odoo.exceptions.UserError", "odoo.exceptions.AccessError"), vals
    [after] = staff.call("delivery.complaint", "read", [complaint_id], fields)
    assert after == before
    assert after["state"] == "registered" and after["active"] is True


def test_context_defaults_do_not_forge_a_request(server):
    """H4/M2: default_* keys of the caller's context filled the workflow fields of a new
    request (created closed, "customer rated")."""
    staff = server.session("li.wei", "li.wei")
    contact = _contact(staff)
    complaint_id = staff.call(
        "delivery.complaint",
        "create",
        {
            "subject": "RPC forgery: defaults",
            "contact_id": contact["id"],
            "type_id": _type(staff, "DELAY"),
        },
        context={
            "default_state": "closed",
            "default_close_reason": "rated",
            "default_sla_response_status": "met",
        },
    )
    [row] = staff.call(
        "delivery.complaint",
        "read",
        [complaint_id],
        ["state", "close_reason", "sla_response_status"],
    )
    assert row["state"] == "registered"
    assert row["close_reason"] is False
    assert row["sla_response_status"] != "met"


def test_auditor_reads_and_never_sends(server):
    """M1: the auditor (and every read-only role) could e-mail the customer as the
    company and create or delete the activities of a request."""
    staff = server.session("li.wei", "li.wei")
    auditor = server.session("sun.li", "sun.li")
    complaint_id = _new_request(staff, "RPC forgery: auditor")
    [row] = auditor.call("delivery.complaint", "read", [complaint_id], ["name"])
    assert row["name"]  # the auditor reads it
    count = [("model", "=", "delivery.complaint"), ("res_id", "=", complaint_id)]
    admin = server.session("admin", "admin")
    messages = admin.call("mail.message", "search_count", count)
    _refused(
        _post,
        auditor,
        complaint_id,
        {"body": "Dear customer", "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
    )
    assert admin.call("mail.message", "search_count", count) == messages

    model_id = admin.call("ir.model", "search", [("model", "=", "delivery.complaint")])[0]
    err = _refused(
        auditor.call,
        "mail.activity",
        "create",
        {"res_model_id": model_id, "res_id": complaint_id, "summary": "Auditor's note"},
    )
    assert err.name == "odoo.exceptions.AccessError"
    activity_id = staff.call(
        "mail.activity",
        "create",
        {"res_model_id": model_id, "res_id": complaint_id, "summary": "Call the customer"},
    )
    for method in ("unlink", "action_feedback"):
        err = _refused(auditor.call, "mail.activity", method, [activity_id])
        assert err.name == "odoo.exceptions.AccessError", method
    assert staff.call("mail.activity", "search_count", [("id", "=", activity_id)]) == 1


def test_staff_cannot_forge_a_hand_over(server):
    """M2: staff created hand-over rows of their own, back-dated and "done by" a
    manager."""
    staff = server.session("li.wei", "li.wei")
    manager = server.session("wang.fang", "wang.fang")
    complaint_id = _new_request(staff, "RPC forgery: hand-over")
    err = _refused(
        staff.call,
        "delivery.complaint.handover",
        "create",
        {
            "complaint_id": complaint_id,
            "to_user_id": manager.uid,
            "user_id": manager.uid,
            "date": "2024-01-01 00:00:00",
            "reason": "Never happened",
        },
    )
    assert err.name == "odoo.exceptions.AccessError"
    assert (
        manager.call(
            "delivery.complaint.handover", "search_count", [("complaint_id", "=", complaint_id)]
        )
        == 0
    )


def test_staff_cannot_create_a_customer_with_a_forged_profile(server):
    """H3: creating a customer skipped the checks of write: a never-ending tier override
    "by" a manager, KPIs dated 2099, a conversion credited to oneself."""
    staff = server.session("zhang.min", "zhang.min")
    manager = server.session("wang.fang", "wang.fang")
    forged = {
        "tier_override_user_id": manager.uid,
        "tier_override_reason": "Board decision",
        "kpi_date": "2099-12-31",
        "converted_by_id": staff.uid,
        "conversion_date": "2026-12-01",
    }
    prefix = f"RPC forgery {uuid.uuid4().hex}"
    for name, value in forged.items():
        vals = {"name": f"{prefix} {name}", "is_delivery_customer": True, name: value}
        err = _refused(staff.call, "res.partner", "create", vals)
        assert err.name in ("odoo.exceptions.UserError", "odoo.exceptions.AccessError"), name
    assert manager.call("res.partner", "search_count", [("name", "like", prefix)]) == 0


def test_staff_cannot_make_themselves_developer(server):
    """M6: service staff assigned themselves as the developer of an unassigned customer
    (its whole history, and the conversion credit)."""
    staff = server.session("zhang.min", "zhang.min")
    manager = server.session("wang.fang", "wang.fang")
    customer_id = manager.call(
        "res.partner",
        "create",
        {"name": "RPC forgery: unassigned", "is_company": True, "is_delivery_customer": True},
    )
    manager.call("res.partner", "write", [customer_id], {"developer_id": False})
    err = _refused(staff.call, "res.partner", "write", [customer_id], {"developer_id": staff.uid})
    assert err.name in ("odoo.exceptions.UserError", "odoo.exceptions.AccessError")
    [row] = manager.call("res.partner", "read", [customer_id], ["developer_id"])
    assert row["developer_id"] is False
