from . import server_env_mixin
from . import storage_backend
