# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""``odoo-bin object-store``: move attachments and collect garbage from a shell.

odoo-bin --addons-path=... object-store migrate -c odoo.conf -d DB --to CODE|file|db
         [--transfers 8] [--batch-size 200] [--dry-run] [--remove-local] [--verify-read]
odoo-bin --addons-path=... object-store gc -c odoo.conf -d DB
odoo-bin --addons-path=... object-store detect -c odoo.conf -d DB
odoo-bin --addons-path=... object-store adopt -c odoo.conf -d DB [--to CODE]
         [--transfers 8] [--batch-size 200] [--dry-run] [--verify-read]

``detect`` finds the files other object-storage addons left (camptocamp,
OCA fs_attachment, Catalyst) and reads them where they are; ``adopt``
rewrites them to this suite's layout (default: on the attachment location).
"""

import logging
import sys
import time

import odoo
from odoo.cli import Command
from odoo.exceptions import UserError

from odoo.addons.storage_backend.tools.cli import parse_action, single_database

from ..tools.adoption import AttachmentAdoption
from ..tools.migration import AttachmentMigration, MigrationStopped

_logger = logging.getLogger(__name__)
ACTIONS = ("migrate", "gc", "detect", "adopt")


class ObjectStore(Command):
    """Migrate attachments between filestore, database and storage backends"""

    name = "object-store"

    def run(self, args):
        action, args, group = parse_action(
            self, args, ACTIONS, "-c CONFIG -d DATABASE [options]", "Attachment migration"
        )
        group.add_option(
            "--to",
            dest="target",
            help="backend code, 'file' or 'db' (adopt: a backend, default the location)",
        )
        # not --workers: Odoo's own option (HTTP worker processes)
        group.add_option("--transfers", type="int", help="concurrent transfers (8)")
        group.add_option(
            "--batch-size", type="int", help="attachments switched per transaction (200)"
        )
        group.add_option("--dry-run", action="store_true", help="count, change nothing")
        group.add_option(
            "--remove-local",
            action="store_true",
            help="delete local files once their move is committed",
        )
        group.add_option(
            "--verify-read",
            action="store_true",
            help="read every stored object back and check its checksum",
        )
        options = odoo.tools.config.parse_config(args)
        dbname = single_database()
        if action == "migrate" and not options.target:
            sys.exit("migrate needs --to CODE|file|db")
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            if action == "gc":
                env["ir.attachment"]._gc_object_store()
                return
            if action == "detect":
                for line in env["ir.attachment"]._object_store_detect_sources():
                    sys.stderr.write(f"{line}\n")
                cr.commit()
                return
            self._migrate(env, options, adopt=action == "adopt")

    def _migrate(self, env, options, adopt=False):
        last = [0.0]

        def report(progress):
            if time.monotonic() - last[0] >= 2:
                last[0] = time.monotonic()
                sys.stderr.write(f"  {progress.summary()}\n")

        engine = AttachmentAdoption if adopt else AttachmentMigration
        try:
            migration = engine(
                env,
                options.target,
                # Odoo's parser drops the defaults of added options
                workers=options.transfers or 8,
                batch_size=options.batch_size or 200,
                dry_run=options.dry_run,
                remove_local=options.remove_local,
                verify_read=options.verify_read,
                report=report,
            )
        except UserError as error:
            sys.exit(str(error))
        try:
            progress = migration.run()
        except KeyboardInterrupt:
            env.cr.rollback()
            sys.exit(f"interrupted: {migration.progress.summary()}; run again to resume")
        except MigrationStopped as error:
            sys.exit(str(error))
        verb = "would move" if options.dry_run else "moved"
        sys.stderr.write(f"{verb}: {progress.summary()}\n")
        for error in progress.errors:
            sys.stderr.write(f"  {'unreadable or not copied' if adopt else 'failed'}: {error}\n")
        if progress.failed_count:
            sys.exit(1)
