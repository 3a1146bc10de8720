from . import test_master_keys
from . import test_encrypted_backend
from . import test_rewrap_command
