"""Access rows for maintenance plans and the materials catalogue: the engineering supervisor,
the manager and admins edit them; everybody else is refused. The matrix posts empty forms
(a 422) and retires/restores the world's plan and item of each site."""

from datetime import date

from pmfield.auth.roles import JOB_MANAGERS
from pmfield.jobs import catalogue
from pmfield.jobs import maintenance
from tests.access_common import Route

PLAN = {"plan_id": "maintenance_plan"}
MATERIAL = {"material_id": "material"}

ROWS = {
    "jobs.list_maintenance_plans": Route("GET", allowed=JOB_MANAGERS),
    "jobs.create_maintenance_plan": Route("POST", allowed=JOB_MANAGERS),
    "jobs.edit_maintenance_plan": Route("GET", PLAN, allowed=JOB_MANAGERS, site_scoped=True),
    "jobs.retire_maintenance_plan": Route("POST", PLAN, allowed=JOB_MANAGERS, site_scoped=True),
    "jobs.restore_maintenance_plan": Route("POST", PLAN, allowed=JOB_MANAGERS,
                                           site_scoped=True),
    "jobs.list_materials": Route("GET", allowed=JOB_MANAGERS),
    "jobs.create_material": Route("POST", allowed=JOB_MANAGERS),
    "jobs.edit_material": Route("GET", MATERIAL, allowed=JOB_MANAGERS, site_scoped=True),
    "jobs.deactivate_material": Route("POST", MATERIAL, allowed=JOB_MANAGERS, site_scoped=True),
    "jobs.restore_material": Route("POST", MATERIAL, allowed=JOB_MANAGERS, site_scoped=True),
}


def objects(site, objects):
    """A maintenance plan on the site's elevator and an item of its catalogue."""
    plan = maintenance.create_plan(
        site, actor=None, point=objects["point"], name_zh="电梯半月保养",
        name_en="Elevator maintenance", discipline="elevator", every=15, unit="days",
        starts_on=date.today(), lead_days=3,
    )
    material = catalogue.create_material(
        site, actor=None, code="CB-16A", name_zh="空气开关 16A", name_en="Circuit breaker 16 A",
        unit_zh="个", unit_en="pc",
    )
    return {"maintenance_plan": plan, "material": material}
