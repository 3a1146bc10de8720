# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""``odoo-bin storage-backup``: back up, list and restore from a shell.

For system cron jobs and for disaster recovery when the web interface is
down. Addon commands are only found with ``--addons-path`` before the
command name:

odoo-bin --addons-path=... storage-backup backup -c odoo.conf -d DB [--policy NAME]
odoo-bin --addons-path=... storage-backup list -c odoo.conf -d DB [--policy NAME] [--backups-of X]
odoo-bin --addons-path=... storage-backup restore -c odoo.conf -d DB [--policy NAME]
         --backup NAME|latest [--backups-of X] --to NEWDB [--keep-identity] [--neutralize]
odoo-bin --addons-path=... storage-backup restore -c odoo.conf --file PATH
         [--objects-file PATH] --to NEWDB [--keep-identity] [--neutralize]

``-d`` names the database whose policy (backend and folder) is used;
``--backups-of`` another database whose backups to list or restore (its
folder when the policy's has ``{db}``), e.g. a lost database's, through a
policy of another database with the same backend.
"""

import sys

import odoo
from odoo.cli import Command
from odoo.tools import human_size

from odoo.addons.storage_backend.storage_drivers import StorageError
from odoo.addons.storage_backend.tools.cli import parse_action, single_database

from ..tools.naming import group_backups
from ..tools.restore import Restore
from ..tools.streams import BackupError

ACTIONS = ("backup", "list", "restore")
ZIP_SIGNATURE = b"PK\x03\x04"


class StorageBackup(Command):
    """Back up, list and restore databases on storage backends"""

    name = "storage-backup"

    def run(self, args):
        action, args, group = parse_action(
            self, args, ACTIONS, "-c CONFIG [-d DATABASE] [options]", "Backups"
        )
        group.add_option("--policy", help="backup policy name or id (default: the only one)")
        group.add_option(
            "--backups-of", dest="backups_of", help="list or restore this database's backups"
        )
        group.add_option("--backup", help="backup name (as listed), or 'latest'")
        group.add_option("--file", help="restore from a local copy of a backup archive")
        group.add_option("--objects-file", help="with --file: the .objects.zip of a dump")
        group.add_option("--to", dest="target", help="name of the new database")
        group.add_option(
            "--keep-identity",
            action="store_true",
            help="keep the database UUID (the restored database replaces the lost original)",
        )
        group.add_option("--neutralize", action="store_true", help="neutralize the new database")
        options = odoo.tools.config.parse_config(args)
        try:
            if action == "restore" and options.file:
                self._restore_file(options)
                return
            registry = odoo.modules.registry.Registry(single_database())
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                getattr(self, f"_{action}")(env, options)
        except (BackupError, StorageError, odoo.exceptions.UserError) as error:
            sys.exit(f"{action} failed: {error.args[0] if error.args else error}")

    # -- actions ---------------------------------------------------------------------

    def _backup(self, env, options):
        policies = self._policies(env, options.policy)
        failed = []
        for policy in policies:
            if policy._run_backup():
                sys.stdout.write(f"{policy.name}: {policy.last_summary}\n")
            else:
                failed.append(policy)
                sys.stderr.write(f"{policy.name}: FAILED: {policy.last_error}\n")
            # each policy's result (and retention) is kept even if a later one fails
            env.cr.commit()  # pylint: disable=invalid-commit
        if failed:
            sys.exit(1)

    def _list(self, env, options):
        policy = self._policy(env, options.policy)
        for entry in self._entries(policy, options.backups_of):
            state = "complete" if entry.complete else "INCOMPLETE"
            size = human_size(entry.size + entry.objects_size)
            sys.stdout.write(
                f"{entry.stem}\t{entry.backup_format or '-'}\t{state}\t{size}\t"
                f"{entry.created:%Y-%m-%d %H:%M:%S} UTC\n"
            )

    def _restore(self, env, options):
        if not options.target or not options.backup:
            sys.exit("restore needs --backup NAME|latest and --to NEWDB")
        policy = self._policy(env, options.policy)
        database = options.backups_of or (
            env.cr.dbname if options.backup == "latest" else options.backup.rpartition("_")[0]
        )
        entries = [entry for entry in self._entries(policy, database) if entry.complete]
        if options.backup == "latest":
            if not entries:
                sys.exit("no complete backup to restore")
            entry = entries[0]
        else:
            entry = next((entry for entry in entries if entry.stem == options.backup), None)
            if entry is None:
                sys.exit(f"no complete backup named {options.backup}")
        backup = env["storage.backup"].new(
            {
                "policy_id": policy.id,
                "name": entry.stem,
                "state": "complete",
                "manifest_key": entry.manifest_key,
            }
        )
        sys.stderr.write(f"restoring {entry.stem} into {options.target}...\n")
        stats = backup._restore(
            options.target, copy=not options.keep_identity, neutralize=options.neutralize
        )
        sys.stdout.write(f"restored {entry.stem} into {options.target}: {stats}\n")

    def _restore_file(self, options):
        if not options.target:
            sys.exit("restore needs --to NEWDB")
        with open(options.file, "rb") as archive:
            backup_format = "zip" if archive.read(4) == ZIP_SIGNATURE else "dump"
            archive.seek(0)
            objects = options.objects_file
            stats = Restore(
                options.target, copy=not options.keep_identity, neutralize=options.neutralize
            ).run(
                archive,
                backup_format,
                objects_archive=(lambda: open(objects, "rb")) if objects else None,  # noqa: SIM115
            )
        sys.stdout.write(f"restored {options.file} into {options.target}: {stats}\n")

    # -- helpers ---------------------------------------------------------------------

    @staticmethod
    def _policies(env, name, active_only=True):
        """The named policy (archived ones too), else the active ones."""
        policies = env["storage.backup.policy"].with_context(active_test=False)
        if name:
            domain = [("id", "=", int(name))] if name.isdigit() else [("name", "=", name)]
            found = policies.search(domain)
            if not found:
                sys.exit(f"no backup policy {name!r}")
            return found
        found = policies.search([("active", "in", [True] if active_only else [True, False])])
        if not found:
            sys.exit("no backup policy")
        return found

    def _policy(self, env, name):
        # restored copies have their policies archived: listing them is still useful
        policies = self._policies(env, name, active_only=False)
        if len(policies) > 1:
            sys.exit(
                "several policies: choose one with --policy ("
                + ", ".join(policies.mapped("name"))
                + ")"
            )
        return policies

    @staticmethod
    def _entries(policy, database):
        """Backups of ``database`` (default: every database) in the folder, newest first."""
        prefix = policy._backup_prefix(database)
        driver = policy.backend_id.sudo()._get_driver()
        entries = group_backups(driver.scan(prefix), prefix).values()
        if database:
            entries = [entry for entry in entries if entry.database == database]
        return sorted(entries, key=lambda entry: entry.created, reverse=True)
