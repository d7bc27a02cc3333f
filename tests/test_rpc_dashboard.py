"""The dashboard's data method over JSON-RPC (issue 18 item 1), as the real logins: the
manager reads every customer's figures, an account manager those of the customers
assigned to him, an employee outside the CRM nothing; a bad period is refused."""

import pytest
from conftest import RpcError, rpc_user


def _kpis(data):
    return {kpi["key"]: kpi for kpi in data["kpis"]}


def test_manager_and_account_manager(server):
    manager = server.session("wang.fang", "wang.fang")
    data = manager.call("delivery.dashboard", "get_dashboard_data", period="year")
    assert data["scope"] == "all"
    assert {kpi["key"] for kpi in data["kpis"]} == {
        "satisfaction",
        "complaint_rate",
        "first_response",
        "resolution",
        "on_time_rate",
        "damage_rate",
    }
    account_manager = server.session("li.wei", "li.wei")
    mine = account_manager.call("delivery.dashboard", "get_dashboard_data", period="year")
    assert mine["scope"] == "assigned"
    # an account manager's deliveries are a part of the manager's
    assert _kpis(mine)["on_time_rate"]["whole"] <= _kpis(data)["on_time_rate"]["whole"]
    # the drill-down of the on-time card opens as many deliveries as it counts
    action = _kpis(mine)["on_time_rate"]["action"]
    count = account_manager.call(action["res_model"], "search_count", action["domain"])
    assert count == _kpis(mine)["on_time_rate"]["whole"]


def test_refused_outside_the_crm_and_bad_period(server):
    admin = server.session("admin", "admin")
    rpc_user(admin, "employee", "dash.employee", "Dash Employee")
    employee = server.session("dash.employee", "dash.employee")
    with pytest.raises(RpcError) as err:
        employee.call("delivery.dashboard", "get_dashboard_data", period="month")
    assert err.value.name == "odoo.exceptions.AccessError"
    manager = server.session("wang.fang", "wang.fang")
    with pytest.raises(RpcError) as err:
        manager.call("delivery.dashboard", "get_dashboard_data", period="week")
    assert err.value.name == "odoo.exceptions.UserError"
