from . import storage_backup
