"""The site's materials catalogue: what technicians pick when they record materials used.

Items are never deleted, only taken out of use, because closed jobs refer to them.
"""

import re

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pmfield.audit import services as audit
from pmfield.errors import DomainError
from pmfield.errors import raise_first
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import check_names
from pmfield.jobs.models import Material
from pmfield.places.models import Site

CODE_MAX = 32
UNIT_MAX = 16
#: Codes are read aloud and typed on phones: letters, digits, dot, dash, underscore.
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")


def list_materials(site: Site, *, include_inactive: bool = False) -> list[Material]:
    """The site's catalogue by code; only the items in use unless asked."""
    query = select(Material).where(Material.site_id == site.id).order_by(Material.code)
    if not include_inactive:
        query = query.where(Material.active.is_(True))
    return list(db.session.scalars(query))


def get_material_for_user(user, material_id) -> Material | None:
    """The catalogue item, if it is on one of the user's sites."""
    material = db.session.get(Material, material_id) if is_valid_id(material_id) else None
    return material if material is not None and user.can_access_site(material.site) else None


def _code_taken(site: Site, code: str, material: Material | None) -> bool:
    query = select(Material.id).where(Material.site_id == site.id,
                                      func.upper(Material.code) == code)
    if material is not None:
        query = query.where(Material.id != material.id)
    return db.session.scalar(query) is not None


def _check(site: Site, values: dict, material: Material | None = None) -> dict:
    """Check an item's fields; return the row's values or raise the first problem."""
    errors: dict[str, str] = {}
    code = (values.get("code") or "").strip().upper()
    if not code:
        errors["code"] = _("Enter a code.")
    elif len(code) > CODE_MAX:
        errors["code"] = _("Use at most %(n)d characters.", n=CODE_MAX)
    elif not CODE_RE.match(code):
        errors["code"] = _("Use letters, digits, dots and dashes, e.g. CB-16A.")
    elif _code_taken(site, code, material):
        errors["code"] = _("This site already has an item with this code.")
    name_zh = (values.get("name_zh") or "").strip()
    name_en = (values.get("name_en") or "").strip()
    errors.update(check_names(name_zh, name_en))
    unit_zh = (values.get("unit_zh") or "").strip()
    unit_en = (values.get("unit_en") or "").strip()
    if not unit_zh and not unit_en:
        errors["unit_zh"] = _("Enter the unit in Chinese or English, e.g. 个 or pc.")
    for key, value in (("unit_zh", unit_zh), ("unit_en", unit_en)):
        if len(value) > UNIT_MAX:
            errors[key] = _("Use at most %(n)d characters.", n=UNIT_MAX)
    raise_first(errors)
    return {"code": code, "name_zh": name_zh or name_en, "name_en": name_en or name_zh,
            "unit_zh": unit_zh or unit_en, "unit_en": unit_en or unit_zh}


def _save(actor, action: str, material: Material) -> None:
    """Audit and commit; another request saving the same code a moment ago gets the same
    message as the check above."""
    try:
        db.session.flush()
        audit.record(actor, action, material, site=material.site,
                     label=f"{material.code} {material.name_zh}",
                     changes={key: getattr(material, key) for key in
                              ("code", "name_zh", "name_en", "unit_zh", "unit_en")})
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(_("This site already has an item with this code."), "code") from error


def create_material(site: Site, *, actor, **values) -> Material:
    """Add an item to the site's catalogue. Commits.

    `values`: code, name_zh, name_en, unit_zh, unit_en (one language of each is enough).

    :raises DomainError: naming the field, e.g. a code the site already uses.
    """
    material = Material(site=site, active=True, **_check(site, values))
    db.session.add(material)
    _save(actor, "material.create", material)
    return material


def update_material(material: Material, *, actor, **values) -> Material:
    """Change an item; jobs that used it show the new name. Commits.

    :raises DomainError: naming the field.
    """
    for key, value in _check(material.site, values, material).items():
        setattr(material, key, value)
    _save(actor, "material.update", material)
    return material


def set_material_active(material: Material, active: bool, *, actor) -> Material:
    """Take an item out of use (technicians no longer see it) or use it again. Commits."""
    material.active = bool(active)
    audit.record(actor, "material.restore" if active else "material.deactivate", material,
                 site=material.site, label=f"{material.code} {material.name_zh}")
    db.session.commit()
    return material
