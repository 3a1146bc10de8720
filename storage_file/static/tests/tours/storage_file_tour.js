/** @odoo-module */

import {registry} from "@web/core/registry";

// A stored file's form shows what was stored and where to get it.
registry.category("web_tour.tours").add("storage_file_form", {
    test: true,
    steps: () => [
        {
            content: "The size of the stored object",
            trigger: "div[name='human_file_size']:contains('11.00 bytes')",
            isCheck: true,
        },
        {
            content: "Its mimetype",
            trigger: "div[name='mimetype']:contains('text/plain')",
            isCheck: true,
        },
        {
            content: "Its Odoo URL, as a link",
            trigger: "div[name='url'] a[href*='/storage.file/hello-']",
            isCheck: true,
        },
    ],
});

// A backend's form sets how storage files are named and served.
registry.category("web_tour.tours").add("storage_file_backend_settings", {
    test: true,
    steps: () => [
        {
            content: "Readable names",
            trigger: "div[name='filename_strategy'] select",
            run: 'text "name_with_id"',
        },
        {
            content: "Make the files public",
            trigger: "div[name='is_public'] input",
        },
        {
            content: "The public base URL appears: a CDN",
            trigger: "div[name='base_url'] input",
            run: "text https://cdn.example.com/files",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
            isCheck: true,
        },
    ],
});
