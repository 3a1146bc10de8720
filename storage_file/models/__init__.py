from . import ir_binary
from . import storage_backend
from . import storage_file
from . import storage_file_checklist
from . import storage_file_mixin
