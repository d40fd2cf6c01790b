"""The roles of the practice (practice.md, "Who works there")."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    DESK = "desk"
    SECURITY_SUPERVISOR = "security_supervisor"
    GUARD = "guard"
    CLEANING_SUPERVISOR = "cleaning_supervisor"
    CLEANER = "cleaner"
    ENGINEERING_SUPERVISOR = "engineering_supervisor"
    TECHNICIAN = "technician"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Site manager"),
    Role.DESK: _l("Service desk"),
    Role.SECURITY_SUPERVISOR: _l("Security supervisor"),
    Role.GUARD: _l("Guard"),
    Role.CLEANING_SUPERVISOR: _l("Cleaning supervisor"),
    Role.CLEANER: _l("Cleaner"),
    Role.ENGINEERING_SUPERVISOR: _l("Engineering supervisor"),
    Role.TECHNICIAN: _l("Technician"),
}

ALL_ROLES = frozenset(Role)
SUPERVISORS = frozenset(
    {Role.SECURITY_SUPERVISOR, Role.CLEANING_SUPERVISOR, Role.ENGINEERING_SUPERVISOR}
)
#: Who may create, edit, move and retire places, and revoke or reissue labels.
PLACE_EDITORS = frozenset({Role.ADMIN, Role.MANAGER})
#: Who may print label sheets (supervisors put labels up on their rounds).
LABEL_PRINTERS = PLACE_EDITORS | SUPERVISORS
#: Who may read the audit log.
AUDIT_READERS = frozenset({Role.ADMIN, Role.MANAGER})
#: Who walks patrol rounds and checks in at checkpoints.
PATROL_WALKERS = frozenset({Role.GUARD, Role.SECURITY_SUPERVISOR})
#: Who edits patrol routes, schedules and posts, and reads the patrol boards and reports.
PATROL_MANAGERS = frozenset({Role.SECURITY_SUPERVISOR, Role.MANAGER, Role.ADMIN})
#: Who sees patrol incidents and turns them into repair requests.
INCIDENT_READERS = frozenset({Role.DESK, Role.SECURITY_SUPERVISOR, Role.MANAGER, Role.ADMIN})
#: Who reads the list of repair requests (jobs).
JOB_READERS = frozenset({Role.DESK, Role.ENGINEERING_SUPERVISOR, Role.MANAGER, Role.ADMIN})
#: Who spot-checks cleaned areas and orders corrections by a deadline.
CLEANING_INSPECTORS = frozenset({Role.CLEANING_SUPERVISOR, Role.MANAGER})
#: Who fills in cleaning checklists at the areas: cleaners their shift's, inspectors their
#: spot checks.
CLEANING_WORKERS = frozenset({Role.CLEANER}) | CLEANING_INSPECTORS
#: Who edits cleaning templates, plans, teams, the timetable and terms, and reads the boards.
CLEANING_MANAGERS = frozenset({Role.CLEANING_SUPERVISOR, Role.MANAGER, Role.ADMIN})
