from . import test_storage_file
from . import test_storage_file_validation
from . import test_storage_file_gc
from . import test_storage_file_access
from . import test_storage_file_mixin
from . import test_storage_file_http
from . import test_storage_file_swift
from . import test_storage_file_s3
