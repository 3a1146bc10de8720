from . import storage_backend
from . import storage_backup_policy
from . import storage_backup
