# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import optparse
import sys
from pathlib import Path

import odoo
from odoo.cli import Command
from odoo.exceptions import UserError


class StorageRewrap(Command):
    """Re-wrap a storage backend's data keys under the current master key"""

    name = "storage-rewrap"

    def run(self, args):
        parser = odoo.tools.config.parser
        parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        group = optparse.OptionGroup(
            parser,
            "Re-wrap",
            "Re-wrap the data keys of the encrypted files of backend --backend in "
            "database -d under the current master key. Safe to interrupt and run "
            "again: files already under the current key are skipped.",
        )
        group.add_option("--backend", dest="storage_backend", help="code of the backend")
        group.add_option("--prefix", default="", help="only files whose key starts with it")
        # not --workers: that is Odoo's own option
        group.add_option(
            "--concurrency", type="int", default=4, help="objects re-wrapped in parallel (4)"
        )
        parser.add_option_group(group)
        options = odoo.tools.config.parse_config(args)
        dbname = odoo.tools.config["db_name"]
        if not dbname or not options.storage_backend:
            sys.exit(f"{parser.prog}: -d DATABASE and --backend CODE are required")

        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = (
                env["storage.backend"]
                .with_context(active_test=False)
                .search([("code", "=", options.storage_backend)])
            )
            if not backend:
                sys.exit(f"no storage backend with code {options.storage_backend!r} in {dbname}")
            try:
                report = backend._rewrap(options.prefix, workers=options.concurrency)
            except UserError as error:
                sys.exit(str(error))
        sys.stdout.write(f"{options.storage_backend}: {report.summary()}\n")
        if report.failed:
            for key, message in report.failures:
                sys.stderr.write(f"  failed: {key}: {message}\n")
            sys.exit(1)
