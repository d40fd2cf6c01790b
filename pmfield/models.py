"""Import every feature's models: Alembic autogenerate and `pmfield shell` see them all."""

from pmfield.audit.models import AuditEntry  # noqa: F401
from pmfield.auth.models import User  # noqa: F401
from pmfield.places.models import Asset  # noqa: F401
from pmfield.places.models import Certificate  # noqa: F401
from pmfield.places.models import Label  # noqa: F401
from pmfield.places.models import Location  # noqa: F401
from pmfield.places.models import Point  # noqa: F401
from pmfield.places.models import Site  # noqa: F401
