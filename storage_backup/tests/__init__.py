from . import test_backup
from . import test_download
from . import test_failures
from . import test_on_swift
from . import test_retention
from . import test_object_lock
