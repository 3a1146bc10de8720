from . import storage_backup_restore
