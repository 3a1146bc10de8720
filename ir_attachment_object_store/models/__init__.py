from . import ir_attachment
from . import ir_attachment_migration
from . import ir_binary
from . import ir_config_parameter
from . import ir_http
from . import storage_backend
