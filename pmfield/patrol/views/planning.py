"""Patrol views: routes and their checkpoints, schedules, guard posts, and patrol settings.

The security supervisor edits these on a phone or a desktop. Checkpoint changes on the route
page are small htmx posts that swap the checkpoint list; without JavaScript they are plain
forms that come back to the route page.
"""

from zoneinfo import ZoneInfo

from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import PATROL_MANAGERS
from pmfield.errors import DomainError
from pmfield.patrol import bp
from pmfield.patrol import planning as services
from pmfield.patrol.models import SCHEDULE_KIND_LABELS
from pmfield.patrol.models import ScheduleKind
from pmfield.web.context import current_site
from pmfield.web.forms import clock as _clock
from pmfield.web.forms import number as _number
from pmfield.web.forms import text as _text
from pmfield.web.htmx import is_partial
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

managers_only = roles_required(*PATROL_MANAGERS)

#: Services name the object ("post"); the forms name the input ("post_id").
FORM_FIELDS = {"post": "post_id", "guards": "guard_ids", "point": "point_id"}


def _form_errors(error: DomainError) -> dict[str, str]:
    field = FORM_FIELDS.get(error.field, error.field) if error.field else "form"
    return {field: error.message}


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _route_or_404(route_id: int):
    route = services.get_route_for_user(current_user, route_id)
    if route is None:
        abort(404)
    return route


def _schedule_or_404(schedule_id: int):
    schedule = services.get_schedule_for_user(current_user, schedule_id)
    if schedule is None:
        abort(404)
    return schedule


def _post_or_404(post_id: int):
    post = services.get_post_for_user(current_user, post_id)
    if post is None:
        abort(404)
    return post


@bp.app_template_filter("weekday_names")
def weekday_names_filter(weekdays: str) -> str:
    """Say which days a schedule runs: "Every day" or "Mon, Wed, Fri"."""
    if sorted(weekdays or "") == sorted(services.ALL_WEEKDAYS):
        return _("Every day")
    return ", ".join(services.weekday_names(weekdays))


# --------------------------------------------------------------------------- form parsing


def parse_route_form(form) -> tuple[dict, dict]:
    """Read the route form: names, strict order, minimum walking time (seconds, optional)."""
    data, errors = {}, {}
    data["name_zh"] = _text(form, "name_zh")
    data["name_en"] = _text(form, "name_en")
    if not data["name_zh"] and not data["name_en"]:
        errors["name_zh"] = _("Enter a name in Chinese or English.")
    data["strict_order"] = form.get("strict_order") == "1"
    _number(form, "min_walk_seconds", data, errors, required=False)
    return data, errors


def parse_schedule_form(form) -> tuple[dict, dict]:
    """Read the schedule form; the rules (ranges, overlaps, guards) are the service's."""
    data, errors = {}, {}
    data["kind"] = _text(form, "kind")
    if data["kind"] not in {kind.value for kind in ScheduleKind}:
        errors["kind"] = _("Choose fixed times or an interval.")
    data["times"] = _text(form, "times")
    interval = data["kind"] == ScheduleKind.INTERVAL
    _number(form, "interval_minutes", data, errors, required=interval)
    _clock(form, "window_start", data, errors)
    _clock(form, "window_end", data, errors)
    data["weekdays"] = [value for value in form.getlist("weekdays") if value]
    _number(form, "run_minutes", data, errors, required=True)
    _number(form, "grace_minutes", data, errors, required=True)
    data["post_id"] = _text(form, "post_id")
    if data["post_id"] and not (data["post_id"].isascii() and data["post_id"].isdigit()):
        errors["post_id"] = _("Choose a post from the list.")
    data["guard_ids"] = [value for value in form.getlist("guard_ids") if value]
    if not all(value.isascii() and value.isdigit() for value in data["guard_ids"]):
        errors["guard_ids"] = _("Choose guards from the list.")
    return data, errors


def parse_post_form(form) -> tuple[dict, dict]:
    """Read the post form: names and the guards who stand it."""
    data, errors = {}, {}
    data["name_zh"] = _text(form, "name_zh")
    data["name_en"] = _text(form, "name_en")
    if not data["name_zh"] and not data["name_en"]:
        errors["name_zh"] = _("Enter a name in Chinese or English.")
    data["guard_ids"] = [value for value in form.getlist("guard_ids") if value]
    if not all(value.isascii() and value.isdigit() for value in data["guard_ids"]):
        errors["guard_ids"] = _("Choose guards from the list.")
    return data, errors


