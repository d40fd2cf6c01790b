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
#: Who takes in repair requests with the desk's form (and records callbacks: see below).
JOB_INTAKE = frozenset({Role.DESK, Role.ENGINEERING_SUPERVISOR, Role.MANAGER, Role.ADMIN})
#: Who assigns technicians. Only the engineering supervisor: "客服人员禁止直接向工程维修人员
#: 派单" (seed 004), and nobody else dispatches either.
JOB_DISPATCHERS = frozenset({Role.ENGINEERING_SUPERVISOR})
#: Who can be assigned a job and works it on the phone.
JOB_WORKERS = frozenset({Role.TECHNICIAN, Role.ENGINEERING_SUPERVISOR})
#: Who calls customers back after a job (回访).
CALLBACK_RECORDERS = frozenset({Role.DESK, Role.MANAGER})
#: Who edits the materials catalogue, maintenance plans and the response targets.
JOB_MANAGERS = frozenset({Role.ENGINEERING_SUPERVISOR, Role.MANAGER, Role.ADMIN})
#: Who may report a fault from a point's page (every signed-in role that works on a site).
FAULT_REPORTERS = frozenset(Role)
