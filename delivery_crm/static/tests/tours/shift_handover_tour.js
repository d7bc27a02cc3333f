import { registry } from "@web/core/registry";

/**
 * The incoming staff opens the shift hand-over on a phone, reads the duty record and
 * acknowledges it. The Python test opens the record and checks who signed and when.
 */
registry.category("web_tour.tours").add("delivery_crm_shift_handover_acknowledge", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name='notes']:contains('claim form')",
        },
        {
            trigger: ".o_form_view button[name='action_acknowledge']",
            run: "click",
        },
        {
            // signed: the button is gone, the form shows who acknowledged
            trigger: ".o_form_view:not(:has(button[name='action_acknowledge'])) .o_field_widget[name='acknowledged_by_id']:contains('Incoming Staff')",
        },
    ],
});
