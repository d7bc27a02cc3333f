import { registry } from "@web/core/registry";
import { download } from "@web/core/network/download";
import { formatDate } from "@web/core/l10n/dates";
import { stepUtils } from "@web_tour/tour_utils";

const { DateTime } = luxon;

/**
 * The main flows of the Delivery CRM, driven as a user drives them: from the apps menu,
 * through the menus, forms and buttons. Each tour runs at desktop size and on a phone
 * (375x812): steps marked "desktop" or "mobile" are the two ways to the same screen.
 * The Python tests (tests/test_delivery_main_flows_ui.py) set up the data, start the
 * tours as the role that does the work, and check the records the tours left.
 */

const APP = "delivery_crm.delivery_crm_menu_root";

/** Open the Delivery CRM app from the apps menu (desktop) or the burger menu (phone). */
function openApp() {
    return [
        {
            isActive: ["desktop"],
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            isActive: ["desktop"],
            content: "Open the Delivery CRM app",
            trigger: `.o-dropdown--menu .o_app[data-menu-xmlid='${APP}']`,
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "Open the burger menu",
            trigger: ".o_main_navbar .o_menu_toggle",
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "Show all the apps",
            trigger: ".o_sidebar_topbar a.btn-primary",
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "Open the Delivery CRM app",
            trigger: `.o_burger_menu_content .o_app[data-menu-xmlid='${APP}']`,
            run: "click",
        },
        {
            content: "The app is open",
            trigger:
                ".o_main_navbar:has(.o_menu_brand:contains('Delivery CRM')), " +
                ".o_main_navbar .o_menu_toggle.hasImage",
        },
    ];
}

/** Open the menu ``menu`` of the section ``section`` of the app. */
function openMenu(section, menu, title) {
    return [
        {
            isActive: ["desktop"],
            content: `Open the ${section} section`,
            trigger: `.o_menu_sections button[data-menu-xmlid='delivery_crm.${section}']`,
            run: "click",
        },
        {
            isActive: ["desktop"],
            content: `Open ${title}`,
            trigger: `.o-dropdown--menu [data-menu-xmlid='delivery_crm.${menu}']`,
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "Open the burger menu",
            trigger: ".o_main_navbar .o_menu_toggle",
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: `Open ${title}`,
            trigger: `.o_burger_menu_content li[data-menu-xmlid='delivery_crm.${menu}']`,
            run: "click",
        },
        {
            content: `${title} is open`,
            trigger:
                `.o_breadcrumb .active:contains('${title}'), ` +
                `.modal .modal-title:contains('${title}')`,
        },
    ];
}

/** How far ``element`` scrolls sideways, in pixels (0 when its content fits). */
function overflow(element) {
    return element.scrollWidth - element.clientWidth;
}

/**
 * A step failing when ``screen`` scrolls sideways: the page itself, the view's content
 * area, a form sheet, the kanban, or one of its cards. A kanban grouped by status
 * pans from column to column by design (Odoo's own layout, on a phone one column at a
 * time): there, each column and each card must fit the screen.
 */
function checkNoHorizontalScroll(screen, trigger, { groupedKanban = false } = {}) {
    return {
        content: `${screen}: no horizontal scrolling`,
        trigger,
        run() {
            const problems = [];
            const page = document.documentElement;
            const viewport = page.clientWidth;
            if (overflow(page) > 0) {
                problems.push(`the page is ${page.scrollWidth}px wide in ${viewport}px`);
            }
            const areas = groupedKanban
                ? []
                : document.querySelectorAll(
                      ".o_action_manager > .o_action .o_content, .o_form_sheet_bg, " +
                          ".o_form_sheet, .o_kanban_renderer"
                  );
            for (const area of areas) {
                if (overflow(area) > 0) {
                    problems.push(
                        `${area.className.split(" ")[0]} scrolls by ${overflow(area)}px`
                    );
                }
            }
            for (const card of document.querySelectorAll(".o_kanban_record")) {
                if (overflow(card) > 0 || card.getBoundingClientRect().width > viewport) {
                    problems.push(`the card "${card.innerText.split("\n")[0]}" does not fit`);
                }
            }
            for (const column of document.querySelectorAll(".o_kanban_group")) {
                if (column.getBoundingClientRect().width > viewport) {
                    problems.push("a kanban column is wider than the screen");
                }
            }
            if (problems.length) {
                throw new Error(`${screen} scrolls horizontally: ${problems.join("; ")}`);
            }
        },
    };
}

