# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""System parameters of the addon."""

LOCATION_PARAM = "ir_attachment.location"  # core's
KEEP_IN_DB_PARAM = "ir_attachment_object_store.keep_in_db"
# the database whose space holds this database's objects, and, while a copied
# database's objects are being copied, the database they are copied from
OWNER_PARAM = "ir_attachment_object_store.database"
COPY_SOURCE_PARAM = "ir_attachment_object_store.copy_source"
# backend types seen by the last detection of other addons' files
DETECTED_TYPES_PARAM = "ir_attachment_object_store.detected_types"
