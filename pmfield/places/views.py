"""Places pages: points, the scanned-label landing page, locations, sites, CSV import."""

from flask import Response
from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from pmfield.auth.roles import LABEL_PRINTERS
from pmfield.auth.roles import PLACE_EDITORS
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import login_manager
from pmfield.places import bp
from pmfield.places import forms
from pmfield.places import services
from pmfield.places.models import LocationLevel
from pmfield.places.models import Point
from pmfield.places.models import PointKind
from pmfield.places.models import Site
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import public
from pmfield.web.security import roles_required
from pmfield.web.security import signed_in

editors_only = roles_required(*PLACE_EDITORS)
admin_only = roles_required(Role.ADMIN)

#: Services name the object ("location"); the forms name the input ("location_id").
FORM_FIELDS = {"location": "location_id", "parent": "parent_id"}
#: Common timezones offered in the site form (any IANA name is accepted).
TIMEZONE_SUGGESTIONS = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Urumqi",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "UTC",
)


@bp.app_template_filter("site_time")
def site_time_filter(moment, site) -> str:
    """Format a UTC moment in the site's local time: 2025-03-01 14:05."""
    local = services.site_time(site, moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _form_errors(error: DomainError) -> dict[str, str]:
    field = FORM_FIELDS.get(error.field, error.field) if error.field else "form"
    return {field: error.message}


def _site_or_404() -> Site:
    site = current_site()
    if site is None:
        abort(404)
    return site


def _point_or_404(point_id: int) -> Point:
    point = services.get_point_for_user(current_user, point_id)
    if point is None:
        abort(404)
    return point


def _active_point_or_404(point_id: int) -> Point:
    point = _point_or_404(point_id)
    if point.is_retired:
        abort(404)
    return point


def _location_or_404(location_id: int):
    location = services.get_location_for_user(current_user, location_id)
    if location is None or location.is_retired:
        abort(404)
    return location


# --------------------------------------------------------------------------- points


@bp.route("/points")
@signed_in
def list_points():
    """List the current site's points; htmx asks for the rows only while typing."""
    site = current_site()
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()
    can_edit = services.can_edit_places(current_user)
    show_retired = can_edit and request.args.get("retired") == "1"
    points = services.list_points(
        current_user,
        site,
        kinds=[kind] if kind in set(PointKind) else None,
        q=q,
        include_retired=show_retired,
    )
    return render_page(
        "places/index.html",
        "places/_point_rows.html",
        site=site,
        points=points,
        kinds=list(PointKind),
        kind=kind,
        q=q,
        show_retired=show_retired,
        can_edit=can_edit,
    )


#: Features that add a card to a point's page (repair jobs, maintenance): each is
#: (template, context(user, point) -> dict | None); None leaves the card out.
POINT_PANELS = []


def register_point_panel(template: str, context) -> None:
    POINT_PANELS.append((template, context))


def _point_panels(point) -> list[tuple[str, dict]]:
    panels = []
    for template, context in POINT_PANELS:
        values = context(current_user, point)
        if values is not None:
            panels.append((template, values))
    return panels


def _render_point(point, *, scanned=False, errors=None, data=None, status=200):
    today = services.site_today(point.site)
    return (
        render_template(
            "places/point.html",
            panels=_point_panels(point),
            point=point,
            label=point.current_label,
            last_label=point.labels[-1] if point.labels else None,
            certificates=services.certificate_statuses(point, today),
            can_edit=services.can_edit_places(current_user),
            can_print=current_user.role in LABEL_PRINTERS,
            scanned=scanned,
            errors=errors or {},
            data=data or {},
        ),
        status,
    )


@bp.route("/points/<int:point_id>")
@signed_in
def point_detail(point_id):
    """Show one point: where it is, its asset and certificates, its label."""
    return _render_point(_point_or_404(point_id))


#: Features that answer a label scan themselves (patrol check-in, cleaning checklist, job
#: arrival): handler(user, label) returns a response, or None to let the next one try.
SCAN_HANDLERS = []


def register_scan_handler(handler) -> None:
    SCAN_HANDLERS.append(handler)


@bp.route("/q/<token>")
@public
def scan_label(token):
    """Land here from a QR label. Only reads: link previews must not change anything."""
    label, status = services.resolve_token(token)
    if status == "invalid":
        return render_template("places/label_invalid.html"), 404
    if status in ("revoked", "retired"):
        return render_template("places/label_revoked.html", status=status), 410
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.can_access_site(label.point.site):
        abort(403)
    for handler in SCAN_HANDLERS:
        response = handler(current_user, label)
        if response is not None:
            return response
    return _render_point(label.point, scanned=True)


def _point_form(point=None, data=None, errors=None, status=200):
    site = point.site if point else _site_or_404()
    return (
        render_template(
            "places/point_form.html",
            point=point,
            site=site,
            data=data or {},
            errors=errors or {},
            kinds=[(kind.value, kind.label) for kind in PointKind],
            locations=services.location_choices(site) if point is None else [],
        ),
        status,
    )


@bp.route("/points/new", methods=["GET", "POST"])
@editors_only
def create_point():
    """Add a point to the current site; it gets its first label at once."""
    site = _site_or_404()
    if request.method == "GET":
        return _point_form(
            data={
                "location_id": request.args.get("location", type=int),
                "kind": request.args.get("kind", ""),
            }
        )
    data, errors = forms.parse_point_form(request.form, new=True)
    if errors:
        return _point_form(data=data, errors=errors, status=422)
    location = services.get_location_for_user(current_user, data["location_id"])
    asset = data["asset"]
    try:
        point = services.create_point(
            site,
            location,
            data["kind"],
            data["code"],
            data["name_zh"],
            data["name_en"],
            description=data["description"],
            asset={
                "make": asset["make"],
                "model": asset["model"],
                "serial_number": asset["serial_number"],
                "installed_on": asset.get("installed_on_date"),
            },
            actor=current_user,
        )
    except DomainError as error:
        return _point_form(data=data, errors=_form_errors(error), status=422)
    flash(_("Point %(code)s created with its label.", code=point.code), "success")
    return redirect_to("places.point_detail", point_id=point.id)


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
@editors_only
def edit_point(point_id):
    """Change a point's code, names, kind and description."""
    point = _active_point_or_404(point_id)
    if request.method == "GET":
        return _point_form(point)
    data, errors = forms.parse_point_form(request.form, new=False)
    if errors:
        return _point_form(point, data, errors, 422)
    try:
        services.update_point(
            point,
            code=data["code"],
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            kind=data["kind"],
            description=data["description"],
            actor=current_user,
        )
    except DomainError as error:
        return _point_form(point, data, _form_errors(error), 422)
    flash(_("Changes to %(code)s saved.", code=point.code), "success")
    return redirect_to("places.point_detail", point_id=point.id)


def _move_point_form(point, data=None, errors=None, status=200):
    return (
        render_template(
            "places/point_move.html",
            point=point,
            data=data or {"location_id": point.location_id},
            errors=errors or {},
            locations=services.location_choices(point.site),
        ),
        status,
    )


@bp.route("/points/<int:point_id>/move", methods=["GET", "POST"])
@editors_only
def move_point(point_id):
    """Move a point to another location of its site."""
    point = _active_point_or_404(point_id)
    if request.method == "GET":
        return _move_point_form(point)
    data, errors = forms.parse_move_point_form(request.form)
    if errors:
        return _move_point_form(point, data, errors, 422)
    location = services.get_location_for_user(current_user, data["location_id"])
    try:
        services.move_point(point, location, actor=current_user)
    except DomainError as error:
        return _move_point_form(point, data, _form_errors(error), 422)
    flash(_("%(code)s moved.", code=point.code), "success")
    return redirect_to("places.point_detail", point_id=point.id)


@bp.route("/points/<int:point_id>/retire", methods=["GET", "POST"])
@editors_only
def retire_point(point_id):
    """Confirm, then retire a point (its label stops working)."""
    point = _active_point_or_404(point_id)
    if request.method == "POST":
        services.retire_point(point, actor=current_user)
        flash(_("%(code)s is retired and its label withdrawn.", code=point.code), "success")
        return redirect_to("places.list_points")
    return render_template(
        "places/confirm.html",
        title=_("Retire %(code)s?", code=point.code),
        message=_("The point leaves the lists and its QR label stops working. Its history stays."),
        action=request.path,
        button=_("Retire point"),
        back=("places.point_detail", {"point_id": point.id}),
        error=None,
    )


# --------------------------------------------------------------------------- asset, certificates


def _asset_page(point, data=None, errors=None, status=200):
    today = services.site_today(point.site)
    return (
        render_template(
            "places/asset_form.html",
            point=point,
            asset=point.asset,
            certificates=services.certificate_statuses(point, today),
            data=data or {},
            errors=errors or {},
        ),
        status,
    )


def _equipment_or_404(point_id: int) -> Point:
    point = _active_point_or_404(point_id)
    if not point.is_equipment:
        abort(404)
    return point


@bp.route("/points/<int:point_id>/asset", methods=["GET", "POST"])
@editors_only
def edit_asset(point_id):
    """Edit an equipment point's asset record; add and remove certificates."""
    point = _equipment_or_404(point_id)
    if request.method == "GET":
        return _asset_page(point)
    data, errors = forms.parse_asset_form(request.form)
    if errors:
        return _asset_page(point, data, errors, 422)
    try:
        services.set_asset(
            point,
            make=data["make"],
            model=data["model"],
            serial_number=data["serial_number"],
            installed_on=data.get("installed_on_date"),
            actor=current_user,
        )
    except DomainError as error:
        return _asset_page(point, data, _form_errors(error), 422)
    flash(_("Asset record of %(code)s saved.", code=point.code), "success")
    return redirect_to("places.edit_asset", point_id=point.id)


@bp.route("/points/<int:point_id>/certificates", methods=["POST"])
@editors_only
def add_certificate(point_id):
    """Add a certificate or permit to an equipment point."""
    point = _equipment_or_404(point_id)
    data, errors = forms.parse_certificate_form(request.form)
    cert_data = {"certificate": data}
    if errors:
        return _asset_page(point, cert_data, {"certificate": errors}, 422)
    try:
        services.add_certificate(
            point,
            name=data["name"],
            number=data["number"],
            issued_on=data.get("issued_on_date"),
            expires_on=data.get("expires_on_date"),
            actor=current_user,
        )
    except DomainError as error:
        return _asset_page(point, cert_data, {"certificate": _form_errors(error)}, 422)
    flash(_("Certificate added."), "success")
    return redirect_to("places.edit_asset", point_id=point.id)


@bp.route("/points/<int:point_id>/certificates/<int:certificate_id>/remove", methods=["POST"])
@editors_only
def remove_certificate(point_id, certificate_id):
    """Remove a certificate entered by mistake."""
    point = _equipment_or_404(point_id)
    certificate = services.get_certificate(point, certificate_id)
    if certificate is None:
        abort(404)
    services.remove_certificate(certificate, actor=current_user)
    flash(_("Certificate removed."), "success")
    return redirect_to("places.edit_asset", point_id=point.id)


# --------------------------------------------------------------------------- labels


@bp.route("/points/<int:point_id>/label/revoke", methods=["POST"])
@editors_only
def revoke_label(point_id):
    """Withdraw a point's label (lost or copied) without a replacement."""
    point = _active_point_or_404(point_id)
    data, errors = forms.parse_reason_form(request.form)
    try:
        if errors:
            raise DomainError(errors["reason"], "reason")
        services.revoke_label(point, reason=data["reason"], actor=current_user)
    except DomainError as error:
        return _render_point(point, errors=_form_errors(error), data=data, status=422)
    flash(_("The label of %(code)s no longer works.", code=point.code), "success")
    return redirect_to("places.point_detail", point_id=point.id)


@bp.route("/points/<int:point_id>/label/reissue", methods=["POST"])
@editors_only
def reissue_label(point_id):
    """Replace a point's label: the old one stops working, a new version is issued."""
    point = _active_point_or_404(point_id)
    data, errors = forms.parse_reason_form(request.form)
    try:
        if errors:
            raise DomainError(errors["reason"], "reason")
        label = services.reissue_label(point, reason=data["reason"], actor=current_user)
    except DomainError as error:
        return _render_point(point, errors=_form_errors(error), data=data, status=422)
    flash(
        _(
            "Label version %(version)d issued for %(code)s. Print it and replace the old one.",
            version=label.version,
            code=point.code,
        ),
        "success",
    )
    return redirect_to("places.point_detail", point_id=point.id)


# --------------------------------------------------------------------------- CSV import


def _import_page(site, *, errors=None, report=(), filename="", status=200):
    return (
        render_template(
            "places/import.html",
            site=site,
            errors=errors or {},
            report=list(report),
            filename=filename,
            kind_names=", ".join(kind.value for kind in PointKind),
        ),
        status,
    )


@bp.route("/points/import", methods=["GET", "POST"])
@editors_only
def import_points():
    """Upload a CSV of points: all are created, or none with a line-by-line report."""
    site = _site_or_404()
    if request.method == "GET":
        return _import_page(site)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(site, errors={"file": _("Choose a CSV file.")}, status=422)
    try:
        points = services.import_points_csv(site, upload.read(), actor=current_user)
    except services.ImportFailed as failure:
        return _import_page(
            site,
            errors={"file": failure.message},
            report=failure.errors,
            filename=upload.filename,
            status=422,
        )
    flash(ngettext("%(num)d point imported.", "%(num)d points imported.", len(points)), "success")
    return redirect_to("places.list_points")


@bp.route("/points/import/example.csv")
@editors_only
def import_example():
    """Download an example import file built on the current site's locations."""
    response = Response(services.example_csv(current_site()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="pmfield-points-example.csv"'
    return response


# --------------------------------------------------------------------------- locations


@bp.route("/places/locations")
@editors_only
def list_locations():
    """The current site's location tree, with what can be done to each node."""
    site = _site_or_404()
    show_retired = request.args.get("retired") == "1"
    return render_template(
        "places/locations.html",
        site=site,
        tree=services.location_tree(site, include_retired=show_retired),
        show_retired=show_retired,
    )


def _location_form(location=None, data=None, errors=None, status=200):
    site = location.site if location else _site_or_404()
    return (
        render_template(
            "places/location_form.html",
            location=location,
            site=site,
            data=data or {},
            errors=errors or {},
            levels=[(level.value, level.label) for level in LocationLevel],
            parents=services.location_choices(site, above=LocationLevel.AREA)
            if location is None
            else [],
        ),
        status,
    )


@bp.route("/places/locations/new", methods=["GET", "POST"])
@editors_only
def create_location():
    """Add a location to the current site's tree."""
    site = _site_or_404()
    if request.method == "GET":
        return _location_form(data={"parent_id": request.args.get("parent", type=int)})
    data, errors = forms.parse_location_form(request.form, new=True)
    if errors:
        return _location_form(data=data, errors=errors, status=422)
    parent = None
    if data["parent_id"]:
        parent = services.get_location_for_user(current_user, data["parent_id"])
        if parent is None:
            return _location_form(
                data=data, status=422, errors={"parent_id": _("Choose a location on this site.")}
            )
    try:
        location = services.create_location(
            site, data["level"], data["name_zh"], data["name_en"], parent, actor=current_user
        )
    except DomainError as error:
        return _location_form(data=data, errors=_form_errors(error), status=422)
    flash(_("%(name)s added.", name=location.name), "success")
    return redirect_to("places.list_locations")


@bp.route("/places/locations/<int:location_id>/edit", methods=["GET", "POST"])
@editors_only
def edit_location(location_id):
    """Rename a location."""
    location = _location_or_404(location_id)
    if request.method == "GET":
        return _location_form(location)
    data, errors = forms.parse_location_form(request.form, new=False)
    if errors:
        return _location_form(location, data, errors, 422)
    try:
        services.update_location(
            location, name_zh=data["name_zh"], name_en=data["name_en"], actor=current_user
        )
    except DomainError as error:
        return _location_form(location, data, _form_errors(error), 422)
    flash(_("Changes to %(name)s saved.", name=location.name), "success")
    return redirect_to("places.list_locations")


def _move_location_form(location, data=None, errors=None, status=200):
    return (
        render_template(
            "places/location_move.html",
            location=location,
            data=data or {"parent_id": location.parent_id},
            errors=errors or {},
            parents=services.location_choices(
                location.site, exclude=location, above=location.level_enum
            ),
        ),
        status,
    )


@bp.route("/places/locations/<int:location_id>/move", methods=["GET", "POST"])
@editors_only
def move_location(location_id):
    """Move a location, with everything in it, under another parent."""
    location = _location_or_404(location_id)
    if request.method == "GET":
        return _move_location_form(location)
    data, _errors = forms.parse_move_location_form(request.form)
    parent = None
    if data["parent_id"]:
        parent = services.get_location_for_user(current_user, data["parent_id"])
        if parent is None:
            return _move_location_form(
                location,
                data,
                status=422,
                errors={"parent_id": _("Choose a location on this site.")},
            )
    try:
        services.move_location(location, parent, actor=current_user)
    except DomainError as error:
        return _move_location_form(location, data, _form_errors(error), 422)
    flash(_("%(name)s moved.", name=location.name), "success")
    return redirect_to("places.list_locations")


@bp.route("/places/locations/<int:location_id>/retire", methods=["GET", "POST"])
@editors_only
def retire_location(location_id):
    """Confirm, then retire an empty location."""
    location = _location_or_404(location_id)
    error = None
    if request.method == "POST":
        try:
            services.retire_location(location, actor=current_user)
        except DomainError as refused:
            error = refused.message
        else:
            flash(_("%(name)s is retired.", name=location.name), "success")
            return redirect_to("places.list_locations")
    return render_template(
        "places/confirm.html",
        title=_("Retire %(name)s?", name=location.name),
        message=_("A retired location takes no new points. Only empty locations can be retired."),
        action=request.path,
        button=_("Retire location"),
        back=("places.list_locations", {}),
        error=error,
    ), 422 if error else 200


# --------------------------------------------------------------------------- sites (admins)


@bp.route("/places/sites")
@admin_only
def list_sites():
    """Every site."""
    return render_template("places/sites.html", sites=services.list_sites_for(current_user))


def _site_form(site=None, data=None, errors=None, status=200):
    return (
        render_template(
            "places/site_form.html",
            site=site,
            data=data or {},
            errors=errors or {},
            timezones=TIMEZONE_SUGGESTIONS,
        ),
        status,
    )


@bp.route("/places/sites/new", methods=["GET", "POST"])
@admin_only
def create_site():
    """Create a site."""
    if request.method == "GET":
        return _site_form()
    data, errors = forms.parse_site_form(request.form, new=True)
    if errors:
        return _site_form(data=data, errors=errors, status=422)
    try:
        site = services.create_site(
            data["code"],
            data["name_zh"],
            data["name_en"],
            data["timezone"],
            data["address"],
            actor=current_user,
        )
    except DomainError as error:
        return _site_form(data=data, errors=_form_errors(error), status=422)
    flash(_("Site %(code)s created.", code=site.code), "success")
    return redirect_to("places.list_sites")


@bp.route("/places/sites/<int:site_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_site(site_id):
    """Change a site's names, timezone and address."""
    site = services.get_site_for_user(current_user, site_id)
    if site is None:
        abort(404)
    if request.method == "GET":
        return _site_form(site)
    data, errors = forms.parse_site_form(request.form, new=False)
    if errors:
        return _site_form(site, data, errors, 422)
    try:
        services.update_site(
            site,
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            timezone=data["timezone"],
            address=data["address"],
            actor=current_user,
        )
    except DomainError as error:
        return _site_form(site, data, _form_errors(error), 422)
    flash(_("Changes to %(code)s saved.", code=site.code), "success")
    return redirect_to("places.list_sites")