/**
 * Set a many2one field by searching ``text`` and picking ``label``: in the field's
 * autocomplete (desktop), or in the search dialog a phone opens instead.
 */
function setMany2one(field, text, label = text, scope = "") {
    const widget = `${scope} .o_field_widget[name='${field}']`.trim();
    return [
        {
            isActive: ["desktop"],
            content: `Type ${text} in ${field}`,
            trigger: `${widget} input`,
            run: `edit ${text}`,
        },
        {
            isActive: ["desktop"],
            content: `Pick ${label}`,
            trigger: `.o-autocomplete--dropdown-item:contains('${label}')`,
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: `Open the search of ${field}`,
            trigger: `${widget} input`,
            run: "click",
        },
        ...stepUtils.mobileKanbanSearchMany2X(field, text).map((step) =>
            step.run === "click" && step.trigger.startsWith(".o_kanban_record")
                ? { ...step, trigger: `.modal .o_kanban_record:contains('${label}')` }
                : step
        ),
        {
            content: `${field} is ${label}`,
            trigger: `${widget} input:value('${label}')`,
        },
    ];
}

/** Set a selection field to the choice ``label``. */
function setSelection(field, label, scope = "") {
    const widget = `${scope} .o_field_widget[name='${field}']`.trim();
    return [
        {
            content: `Open the choices of ${field}`,
            trigger: `${widget} .o_select_menu_toggler`,
            run: "click",
        },
        {
            content: `Choose ${label}`,
            trigger: `.o_select_menu_item:contains('${label}')`,
            run: "click",
        },
        {
            content: `${field} is ${label}`,
            trigger:
                `${widget}:has(input:value('${label}')), ` +
                `${widget}:has(.o_select_menu_toggler:contains('${label}'))`,
        },
    ];
}

/** Open the notebook page ``name`` of the form. */
function openPage(name) {
    return [
        {
            content: `Open the ${name} page`,
            trigger: `.o_notebook_headers a[name='${name}']`,
            run: "click",
        },
        {
            trigger: `.o_notebook_headers a[name='${name}'].active`,
        },
    ];
}

/** Click the header button ``label`` (folded into the "..." menu on a phone). */
function clickHeaderButton(label) {
    return stepUtils.statusbarButtonsSteps(label, `Click ${label}`);
}

/**
 * Wait until the record's status is ``value`` (``label``): the current step of the
 * status bar, or on a phone the status bar's single button.
 */
function checkStatus(value, label) {
    return {
        content: `The status is ${label}`,
        trigger:
            `.o_statusbar_status button.o_arrow_button_current[data-value='${value}'], ` +
            `.o_statusbar_status button.dropdown-toggle:contains('${label}')`,
    };
}

