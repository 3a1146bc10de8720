from . import storage_backend
