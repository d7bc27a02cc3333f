import { registry } from "@web/core/registry";

/**
 * An account manager on a phone logs a call from the customer's form: the button,
 * the few fields of the quick form, save. The Python test opens the form and checks
 * the record and the plan it fulfilled.
 */
registry.category("web_tour.tours").add("delivery_crm_communication_log", {
    steps: () => [
        {
            trigger: ".o_form_view .o_form_sheet",
            run() {
                // at phone size the stat buttons beyond the first ones are in "More"
                const button = document.querySelector("button[name='action_log_communication']");
                if (!button || !button.offsetParent) {
                    document.querySelector(".o-form-buttonbox .o_button_more")?.click();
                }
            },
        },
        {
            trigger: "button[name='action_log_communication']",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='name'] input",
            run: "edit Call about Sunday pick-ups",
        },
        {
            trigger: ".modal .o_field_widget[name='content'] textarea",
            run: "edit Sunday pick-ups from April",
        },
        {
            trigger: ".modal .o_field_widget[name='feedback'] textarea",
            run: "edit Happy with the drivers",
        },
        {
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