function saveForm() {
    return [
        {
            content: "Save",
            trigger: ".o_form_status_indicator .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ];
}

/** Search the view for ``text`` (a phone shows the search bar on demand). */
function searchFor(text) {
    return [
        {
            content: "Show the search bar",
            trigger: ".o_control_panel",
            async run({ queryFirst, click }) {
                if (!queryFirst(".o_control_panel .o_searchview_input:visible")) {
                    await click(queryFirst(".o_control_panel button:has(.fa-search)"));
                }
            },
        },
        {
            content: `Search ${text}`,
            trigger: ".o_control_panel .o_searchview_input",
            run: `edit ${text}`,
        },
        {
            trigger: ".o_searchview_autocomplete .o-dropdown-item",
        },
        {
            trigger: ".o_control_panel .o_searchview_input",
            run: "press Enter",
        },
        {
            content: `Searched for ${text}`,
            trigger: `.o_control_panel .o_searchview_facet:contains('${text}')`,
        },
    ];
}

/** Write ``text`` in the HTML field ``field`` of the form. */
function editHtml(field, text) {
    const editable = `.o_field_html[name='${field}'] .odoo-editor-editable`;
    return {
        content: `Write ${field}`,
        trigger: `${editable} .o-paragraph, ${editable} p`,
        run: `editor ${text}`,
    };
}

/** Add a row to the one2many list ``field`` of the form (its add line). */
function addLine(field) {
    return {
        content: `Add a line to ${field}`,
        trigger: `.o_field_widget[name='${field}'] .o_field_x2many_list_row_add a`,
        run: "click",
    };
}

/**
 * Add the ``index``-th action of the complaint: its kind, what, owner and deadline;
 * with ``doneNote``, it is also marked done with that note (a corrective action must be
 * done before the complaint is resolved, 001 §七.3).
 */
function addAction(index, kind, name, deadline, doneNote = null) {
    const row =
        ".o_field_widget[name='action_ids'] " +
        `.o_data_row.o_selected_row:nth-child(${index})`;
    return [
        addLine("action_ids"),
        {
            content: `Action ${index} is being edited`,
            trigger: row,
        },
        ...setSelection("kind", kind, row),
        {
            trigger: `${row} .o_field_widget[name='name'] textarea`,
            run: `edit ${name}`,
        },
        ...setMany2one("owner_id", "Tour Service Staff", "Tour Service Staff", row),
        {
            trigger: `${row} .o_field_widget[name='deadline'] input`,
            run: `edit ${deadline}`,
        },
        ...(doneNote
            ? [
                  {
                      content: "What was done",
                      trigger: `${row} .o_field_widget[name='done_note'] textarea`,
                      run: `edit ${doneNote}`,
                  },
                  {
                      content: "Mark it done",
                      trigger: `${row} .o_field_widget[name='done'] input`,
                      run: "click",
                  },
              ]
            : []),
    ];
}

// ---------------------------------------------------------------------- customer
registry.category("web_tour.tours").add("delivery_crm_customer_flow", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        {
            content: "The app opens on the customers",
            trigger: ".o_breadcrumb .active:contains('Customers')",
        },
        {
            trigger: ".o_kanban_view .o_kanban_record",
        },
        checkNoHorizontalScroll("The customer kanban", ".o_kanban_view .o_kanban_renderer"),
        {
            content: "Create a customer",
            trigger: ".o_control_panel .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name the customer",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour Logistics 巡游物流",
        },
        {
            content: "It is a company",
            trigger: ".o_field_widget[name='company_type'] input[data-value='company']:checked",
        },
        {
            trigger: ".o_field_widget[name='email'] input",
            run: "edit tour.logistics@example.com",
        },
        ...openPage("delivery_crm"),
        ...setSelection("customer_class", "Key"),
        ...setSelection("strategic_value", "Core"),
        ...setMany2one("account_manager_id", "Tour Account Manager"),
        ...setMany2one("acquisition_channel_id", "Exhibition", "Exhibition / business event"),
        {
            content: "Describe the business",
            trigger: ".o_field_widget[name='business_scope'] textarea",
            run: "edit Cross-border e-commerce, small parcels",
        },
        {
            content: "Note the delivery requirements",
            trigger: ".o_field_widget[name='delivery_requirements'] textarea",
            run: "edit Pick-up before 18:00, signed proof of delivery",
        },
        checkNoHorizontalScroll("The customer form", ".o_form_view .o_form_sheet"),
        ...saveForm(),
        {
            content: "The customer has its entry tier",
            trigger: ".o_field_widget[name='tier_id']:not(:empty)",
        },
    ],
});

// ---------------------------------------------------------------------- complaint
/**
 * Service staff take a complaint in by phone and work it through the gates of the
 * workflow: acknowledged, investigated (root cause, department, responsible),
 * corrective and preventive actions, the result, resolved. The customer closes it
 * with a rating from the portal (delivery_crm_complaint_rating_flow).
 */
