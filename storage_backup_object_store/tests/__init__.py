from . import test_backup_objects
