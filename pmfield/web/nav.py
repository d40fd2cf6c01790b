"""The bottom navigation, per role."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from pmfield.auth.roles import ALL_ROLES
from pmfield.auth.roles import AUDIT_READERS
from pmfield.auth.roles import LABEL_PRINTERS
from pmfield.auth.roles import Role

FIELD_ROLES = frozenset({Role.GUARD, Role.CLEANER, Role.TECHNICIAN})
#: The repair-request list is daily work for the desk and the engineering supervisor.
JOB_NAV_ROLES = frozenset({Role.DESK, Role.ENGINEERING_SUPERVISOR})


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    icon: str
    roles: frozenset


NAV = (
    NavItem("core.home", _l("Home"), "home", ALL_ROLES),
    NavItem("core.scan", _l("Scan"), "scan", ALL_ROLES - {Role.ADMIN}),
    NavItem("patrol.board", _l("Patrol"), "patrol", frozenset({Role.SECURITY_SUPERVISOR})),
    # The security supervisor's fifth slot goes to the patrol board; points stay reachable
    # from the home page and the scanner's code search.
    NavItem("checklists.board", _l("Cleaning"), "cleaning",
            frozenset({Role.CLEANING_SUPERVISOR})),
    # Likewise the cleaning supervisor's slot goes to the cleaning board, and the engineering
    # supervisor's to the repairs list.
    NavItem("places.list_points", _l("Points"), "points",
            ALL_ROLES - {Role.SECURITY_SUPERVISOR, Role.CLEANING_SUPERVISOR,
                         Role.ENGINEERING_SUPERVISOR}),
    NavItem("labels.choose", _l("Labels"), "labels", LABEL_PRINTERS - {Role.ADMIN}),
    NavItem("jobs.list_jobs", _l("Repairs"), "jobs", JOB_NAV_ROLES),
    # The technician's own jobs; the engineering supervisor has the whole list above.
    NavItem("jobs.my_jobs", _l("My jobs"), "jobs", frozenset({Role.TECHNICIAN})),
    NavItem("admin.list_users", _l("Users"), "users", frozenset({Role.ADMIN})),
    NavItem("audit.list_entries", _l("Audit"), "audit", AUDIT_READERS),
    NavItem("core.menu", _l("Menu"), "menu", ALL_ROLES),
)


def nav_for(user) -> list[NavItem]:
    """Return the navigation items for a user's role."""
    if not user.is_authenticated:
        return []
    return [item for item in NAV if user.role in item.roles]
