from . import cli
from . import models
from . import db_lifecycle

db_lifecycle.install()