registry.category("web_tour.tours").add("delivery_crm_complaint_flow", {
    url: "/odoo",
    steps: () => {
        const deadline = formatDate(DateTime.now().plus({ days: 3 }));
        return [
            ...openApp(),
            ...openMenu("delivery_crm_menu_service", "delivery_complaint_menu", "Complaints"),
            {
                content: "The complaints are grouped by status",
                trigger: ".o_kanban_view .o_kanban_group .o_column_title:contains('Registered')",
            },
            checkNoHorizontalScroll("The complaint kanban", ".o_kanban_view .o_kanban_renderer", {
                groupedKanban: true,
            }),
            {
                content: "Register a complaint",
                trigger: ".o_control_panel .o-kanban-button-new",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name='subject'] input",
                run: "edit Tour: parcel two days late",
            },
            ...setMany2one("contact_id", "Zhao Tour", "Zhao Tour"),
            {
                content: "The customer follows from the contact",
                trigger:
                    ".o_field_widget[name='partner_id'] " +
                    "input:value('Tour Complaint Customer 投诉客户')",
            },
            ...setMany2one("type_id", "Delay"),
            ...setSelection("channel", "Hotline"),
            ...saveForm(),
            checkStatus("registered", "Registered"),
            checkNoHorizontalScroll("The complaint form", ".o_form_view .o_form_sheet"),
            ...clickHeaderButton("Acknowledge"),
            checkStatus("acknowledged", "Acknowledged"),
            ...clickHeaderButton("Investigate"),
            checkStatus("investigating", "Investigating"),
            ...openPage("investigation"),
            ...setMany2one("root_cause_id", "Transport and", "Transport and vehicles"),
            ...setMany2one("department_id", "Transport"),
            ...setMany2one("responsible_id", "Tour Service Staff"),
            {
                trigger: ".o_field_widget[name='root_cause_detail'] textarea",
                run: "edit The truck broke down near Wuxi",
            },
            ...clickHeaderButton("Decide actions"),
            checkStatus("resolving", "Resolving"),
            ...openPage("actions"),
            ...addAction(
                1,
                "Corrective",
                "Redeliver today with a discount",
                deadline,
                "Redelivered at 15:00, signed"
            ),
            ...addAction(2, "Preventive", "Re-plan the route with a spare truck", deadline),
            ...openPage("resolution"),
            editHtml("resolution", "Redelivered today with a 10% discount."),
            ...clickHeaderButton("Resolve"),
            checkStatus("resolved", "Resolved"),
            ...openPage("actions"),
            {
                content: "Both actions are saved",
                trigger:
                    ".o_field_widget[name='action_ids'] " +
                    ".o_data_row:nth-child(2):contains('Re-plan the route')",
            },
        ];
    },
});

/** A resolved complaint the customer never rated: the owner closes it. */
registry.category("web_tour.tours").add("delivery_crm_complaint_close_flow", {
    steps: () => [
        checkStatus("resolved", "Resolved"),
        ...clickHeaderButton("Close"),
        checkStatus("closed", "Closed"),
        checkNoHorizontalScroll("The closed complaint", ".o_form_view .o_form_sheet"),
    ],
});

// ---------------------------------------------------------------------- visit
/**
 * Plan a visit for today, check in at the customer's with one tap (the phone's
 * position is stubbed near the customer), check out, and record what was discussed.
 */
registry.category("web_tour.tours").add("delivery_crm_visit_flow", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("delivery_crm_menu_visits", "delivery_visit_menu_today", "My visits today"),
        checkNoHorizontalScroll("My visits today", ".o_kanban_view .o_kanban_renderer"),
        {
            content: "Plan a visit",
            trigger: ".o_control_panel .o-kanban-button-new",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour quarterly review",
        },
        ...setMany2one("partner_id", "Tour Visit Customer", "Tour Visit Customer 拜访客户"),
        ...openPage("preparation"),
        {
            trigger: ".o_field_widget[name='preparation'] textarea",
            run: "edit Bring the on-time rate of the quarter",
        },
        ...saveForm(),
        checkStatus("planned", "Planned"),
        checkNoHorizontalScroll("The visit form", ".o_form_view .o_form_sheet"),
        {
            content: "Check in with one tap, at the customer's",
            trigger: ".o_form_view .o_delivery_visit_check_in:contains('Check in')",
            run() {
                navigator.geolocation.getCurrentPosition = (success) =>
                    success({ coords: { latitude: 31.2404, longitude: 121.49, accuracy: 8 } });
                this.anchor.click();
            },
        },
        {
            content: "Checked in",
            trigger: ".o_field_widget[name='check_in_date'] span:not(:empty)",
        },
        {
            content: "Check out when leaving",
            trigger: ".o_form_view .o_delivery_visit_check_in:contains('Check out')",
            run: "click",
        },
        {
            content: "Checked out",
            trigger: ".o_field_widget[name='check_out_date'] span:not(:empty)",
        },
        ...openPage("record"),
        editHtml("content", "Reviewed the quarter; the customer wants earlier pick-ups."),
        {
            trigger: ".o_field_widget[name='feedback'] textarea",
            run: "edit Happy with the drivers",
        },
        ...clickHeaderButton("Record visit"),
        checkStatus("done", "Done"),
        checkNoHorizontalScroll("The recorded visit", ".o_form_view .o_form_sheet"),
        {
            content: "Back to my visits of the day",
            trigger:
                ".o_breadcrumb .o_back_button, " +
                ".o_breadcrumb .breadcrumb-item a:contains('My visits today')",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains('Tour quarterly review'):contains('Done')",
        },
        checkNoHorizontalScroll("My visits today", ".o_kanban_view .o_kanban_renderer"),
    ],
});

