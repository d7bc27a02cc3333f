import { registry } from "@web/core/registry";

/**
 * A manager opens the dashboard (desktop or phone), reads the on-time card against
 * its target, switches the period and drills into the deliveries the card counts.
 */
registry.category("web_tour.tours").add("delivery_crm_dashboard", {
    url: "/odoo/action-delivery_crm.delivery_dashboard_action",
    steps: () => [
        {
            trigger: ".o_delivery_kpi_on_time_rate.o_delivery_kpi_miss .o_delivery_kpi_value:contains('75.0 %')",
        },
        {
            trigger: ".o_delivery_kpi_on_time_rate:contains('at least 90')",
        },
        {
            trigger: ".o_delivery_dashboard_periods button[data-period='year']",
            run: "click",
        },
        {
            trigger: ".o_delivery_dashboard_periods button[data-period='year'].btn-primary",
        },
        {
            trigger: ".o_delivery_kpi_on_time_rate",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Finished deliveries'), .o_last_breadcrumb_item:contains('Finished deliveries')",
        },
        {
            trigger: ".o_data_row:contains('TOUR-DASH-3'), .o_kanban_record:contains('TOUR-DASH-3')",
        },
    ],
});
