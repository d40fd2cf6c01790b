"""Builders for the jobs tests: a request, a dispatched job, a job on site, a signature."""

import io

from PIL import Image
from PIL import ImageDraw
from werkzeug.datastructures import MultiDict

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import JobSource
from pmfield.photos import services as photos
from tests import factories
from tests.photos.images import jpeg


def new_job(site, **kw):
    kw.setdefault("description", "Lift stuck between floors")
    kw.setdefault("source", JobSource.DESK)
    if kw["source"] == JobSource.DESK and "point" not in kw:
        kw.setdefault("location_text", "Building A, 3rd floor")
    job = services.create_job(site=site, **kw)
    db.session.commit()
    return job


def engineering_supervisor(site):
    return factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site])


def technician(site, **kw):
    return factories.make_user(Role.TECHNICIAN, sites=[site], **kw)


def dispatch_form(*technicians, discipline="elevator", priority="urgent", lead=None):
    form = MultiDict([("discipline", discipline), ("priority", priority)])
    for user in technicians:
        form.add("technician", str(user.id))
    if lead is not None:
        form["lead"] = str(lead.id)
    return form


def dispatched(job, *technicians, supervisor=None, **kw):
    supervisor = supervisor or engineering_supervisor(job.site)
    plan = work.parse_dispatch(job, dispatch_form(*technicians, **kw))
    return work.assign(supervisor, job, plan)


def on_site(job, tech, **kw):
    """Dispatch to `tech`, accept, depart and arrive by the point's label."""
    dispatched(job, tech, **kw)
    work.accept(tech, job)
    work.depart(tech, job)
    work.arrive(tech, job, job.point.current_label)
    return job


def photo_of(user, site):
    return photos.save_photo(io.BytesIO(jpeg()), user=user, site=site)


def signature_png(width=600, height=240, *, blank=False) -> bytes:
    """A drawn signature: a transparent pad with a dark scribble (none when blank)."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if not blank:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 180), (120, 60), (200, 170), (300, 50), (420, 190), (540, 80)],
                  fill=(20, 20, 20, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def ready_to_close(job, tech, *, category="public", price=None):
    """On site with an after photo, the category ticked (and a paid price accepted), signed."""
    work.add_photo(tech, job, photo_of(tech, job.site), "after")
    work.set_category(tech, job, category, price)
    if category == "paid":
        work.accept_price(tech, job)
    work.sign(tech, job, signature_png(), "Ms Li")
    return job
