"""Names shared by the access matrix (tests/test_access.py) and tests/access_rows/*."""

from dataclasses import dataclass
from dataclasses import field

from pmfield.auth.roles import ALL_ROLES
from pmfield.auth.roles import Role

A = Role.ADMIN
M = Role.MANAGER
D = Role.DESK
SS = Role.SECURITY_SUPERVISOR
G = Role.GUARD
CS = Role.CLEANING_SUPERVISOR
C = Role.CLEANER
ES = Role.ENGINEERING_SUPERVISOR
T = Role.TECHNICIAN

EVERYONE = frozenset(ALL_ROLES)
PUBLIC = "public"
EDITORS = frozenset({A, M})
PRINTERS = frozenset({A, M, SS, CS, ES})


@dataclass(frozen=True)
class Route:
    method: str
    args: dict = field(default_factory=dict)  # url_for args; "own"/"other" placeholders
    allowed: object = EVERYONE
    #: True when the route shows one site's object: other-site users must get 404.
    site_scoped: bool = False
    #: True when the route serves only the owner of its object (e.g. a notification): the
    #: world's object belongs to somebody else, so allowed roles must get 404, never 403.
    owner_only: bool = False
    #: Roles the route lets in that still do not see the world's object (a technician and a
    #: job not assigned to them): they must get 404, never 403 or the object.
    hidden_from: frozenset = frozenset()
    #: Statuses besides 422 that an admitted role may get for the matrix's empty request
    #: (the sync API answers 400 to a request without its Idempotency-Key).
    allowed_errors: frozenset = frozenset()
    #: What a stranger gets: the login page (302), or 401 from the JSON API.
    stranger_status: int = 302
