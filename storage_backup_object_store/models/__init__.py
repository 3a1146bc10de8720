from . import ir_attachment
from . import storage_backend
from . import storage_backup_policy
