"""Import every feature's models: Alembic autogenerate and `pmfield shell` see them all."""

from pmfield.audit.models import AuditEntry  # noqa: F401
from pmfield.auth.models import User  # noqa: F401
from pmfield.places.models import Asset  # noqa: F401
from pmfield.places.models import Certificate  # noqa: F401
from pmfield.places.models import Label  # noqa: F401
from pmfield.places.models import Location  # noqa: F401
from pmfield.places.models import Point  # noqa: F401
from pmfield.places.models import Site  # noqa: F401
from pmfield.jobs.models import Job  # noqa: F401
from pmfield.jobs.models import JobCounter  # noqa: F401
from pmfield.notifications.models import Notification  # noqa: F401
from pmfield.patrol.models import ChainCheck  # noqa: F401
from pmfield.patrol.models import ChainHead  # noqa: F401
from pmfield.patrol.models import CheckIn  # noqa: F401
from pmfield.patrol.models import Handover  # noqa: F401
from pmfield.patrol.models import Incident  # noqa: F401
from pmfield.patrol.models import PatrolPost  # noqa: F401
from pmfield.patrol.models import PatrolRoute  # noqa: F401
from pmfield.patrol.models import PatrolRun  # noqa: F401
from pmfield.patrol.models import PatrolSchedule  # noqa: F401
from pmfield.patrol.models import PatrolSettings  # noqa: F401
from pmfield.patrol.models import RouteCheckpoint  # noqa: F401
from pmfield.patrol.models import RunPoint  # noqa: F401
from pmfield.photos.models import Photo  # noqa: F401
