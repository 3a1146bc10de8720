from . import test_swift_backend
from . import test_swift_connection
from . import test_on_ceph
