"""Record and list audit entries. Recording only flushes: the caller's service commits."""

from datetime import date
from datetime import datetime

from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.extensions import db

PAGE_SIZE = 50


def _plain(value):
    """Turn a value into something JSON can hold."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """Return {field: [old, new]} for the fields that changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def record(actor, action: str, target, *, site=None, changes: dict | None = None, label=None):
    """Add an audit entry for `action` on `target` by `actor` (None for the CLI)."""
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        site_id=getattr(site, "id", None),
        action=action,
        target_type=type(target).__name__,
        target_id=getattr(target, "id", None),
        target_label=str(label if label is not None else target)[:255],
        changes={k: v for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def list_entries(user, *, site_id: int | None = None, page: int = 1):
    """Return one page of entries the user may read, newest first, and whether more exist."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if not user.is_admin:
        allowed = [s.id for s in user.sites]
        query = query.where(AuditEntry.site_id.in_(allowed))
    if site_id is not None:
        query = query.where(AuditEntry.site_id == site_id)
    rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
