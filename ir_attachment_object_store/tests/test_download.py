# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io
import os

import requests
from PIL import Image

from odoo.tests import HttpCase, tagged

from .common import ObjectStoreCase


@tagged("post_install", "-at_install")
class TestDownload(HttpCase, ObjectStoreCase):
    def setUp(self):
        super().setUp()
        self.authenticate("admin", "admin")

    def test_web_content_streams_a_remote_attachment(self):
        data = self.unique_data(300000)
        attachment = self.create_attachment(data, name="report.pdf")
        response = self.url_open(f"/web/content/{attachment.id}?download=true")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, data)
        self.assertEqual(response.headers["Content-Length"], "300000")
        self.assertIn("report.pdf", response.headers["Content-Disposition"])
        etag = response.headers["ETag"]
        cached = self.url_open(f"/web/content/{attachment.id}", headers={"If-None-Match": etag})
        self.assertEqual(cached.status_code, 304)

    def test_web_image_resizes_a_remote_image(self):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (300, 200), os.urandom(180000)).save(buffer, "PNG")
        attachment = self.create_attachment(buffer.getvalue(), mimetype="image/png")
        self.assertTrue(attachment.store_fname.startswith(self.backend.code))
        response = self.url_open(f"/web/image/{attachment.id}/150x100")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Image.open(io.BytesIO(response.content)).size, (150, 100))

    def test_binary_field_on_a_record(self):
        data = base64.b64encode(self.unique_data(80000))
        partner = self.env["res.partner"].create({"name": "With image"})
        self.env["ir.attachment"].create(
            {
                "name": "image_1920",
                "res_model": "res.partner",
                "res_id": partner.id,
                "res_field": "image_1920",
                "datas": data,
                "mimetype": "application/octet-stream",
            }
        )
        response = self.url_open(f"/web/content/res.partner/{partner.id}/image_1920")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(base64.b64encode(response.content), data)


class RedirectDownloads:
    """Mixin for backends giving direct URLs: downloads redirect to them."""

    #: what a signed URL of the backend contains
    url_signature = None

    def test_redirect_to_a_direct_url(self):
        self.backend.attachment_redirect = True
        data = self.unique_data(50000)
        attachment = self.create_attachment(data)
        response = self.url_open(f"/web/content/{attachment.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        location = response.headers["Location"]
        self.assertIn(self.url_signature, location)
        self.assertEqual(requests.get(location, timeout=10).content, data)
