import { registry } from "@web/core/registry";

/**
 * The customer closes a resolved complaint from the portal: the "How satisfied are
 * you" buttons of the request's page lead to Odoo's rating page, where the rating and
 * a comment are sent. (A file of its own: it runs in the portal's assets, which lack
 * the backend modules the other tours import.)
 */
registry.category("web_tour.tours").add("delivery_crm_complaint_rating_flow", {
    steps: () => [
        {
            content: "The resolved complaint asks for a rating",
            trigger: "#complaint_rating:contains('How satisfied are you')",
        },
        {
            content: "The request's page does not scroll sideways",
            trigger: "#complaint_rating",
            run() {
                const page = document.documentElement;
                if (page.scrollWidth > page.clientWidth) {
                    throw new Error(
                        `The page is ${page.scrollWidth}px wide in ${page.clientWidth}px`
                    );
                }
            },
        },
        {
            content: "Satisfied",
            trigger: "#complaint_rating a[href$='/5']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The rating page has the happy face chosen",
            trigger: ".o_rating_page_submit label.active[for='rate_5']",
        },
        {
            trigger: ".o_rating_page_submit textarea[name='feedback']",
            run: "edit Fixed fast, thank you",
        },
        {
            content: "Send the rating",
            trigger: ".o_rating_page_submit button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The rating is recorded",
            trigger: ".o_rating_page_thank_you:contains('Thank you for your feedback')",
        },
    ],
});