def _chosen_guards(site, data: dict, errors: dict) -> list:
    """Turn the ticked guard ids into users of the site; an unknown id is an error."""
    if errors.get("guard_ids"):
        return []
    by_id = {user.id: user for user in services.list_site_guards(site)}
    guards = [by_id.get(int(value)) for value in data["guard_ids"]]
    if None in guards:
        errors["guard_ids"] = _("Choose guards from the list.")
        return []
    return guards


def _active_flag(form) -> bool | None:
    """Read the hidden "active" field of an on/off button: True, False, or None when bad."""
    return {"1": True, "0": False}.get(_text(form, "active"))


# --------------------------------------------------------------------------- routes


@bp.route("/routes")
@managers_only
def list_routes():
    """The site's routes with their checkpoint counts and schedules."""
    site = _site_or_404()
    show_inactive = request.args.get("inactive") == "1"
    return render_template(
        "patrol/routes.html",
        site=site,
        routes=services.list_routes(site, include_inactive=show_inactive),
        show_inactive=show_inactive,
    )


def _route_form(site, route=None, data=None, errors=None, status=200):
    return (
        render_template(
            "patrol/route_form.html",
            site=site,
            route=route,
            data=data or {},
            errors=errors or {},
            walk_max=services.WALK_MAX_SECONDS,
        ),
        status,
    )


def _route_data(route) -> dict:
    return {
        "name_zh": route.name_zh,
        "name_en": route.name_en,
        "strict_order": route.strict_order,
        "min_walk_seconds": route.min_walk_seconds or "",
    }


