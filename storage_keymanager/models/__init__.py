from . import storage_master_key
from . import storage_backend
