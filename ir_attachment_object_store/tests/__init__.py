from . import test_routing
from . import test_fallback
from . import test_gc
from . import test_download
from . import test_migration
from . import test_database_lifecycle
from . import test_on_swift
from . import test_request_count