@bp.route("/routes/new", methods=["GET", "POST"])
@managers_only
def create_route():
    """Create a route; its checkpoints are added on its page next."""
    site = _site_or_404()
    if request.method == "GET":
        return _route_form(site, data={"strict_order": True})
    data, errors = parse_route_form(request.form)
    if errors:
        return _route_form(site, data=data, errors=errors, status=422)
    try:
        route = services.create_route(
            site,
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            strict_order=data["strict_order"],
            min_walk_seconds=data["min_walk_seconds_int"],
            actor=current_user,
        )
    except DomainError as error:
        return _route_form(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Route %(name)s created. Add its checkpoints now.", name=route.name), "success")
    return redirect_to("patrol.route_detail", route_id=route.id)


@bp.route("/routes/<int:route_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_route(route_id):
    """Rename a route, change its order rule and its minimum walking time."""
    route = _route_or_404(route_id)
    if request.method == "GET":
        return _route_form(route.site, route, _route_data(route))
    data, errors = parse_route_form(request.form)
    if errors:
        return _route_form(route.site, route, data, errors, 422)
    try:
        services.update_route(
            route,
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            strict_order=data["strict_order"],
            min_walk_seconds=data["min_walk_seconds_int"],
            actor=current_user,
        )
    except DomainError as error:
        return _route_form(route.site, route, data, _form_errors(error), 422)
    flash(_("Changes to %(name)s saved.", name=route.name), "success")
    return redirect_to("patrol.route_detail", route_id=route.id)


def _route_page(route, *, errors=None, data=None, message=None, status=200):
    """The route page, or only its checkpoint list for htmx."""
    return render_page(
        "patrol/route_detail.html",
        "patrol/_route_checkpoints.html",
        status=status,
        route=route,
        site=route.site,
        checkpoints=sorted(route.checkpoints, key=lambda c: c.position),
        choices=services.checkpoint_choices(route),
        next_runs={
            schedule.id: next(iter(services.upcoming_slots(schedule, count=1)), None)
            for schedule in route.schedules
        },
        errors=errors or {},
        data=data or {},
        message=message,
    )


@bp.route("/routes/<int:route_id>")
@managers_only
def route_detail(route_id):
    """A route: its checkpoints in order (move, remove, add, walking times) and schedules."""
    return _route_page(_route_or_404(route_id))


def _checkpoint_done(route, message: str):
    """After a checkpoint change: the new list for htmx, else back to the route page."""
    if is_partial():
        return _route_page(route, message=message)
    flash(message, "success")
    return redirect_to("patrol.route_detail", route_id=route.id, _anchor="checkpoints")


@bp.route("/routes/<int:route_id>/checkpoints", methods=["POST"])
@managers_only
def add_route_checkpoint(route_id):
    """Add a point chosen from the list, or the point of a scanned label (token)."""
    route = _route_or_404(route_id)
    from_scan = request.form.get("from") == "scan"
    token = _text(request.form, "token")
    data = {"point_id": _text(request.form, "point_id"), "token": token}
    try:
        if token or from_scan:
            checkpoint = services.add_checkpoint_by_token(route, token, actor=current_user)
        else:
            point_id = request.form.get("point_id", type=int)
            point = services.get_point_for_route(route, point_id)
            checkpoint = services.add_checkpoint(route, point, actor=current_user)
    except DomainError as error:
        if from_scan:
            return _scan_page(route, error=error.message, status=422)
        return _route_page(route, errors=_form_errors(error), data=data, status=422)
    message = _(
        "%(code)s added as checkpoint %(num)d.",
        code=checkpoint.point.code,
        num=checkpoint.position,
    )
    if from_scan:
        flash(message + " " + _("Scan the next label, or you are done."), "success")
        return redirect_to("patrol.route_detail", route_id=route.id, _anchor="checkpoints")
    return _checkpoint_done(route, message)


def _checkpoint_or_404(route, checkpoint_id: int):
    checkpoint = services.get_checkpoint(route, checkpoint_id)
    if checkpoint is None:
        abort(404)
    return checkpoint


@bp.route("/routes/<int:route_id>/checkpoints/<int:checkpoint_id>/move", methods=["POST"])
@managers_only
def move_route_checkpoint(route_id, checkpoint_id):
    """Move a checkpoint one place up or down."""
    route = _route_or_404(route_id)
    checkpoint = _checkpoint_or_404(route, checkpoint_id)
    try:
        services.move_checkpoint(
            route, checkpoint, _text(request.form, "direction"), actor=current_user
        )
    except DomainError as error:
        return _route_page(route, errors={"form": error.message}, status=422)
    return _checkpoint_done(
        route,
        _(
            "%(code)s is now checkpoint %(num)d.",
            code=checkpoint.point.code,
            num=checkpoint.position,
        ),
    )


@bp.route("/routes/<int:route_id>/checkpoints/<int:checkpoint_id>/remove", methods=["POST"])
@managers_only
def remove_route_checkpoint(route_id, checkpoint_id):
    """Take a checkpoint off the route."""
    route = _route_or_404(route_id)
    checkpoint = _checkpoint_or_404(route, checkpoint_id)
    code = checkpoint.point.code
    try:
        services.remove_checkpoint(route, checkpoint, actor=current_user)
    except DomainError as error:
        return _route_page(route, errors={"form": error.message}, status=422)
    return _checkpoint_done(route, _("%(code)s removed from the route.", code=code))


@bp.route("/routes/<int:route_id>/checkpoints/<int:checkpoint_id>/walk", methods=["POST"])
@managers_only
def set_walk_minimum(route_id, checkpoint_id):
    """Set the minimum walking time from the previous checkpoint (empty: the route's)."""
    route = _route_or_404(route_id)
    checkpoint = _checkpoint_or_404(route, checkpoint_id)
    key = f"walk-{checkpoint.id}"
    data, errors = {}, {}
    _number(request.form, "seconds", data, errors, required=False)
    try:
        if errors:
            raise DomainError(errors["seconds"], "seconds")
        services.set_walk_minimum(checkpoint, data["seconds_int"], actor=current_user)
    except DomainError as error:
        return _route_page(
            route, errors={key: error.message}, data={key: data["seconds"]}, status=422
        )
    return _checkpoint_done(
        route, _("Minimum walking time to %(code)s saved.", code=checkpoint.point.code)
    )


@bp.route("/routes/<int:route_id>/active", methods=["POST"])
@managers_only
def set_route_active(route_id):
    """Take a route out of use (its future runs go) or put it back."""
    route = _route_or_404(route_id)
    active = _active_flag(request.form)
    if active is None:
        return _route_page(route, errors={"active": _("Choose on or off.")}, status=422)
    services.set_route_active(route, active, actor=current_user)
    if active:
        flash(_("%(name)s is in use again.", name=route.name), "success")
    else:
        flash(_("%(name)s is out of use: it has no more runs.", name=route.name), "success")
    return redirect_to("patrol.route_detail", route_id=route.id)


def _scan_page(route, *, error=None, status=200):
    return (
        render_template(
            "patrol/route_scan.html",
            route=route,
            site=route.site,
            error=error,
        ),
        status,
    )


@bp.route("/routes/<int:route_id>/scan")
@managers_only
def scan_route_checkpoint(route_id):
    """The camera scanner in "pick" mode: a scanned label is added to the route."""
    return _scan_page(_route_or_404(route_id))


# --------------------------------------------------------------------------- schedules


def _schedule_data(schedule) -> dict:
    def clock(value):
        return value.strftime("%H:%M") if value else ""

    return {
        "kind": schedule.kind,
        "times": (schedule.times or "").replace(",", ", "),
        "interval_minutes": schedule.interval_minutes or "",
        "window_start": clock(schedule.window_start),
        "window_end": clock(schedule.window_end),
        "weekdays": list(schedule.weekdays),
        "run_minutes": schedule.run_minutes,
        "grace_minutes": schedule.grace_minutes,
        "post_id": str(schedule.post_id or ""),
        "guard_ids": [str(user.id) for user in schedule.guards],
    }


def _preview(schedule) -> list[dict]:
    """The schedule's next runs with the local weekday of each, for the page."""
    if schedule is None:
        return []
    tz = ZoneInfo(schedule.route.site.timezone)
    names = dict(services.WEEKDAYS)
    return [
        {"weekday": names[slot.starts_at.astimezone(tz).isoweekday()], "slot": slot}
        for slot in services.upcoming_slots(schedule)
    ]


def _schedule_form(route, schedule=None, data=None, errors=None, status=200):
    site = route.site
    posts = services.list_posts(site, include_inactive=False)
    if schedule is not None and schedule.post is not None and schedule.post not in posts:
        posts.append(schedule.post)
    return (
        render_template(
            "patrol/schedule_form.html",
            route=route,
            schedule=schedule,
            site=site,
            data=data or {},
            errors=errors or {},
            kinds=[(kind.value, SCHEDULE_KIND_LABELS[kind]) for kind in ScheduleKind],
            weekdays=services.WEEKDAYS,
            posts=posts,
            guards=services.list_site_guards(site),
            preview=_preview(schedule),
            limits={
                "run": (services.RUN_MINUTES_MIN, services.RUN_MINUTES_MAX),
                "grace": (services.GRACE_MINUTES_MIN, services.GRACE_MINUTES_MAX),
                "interval": (services.INTERVAL_MIN, services.INTERVAL_MAX),
            },
        ),
        status,
    )


def _schedule_values(route, data: dict, errors: dict) -> dict:
    """Turn the parsed form into the service's arguments (post and guards as objects)."""
    post = None
    if data["post_id"] and not errors.get("post_id"):
        post = services.get_post_for_user(current_user, int(data["post_id"]))
        if post is None or post.site_id != route.site_id:
            errors["post_id"] = _("Choose a post from the list.")
    guards = _chosen_guards(route.site, data, errors)
    return {
        "kind": data["kind"],
        "times": data["times"],
        "interval_minutes": data["interval_minutes_int"],
        "window_start": data["window_start_time"],
        "window_end": data["window_end_time"],
        "weekdays": data["weekdays"],
        "run_minutes": data["run_minutes_int"],
        "grace_minutes": data["grace_minutes_int"],
        "post": post,
        "guards": guards,
    }


@bp.route("/routes/<int:route_id>/schedules/new", methods=["GET", "POST"])
@managers_only
def create_schedule(route_id):
    """Schedule a route: fixed times or every N minutes, on chosen weekdays."""
    route = _route_or_404(route_id)
    if request.method == "GET":
        return _schedule_form(
            route,
            data={
                "kind": ScheduleKind.FIXED.value,
                "weekdays": list(services.ALL_WEEKDAYS),
                "run_minutes": 40,
                "grace_minutes": 10,
            },
        )
    data, errors = parse_schedule_form(request.form)
    values = _schedule_values(route, data, errors)
    if errors:
        return _schedule_form(route, data=data, errors=errors, status=422)
    try:
        schedule = services.create_schedule(route, actor=current_user, **values)
    except DomainError as error:
        return _schedule_form(route, data=data, errors=_form_errors(error), status=422)
    flash(_("Schedule saved. Its next rounds are listed below."), "success")
    return redirect_to("patrol.edit_schedule", schedule_id=schedule.id)


@bp.route("/schedules/<int:schedule_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_schedule(schedule_id):
    """Change a schedule; rounds not started yet follow the change."""
    schedule = _schedule_or_404(schedule_id)
    route = schedule.route
    if request.method == "GET":
        return _schedule_form(route, schedule, _schedule_data(schedule))
    data, errors = parse_schedule_form(request.form)
    values = _schedule_values(route, data, errors)
    if errors:
        return _schedule_form(route, schedule, data, errors, 422)
    try:
        services.update_schedule(schedule, actor=current_user, **values)
    except DomainError as error:
        return _schedule_form(route, schedule, data, _form_errors(error), 422)
    flash(_("Schedule saved. Rounds not started yet follow the change."), "success")
    return redirect_to("patrol.edit_schedule", schedule_id=schedule.id)


@bp.route("/schedules/<int:schedule_id>/active", methods=["POST"])
@managers_only
def set_schedule_active(schedule_id):
    """Pause a schedule (its future rounds go) or resume it from now on."""
    schedule = _schedule_or_404(schedule_id)
    active = _active_flag(request.form)
    if active is None:
        return _schedule_form(
            schedule.route,
            schedule,
            _schedule_data(schedule),
            {"active": _("Choose on or off.")},
            422,
        )
    services.set_schedule_active(schedule, active, actor=current_user)
    flash(_("Schedule resumed.") if active else _("Schedule paused."), "success")
    return redirect_to("patrol.edit_schedule", schedule_id=schedule.id)


# --------------------------------------------------------------------------- posts


@bp.route("/posts")
@managers_only
def list_posts():
    """The site's guard posts and who stands them."""
    site = _site_or_404()
    return render_template("patrol/posts.html", site=site, posts=services.list_posts(site))


def _post_form(site, post=None, data=None, errors=None, status=200):
    return (
        render_template(
            "patrol/posts_form.html",
            site=site,
            post=post,
            data=data or {},
            errors=errors or {},
            guards=services.list_site_guards(site),
        ),
        status,
    )


@bp.route("/posts/new", methods=["GET", "POST"])
@managers_only
def create_post():
    """Create a guard post with the guards who stand it."""
    site = _site_or_404()
    if request.method == "GET":
        return _post_form(site)
    data, errors = parse_post_form(request.form)
    guards = _chosen_guards(site, data, errors)
    if errors:
        return _post_form(site, data=data, errors=errors, status=422)
    try:
        post = services.create_post(
            site,
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            guards=guards,
            actor=current_user,
        )
    except DomainError as error:
        return _post_form(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Post %(name)s created.", name=post.name), "success")
    return redirect_to("patrol.list_posts")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_post(post_id):
    """Rename a post and choose who stands it."""
    post = _post_or_404(post_id)
    if request.method == "GET":
        data = {
            "name_zh": post.name_zh,
            "name_en": post.name_en,
            "guard_ids": [str(user.id) for user in post.guards],
        }
        return _post_form(post.site, post, data)
    data, errors = parse_post_form(request.form)
    guards = _chosen_guards(post.site, data, errors)
    if errors:
        return _post_form(post.site, post, data, errors, 422)
    try:
        services.update_post(
            post,
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            guards=guards,
            actor=current_user,
        )
    except DomainError as error:
        return _post_form(post.site, post, data, _form_errors(error), 422)
    flash(_("Changes to %(name)s saved.", name=post.name), "success")
    return redirect_to("patrol.list_posts")


@bp.route("/posts/<int:post_id>/active", methods=["POST"])
@managers_only
def set_post_active(post_id):
    """Take a post out of use, or back into use."""
    post = _post_or_404(post_id)
    active = _active_flag(request.form)
    data = {
        "name_zh": post.name_zh,
        "name_en": post.name_en,
        "guard_ids": [str(user.id) for user in post.guards],
    }
    try:
        if active is None:
            raise DomainError(_("Choose on or off."), "active")
        services.set_post_active(post, active, actor=current_user)
    except DomainError as error:
        return _post_form(post.site, post, data, _form_errors(error), 422)
    if active:
        flash(_("%(name)s is in use again.", name=post.name), "success")
    else:
        flash(_("%(name)s is out of use.", name=post.name), "success")
    return redirect_to("patrol.list_posts")


# --------------------------------------------------------------------------- settings


def _settings_page(site, data, errors=None, status=200):
    return (
        render_template(
            "patrol/settings.html",
            site=site,
            data=data,
            errors=errors or {},
            low=services.CLOCK_TOLERANCE_MIN,
            high=services.CLOCK_TOLERANCE_MAX,
        ),
        status,
    )


@bp.route("/settings", methods=["GET", "POST"])
@managers_only
def edit_settings():
    """The site's patrol settings: how far a phone's clock may be off."""
    site = _site_or_404()
    if request.method == "GET":
        settings = services.get_settings(site)
        return _settings_page(site, {"clock_tolerance_seconds": settings.clock_tolerance_seconds})
    data, errors = {}, {}
    _number(request.form, "clock_tolerance_seconds", data, errors, required=True)
    if errors:
        return _settings_page(site, data, errors, 422)
    try:
        services.update_settings(
            site,
            clock_tolerance_seconds=data["clock_tolerance_seconds_int"],
            actor=current_user,
        )
    except DomainError as error:
        return _settings_page(site, data, _form_errors(error), 422)
    flash(_("Patrol settings saved."), "success")
    return redirect_to("patrol.edit_settings")
