# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import Response, content_disposition, request

from odoo.addons.storage_backend.storage_drivers import StorageError

_logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class StorageBackupController(http.Controller):
    @http.route("/storage_backup/download/<int:backup_id>", type="http", auth="user")
    def download(self, backup_id):
        """Stream a backup archive from its backend, for administrators only."""
        if not request.env.user.has_group("base.group_system"):
            raise Forbidden()
        backup = request.env["storage.backup"].browse(backup_id).exists()
        if not backup or not backup.archive_key:
            raise NotFound()
        backup.check_access_rule("read")
        driver = backup._driver()
        try:
            size = driver.stat(backup.archive_key).size
            stream = driver.open(backup.archive_key)
        except StorageError as error:
            _logger.warning("download of backup %s failed: %s", backup.name, error)
            raise NotFound() from error
        _logger.info("backup %s downloaded by %s", backup.name, request.env.user.login)

        def chunks():
            with stream:
                while chunk := stream.read(CHUNK):
                    yield chunk

        filename = backup.archive_key.rpartition("/")[2]
        return Response(
            chunks(),
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", str(size)),
                ("Content-Disposition", content_disposition(filename)),
                ("Cache-Control", "no-store"),
            ],
            direct_passthrough=True,
        )
