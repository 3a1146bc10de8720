from . import storage_rewrap
