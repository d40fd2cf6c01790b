"""Business rules for sites, locations, points, assets and labels."""

from sqlalchemy import select

from pmfield.extensions import db
from pmfield.places.models import Site


def list_sites_for(user) -> list[Site]:
    """Return the sites a user may see: every site for admins, else their own."""
    if user.is_admin:
        return db.session.scalars(select(Site).order_by(Site.code)).all()
    return list(user.sites)


def get_site_for_user(user, site_id: int) -> Site | None:
    """Return the site if the user may see it, else None."""
    site = db.session.get(Site, site_id)
    if site is None or not user.can_access_site(site):
        return None
    return site
