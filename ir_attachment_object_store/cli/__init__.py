from . import object_store
