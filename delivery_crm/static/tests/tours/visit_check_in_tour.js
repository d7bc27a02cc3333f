import { registry } from "@web/core/registry";

/**
 * A field user opens "My visits today" on a phone and checks in with one tap. The
 * browser's position is stubbed with the one the Python test chose.
 */
registry.category("web_tour.tours").add("delivery_crm_visit_check_in", {
    url: "/odoo/action-delivery_crm.delivery_visit_action_today",
    steps: () => [
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check in')",
            run() {
                navigator.geolocation.getCurrentPosition = (success) =>
                    success({ coords: { latitude: 31.2404, longitude: 121.49, accuracy: 8 } });
                this.anchor.click();
            },
        },
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check out')",
        },
    ],
});

/** The same, when the user refuses to share the position. */
registry.category("web_tour.tours").add("delivery_crm_visit_check_in_refused", {
    url: "/odoo/action-delivery_crm.delivery_visit_action_today",
    steps: () => [
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check in')",
            run() {
                navigator.geolocation.getCurrentPosition = (success, failure) =>
                    failure({ code: 1, message: "User denied Geolocation" });
                this.anchor.click();
            },
        },
        {
            trigger: ".o_notification:contains('without location')",
        },
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check out')",
        },
    ],
});

/** A phone that locates by cell towers only: 3 km of uncertainty, the check-in is flagged. */
registry.category("web_tour.tours").add("delivery_crm_visit_check_in_uncertain", {
    url: "/odoo/action-delivery_crm.delivery_visit_action_today",
    steps: () => [
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check in')",
            run() {
                navigator.geolocation.getCurrentPosition = (success) =>
                    success({ coords: { latitude: 31.2404, longitude: 121.49, accuracy: 3000 } });
                this.anchor.click();
            },
        },
        {
            trigger: ".o_notification:contains('3000 m only')",
        },
        {
            trigger: ".o_kanban_record:contains('Tour check-in visit') .o_delivery_visit_check_in:contains('Check out')",
        },
    ],
});
