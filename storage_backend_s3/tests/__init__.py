from . import test_s3_backend
from . import test_s3_config
from . import test_s3_connection
from . import test_s3_ui
from . import test_on_ceph