// ---------------------------------------------------------------------- evaluation
/** A manager runs the evaluation of the last quarter from the wizard. */
registry.category("web_tour.tours").add("delivery_crm_evaluation_run_flow", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu(
            "delivery_crm_menu_evaluation",
            "delivery_evaluation_wizard_menu",
            "Run an evaluation"
        ),
        {
            content: "The last quarter is proposed",
            trigger:
                ".modal .o_field_widget[name='period_type'] input[data-value='quarterly']:checked",
        },
        {
            trigger: ".modal .o_field_widget[name='period_start'] span:not(:empty)",
        },
        {
            content: "Run it",
            trigger: ".modal footer button[name='action_run']",
            run: "click",
        },
        {
            content: "The run is open, running in the background",
            trigger:
                ".o_action_manager .o_form_view .alert-info:contains('runs in the background')",
        },
        checkStatus("running", "Running"),
        checkNoHorizontalScroll("The evaluation run", ".o_form_view .o_form_sheet"),
    ],
});

/** The manager opens the finished run and the evaluation of a customer. */
registry.category("web_tour.tours").add("delivery_crm_evaluation_result_flow", {
    url: "/odoo",
    steps: () => {
        const lastQuarter = DateTime.now()
            .startOf("quarter")
            .minus({ quarters: 1 })
            .toISODate();
        return [
        ...openApp(),
        ...openMenu(
            "delivery_crm_menu_evaluation",
            "delivery_evaluation_run_menu",
            "Evaluation runs"
        ),
        {
            content: "Open the finished run",
            trigger: ".o_list_view .o_data_row:contains('Quarterly') .o_data_cell",
            run: "click",
        },
        {
            content: "It is the run of the last quarter",
            trigger: `.o_form_view .o_field_widget[name='name']:contains('${lastQuarter}')`,
        },
        checkStatus("done", "Done"),
        {
            isActive: ["mobile"],
            content: "Show the record's smart buttons",
            trigger: ".o_control_panel .o-form-buttonbox .o_button_more",
            run: "click",
        },
        {
            content: "Open its evaluations",
            trigger: "button.oe_stat_button[name='action_view_evaluations']",
            run: "click",
        },
        {
            content: "The run's evaluations are listed",
            trigger: ".o_list_view .o_data_row",
        },
        ...searchFor("Tour Evaluated"),
        {
            content: "Open the evaluation of the customer",
            trigger:
                ".o_data_row:contains('Tour Evaluated Customer') .o_data_cell, " +
                ".o_kanban_record:contains('Tour Evaluated Customer')",
            run: "click",
        },
        {
            content: "Its score is there",
            trigger: ".o_form_view .o_field_widget[name='total_score']",
        },
        checkNoHorizontalScroll("The evaluation", ".o_form_view .o_form_sheet"),
        ];
    },
});

// ---------------------------------------------------------------------- report
/**
 * Print a customer's profile from its form. The download is watched: the step passes
 * when the server has answered with the named PDF file.
 */
registry.category("web_tour.tours").add("delivery_crm_print_profile_flow", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        {
            trigger: ".o_kanban_view .o_kanban_record",
        },
        ...searchFor("Tour Key Account"),
        {
            content: "Open the customer",
            trigger: ".o_kanban_record:contains('Tour Key Account')",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='name'] input:value('Tour Key Account 重点客户')",
        },
        checkNoHorizontalScroll("The customer form", ".o_form_view .o_form_sheet"),
        {
            content: "Open the actions menu",
            trigger: ".o_control_panel .o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Open the Print menu when the model has several reports",
            trigger: ".o-dropdown--menu",
            async run({ queryFirst, click }) {
                const print = queryFirst(".o-dropdown--menu button:has(.fa-print)");
                if (print) {
                    await click(print);
                }
            },
        },
        {
            content: "Print the customer profile",
            trigger: ".o-dropdown--menu .o_menu_item:contains('Customer profile')",
            async run({ click }) {
                const original = download._download;
                download._download = async (options) => {
                    download._download = original;
                    const filename = await original(options);
                    document.body.dataset.dcrmDownload = filename;
                    return filename;
                };
                await click(this.anchor);
            },
        },
        {
            content: "The server sent the profile",
            trigger: "body[data-dcrm-download]",
            run() {
                const filename = document.body.dataset.dcrmDownload;
                if (filename !== "Customer profile - Tour Key Account 重点客户.pdf") {
                    throw new Error(`Downloaded ${filename} instead of the customer profile`);
                }
            },
        },
    ],
});
