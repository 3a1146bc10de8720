/** @odoo-module */

import {registry} from "@web/core/registry";

// Create an S3 backend in the UI (endpoint and keys come from the server's
// environment) and run "Test connection" on it.
registry.category("web_tour.tours").add("storage_backend_s3_create_and_test", {
    test: true,
    steps: () => [
        {
            content: "Create a backend",
            trigger: ".o_list_button_add:visible",
        },
        {
            content: "Name it",
            trigger: "div[name='name'] input",
            run: "text Documents on S3",
        },
        {
            content: "Give it a code",
            trigger: "div[name='code'] input",
            run: "text ui_s3",
        },
        {
            content: "Choose S3",
            trigger: "div[name='backend_type'] select",
            run: 'text "s3"',
        },
        {
            content: "The S3 settings appear; name the bucket",
            trigger: "div[name='aws_bucket'] input",
            run: "text ui-tour-bucket",
        },
        {
            content: "Test the connection (saves the record first)",
            trigger: "button[name='action_test_connection']",
        },
        {
            content: "The connection test succeeded",
            trigger:
                ".o_notification.border-success:contains('Connection succeeded'):contains('S3 bucket ui-tour-bucket')",
            isCheck: true,
        },
    ],
});
