import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * One tap to check in (or out) of a customer visit from a phone: the browser's
 * geolocation gives the position; when the user refuses it, or it is unavailable,
 * the visit is still checked in, flagged "no location" by the server. The browser's
 * position is WGS-84 (no conversion) with its accuracy in metres: the server flags a
 * check-in "uncertain" when the accuracy is worse than the company's radius. Browsers
 * give a position only in a secure context (HTTPS, or localhost).
 */
export class VisitCheckIn extends Component {
    static template = "delivery_crm.VisitCheckIn";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ busy: false });
    }

    get checkedIn() {
        return Boolean(this.props.record.data.check_in_date);
    }

    /** The current position, or null when refused, unavailable or too slow. */
    getPosition() {
        if (!navigator.geolocation) {
            return Promise.resolve(null);
        }
        return new Promise((resolve) => {
            navigator.geolocation.getCurrentPosition(
                (position) => resolve(position.coords),
                () => resolve(null),
                { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
            );
        });
    }

    async onClick() {
        const record = this.props.record;
        if (this.state.busy || !(await record.save())) {
            return;
        }
        this.state.busy = true;
        try {
            const coords = await this.getPosition();
            const kwargs = coords
                ? { latitude: coords.latitude, longitude: coords.longitude }
                : {};
            if (this.checkedIn) {
                await this.orm.call(record.resModel, "action_check_out_at", [[record.resId]], kwargs);
            } else {
                if (coords) {
                    kwargs.accuracy = coords.accuracy;
                }
                await this.orm.call(record.resModel, "action_check_in_at", [[record.resId]], kwargs);
            }
            if (!coords) {
                this.notification.add(
                    window.isSecureContext === false
                        ? _t(
                              "Your browser gives a position only over HTTPS: the visit is recorded without location."
                          )
                        : _t("Your position is not available: the visit is recorded without location."),
                    { type: "warning" }
                );
            }
            await record.load();
            if (coords && record.data.location_status === "uncertain") {
                this.notification.add(
                    _t(
                        "Your phone gives your position to %s m only: the check-in is flagged uncertain. Turn on GPS (precise location) next time.",
                        Math.round(coords.accuracy)
                    ),
                    { type: "warning" }
                );
            }
        } finally {
            this.state.busy = false;
        }
    }
}

export const visitCheckIn = {
    component: VisitCheckIn,
};

registry.category("view_widgets").add("delivery_visit_check_in", visitCheckIn);
