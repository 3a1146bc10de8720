# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the suite's ``odoo-bin`` subcommands share: ``<command> ACTION [options]``."""

import optparse
import sys
from pathlib import Path

import odoo


def parse_action(command, args, actions, usage, title):
    """``(action, remaining args, option group)`` of ``odoo-bin <command> ACTION ...``.

    The group belongs to Odoo's own option parser, whose usage line then names
    the action; the caller adds its options to it before parsing the rest.
    """
    program = Path(sys.argv[0]).name
    if not args or args[0] not in actions:
        sys.exit(f"usage: {program} {command.name} {{{'|'.join(actions)}}} {usage}; see --help")
    parser = odoo.tools.config.parser
    parser.prog = f"{program} {command.name} {args[0]}"
    group = optparse.OptionGroup(parser, title)
    parser.add_option_group(group)
    return args[0], args[1:], group


def single_database():
    """The one database named by ``-d``; exits with a clear message otherwise."""
    dbname = odoo.tools.config["db_name"]
    if not dbname or "," in dbname:
        sys.exit("one database is needed: -d DATABASE")
    return dbname
