from . import test_storage_backend_api
from . import test_storage_backend_config
from . import test_storage_backend_ui
