/** @odoo-module */

import {registry} from "@web/core/registry";

// Create a local-disk backend in the UI and run "Test connection" on it.
registry.category("web_tour.tours").add("storage_backend_create_and_test", {
    test: true,
    steps: () => [
        {
            content: "Create a backend",
            trigger: ".o_list_button_add:visible",
        },
        {
            content: "Name it",
            trigger: "div[name='name'] input",
            run: "text Backend from the UI",
        },
        {
            content: "Give it a code",
            trigger: "div[name='code'] input",
            run: "text ui_backend",
        },
        {
            content: "Test the connection (saves the record first)",
            trigger: "button[name='action_test_connection']",
        },
        {
            content: "The connection test succeeded",
            trigger:
                ".o_notification.border-success:contains('Connection succeeded'):contains('wrote, read back and deleted')",
            isCheck: true,
        },
    ],
});
