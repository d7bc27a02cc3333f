import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const SPARK_WIDTH = 300;
const SPARK_HEIGHT = 60;

/**
 * The manager's morning dashboard (issue 18): the company's service targets against
 * the actuals of the period, their trends, the tier distribution, SLA compliance by
 * team, customers at risk and what is overdue. Its data come from one read-only
 * server method (``delivery.dashboard.get_dashboard_data``); every card opens the
 * records it counts (the server gives each card its action). The cards stack on a
 * phone.
 */
export class DeliveryDashboard extends Component {
    static template = "delivery_crm.Dashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ period: "month", data: null, loading: true });
        onWillStart(() => this.load());
    }

    async load(period = this.state.period) {
        this.state.loading = true;
        this.state.data = await this.orm.call("delivery.dashboard", "get_dashboard_data", [], {
            period,
        });
        this.state.period = period;
        this.state.loading = false;
    }

    setPeriod(period) {
        if (period !== this.state.period) {
            this.load(period);
        }
    }

    open(action) {
        if (action) {
            this.actionService.doAction(action);
        }
    }

    openCustomer(partnerId) {
        this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: partnerId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    formatValue(value, unit) {
        if (value === null || value === undefined || value === false) {
            return _t("No data");
        }
        return unit === "%" ? `${value.toFixed(1)} %` : `${value.toFixed(1)} h`;
    }

    targetLabel(kpi) {
        if (kpi.target === null || kpi.target === undefined || kpi.target === false) {
            return _t("No target set");
        }
        const target = kpi.unit === "%" ? `${kpi.target} %` : `${kpi.target} h`;
        if (kpi.rule === "at_least") {
            return _t("Target: at least %(target)s", { target });
        }
        if (kpi.rule === "below") {
            return _t("Target: below %(target)s", { target });
        }
        return _t("Target: within %(target)s", { target });
    }

    statusClass(kpi) {
        return {
            ok: "o_delivery_kpi_ok border-success",
            miss: "o_delivery_kpi_miss border-danger",
            none: "o_delivery_kpi_none",
        }[kpi.status];
    }

    get scopeLabel() {
        return this.state.data.scope === "all"
            ? _t("All customers")
            : _t("Customers assigned to me and my team");
    }

    /** The SVG points of a trend, its target line and its last value. */
    spark(trend) {
        const values = trend.values.filter((value) => value !== null);
        const max = Math.max(trend.target || 0, ...values, 1) * 1.1;
        const step = SPARK_WIDTH / Math.max(trend.values.length - 1, 1);
        const y = (value) => (SPARK_HEIGHT - (value / max) * SPARK_HEIGHT).toFixed(1);
        const points = [];
        const dots = [];
        trend.values.forEach((value, index) => {
            if (value !== null) {
                const x = (index * step).toFixed(1);
                points.push(`${x},${y(value)}`);
                dots.push({ key: index, x, y: y(value) });
            }
        });
        const last = trend.values[trend.values.length - 1];
        return {
            points: points.join(" "),
            dots,
            targetY: y(trend.target || 0),
            width: SPARK_WIDTH,
            height: SPARK_HEIGHT,
            last: this.formatValue(last, "%"),
            title: trend.months
                .map((month, index) => `${month}: ${this.formatValue(trend.values[index], "%")}`)
                .join("\n"),
        };
    }
}

registry.category("actions").add("delivery_crm.dashboard", DeliveryDashboard);
