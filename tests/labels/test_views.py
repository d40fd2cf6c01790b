"""Label pages: choose, the A4 print page, the PDF download, and who may use them."""

import re

import pytest

from pmfield.auth.roles import LABEL_PRINTERS
from pmfield.auth.roles import Role
from pmfield.labels import qr
from pmfield.places.models import Point
from pmfield.places.services import label_url
from pmfield.timeutil import utcnow
from tests import factories
from tests.labels import scanning

NON_PRINTERS = sorted(set(Role) - LABEL_PRINTERS)
ENDPOINTS = ["/labels/", "/labels/sheet?point={point}", "/labels/sheet.pdf?point={point}"]


def _cells(html: str) -> list[tuple[str, str]]:
    """Return (code, svg) of every label on the print page."""
    found = re.findall(
        r'<article class="label">.*?(<svg.*?</svg>).*?<p class="label-code[^"]*">([^<]*)</p>',
        html,
        flags=re.S,
    )
    return [(code.replace("\n", ""), svg) for svg, code in found]


# -- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(LABEL_PRINTERS))
@pytest.mark.parametrize("url", ENDPOINTS)
def test_label_printers_may_print(client, login_as, site, role, url):
    point = factories.make_point(site)
    login_as(factories.make_user(role, sites=[site]))
    assert client.get(url.format(point=point.id)).status_code == 200


@pytest.mark.parametrize("role", NON_PRINTERS)
@pytest.mark.parametrize("url", ENDPOINTS)
def test_other_roles_are_refused(client, login_as, site, role, url):
    point = factories.make_point(site)
    login_as(factories.make_user(role, sites=[site]))
    assert client.get(url.format(point=point.id)).status_code == 403


@pytest.mark.parametrize("url", ENDPOINTS)
def test_strangers_are_sent_to_sign_in(client, site, url):
    point = factories.make_point(site)
    response = client.get(url.format(point=point.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("path", ["/labels/sheet", "/labels/sheet.pdf"])
def test_points_of_other_sites_are_not_found(client, login_as, printer, site, other_site, path):
    mine, theirs = factories.make_point(site), factories.make_point(other_site)
    login_as(printer)
    assert client.get(f"{path}?point={mine.id}&point={theirs.id}").status_code == 404
    assert client.get(f"{path}?site={other_site.id}").status_code == 404
    assert client.get(f"{path}?point=99999").status_code == 404
    assert client.get(f"{path}?point=abc").status_code == 404
    assert client.get(f"{path}?point=99999999999999").status_code == 404
    assert client.get(f"{path}?site=-1").status_code == 404


def test_an_admin_may_print_any_site(client, login_as, site, other_site):
    theirs = factories.make_point(other_site)
    login_as(factories.make_user(Role.ADMIN))
    response = client.get(f"/labels/sheet?point={theirs.id}")
    assert response.status_code == 200
    assert theirs.code in response.text


# -- choose ------------------------------------------------------------------------------------


def test_choose_lists_the_current_sites_points(client, login_as, printer, site, other_site):
    hydrant = factories.make_point(site, kind="hydrant", code="HYD-1", name_en="Hydrant 1")
    patrol = factories.make_point(site, kind="checkpoint", code="GATE-1")
    bare = factories.make_point(site, code="BARE-1", with_label=False)
    factories.make_point(other_site, code="ELSEWHERE")
    login_as(printer)
    html = client.get("/labels/").text
    assert "HYD-1" in html
    assert "GATE-1" in html
    assert "ELSEWHERE" not in html
    assert f'name="site" value="{site.id}"' in html
    assert re.search(rf'value="{bare.id}"\s+disabled', html)
    assert "No valid label" in html
    assert not re.search(r'name="point" value="\d+"\s+checked', html)

    html = client.get("/labels/?kind=hydrant").text
    assert "HYD-1" in html
    assert "GATE-1" not in html

    html = client.get("/labels/?all=1").text
    assert re.search(rf'value="{hydrant.id}"\s+checked', html)
    assert re.search(rf'value="{patrol.id}"\s+checked', html)


def test_an_empty_selection_goes_back_to_choose(client, login_as, printer, site):
    retired = factories.make_point(site, code="OLD-1", retired_at=utcnow())
    login_as(printer)
    for path in ("/labels/sheet", "/labels/sheet.pdf"):
        response = client.get(path)
        assert response.status_code == 422
        assert "Nothing to print: choose at least one point." in response.text
        assert 'id="labels-error"' in response.text
    response = client.get(f"/labels/sheet?point={retired.id}")
    assert response.status_code == 422
    assert "1 retired point was skipped." in response.text


# -- the print page ----------------------------------------------------------------------------


def test_the_print_page_shows_each_label_once_and_every_qr_decodes(
    client, login_as, printer, site, many_points
):
    factories.make_point(site, code="BARE-1", with_label=False)
    login_as(printer)
    response = client.get(f"/labels/sheet?site={site.id}")
    assert response.status_code == 200
    html = response.text
    assert html.count('<section class="sheet"') == 2
    cells = _cells(html)
    expected = {point.code: label_url(point.current_label) for point in many_points}
    assert sorted(code for code, _svg in cells) == sorted(expected)
    for code, svg in cells:
        assert scanning.decode(scanning.svg_to_image(svg, scale=3)) == [expected[code]]
    assert "1 point was skipped because it has no valid label; issue one first." in html
    for point in many_points[:3]:
        assert point.name_zh in html
        assert point.name_en.replace("'", "&#39;") in html


def test_the_print_page_is_standalone_and_csp_clean(client, login_as, printer, site):
    point = factories.make_point(site)
    login_as(printer)
    response = client.get(f"/labels/sheet?point={point.id}")
    html = response.text
    assert "Content-Security-Policy" in response.headers
    assert "bottom-nav" not in html  # not the app shell
    assert "topbar" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/print.js" defer>']
    assert "data-print" in html
    assert 'href="/static/css/labels.css"' in html
    assert f'href="/labels/sheet.pdf?point={point.id}"' in html
    with client.get("/static/js/print.js") as script:
        assert "window.print()" in script.text
    with client.get("/static/css/labels.css") as css:
        assert "size: A4" in css.text
        assert "30mm" in css.text


def test_the_print_page_qr_is_30_mm_with_its_quiet_zone(client, login_as, printer, site):
    point = factories.make_point(site)
    login_as(printer)
    (svg,) = [svg for _code, svg in _cells(client.get(f"/labels/sheet?point={point.id}").text)]
    modules = len(qr.qr_matrix(label_url(point.current_label)))
    assert f'viewBox="0 0 {modules} {modules}"' in svg
    assert 'width="30mm" height="30mm"' in svg


# -- the PDF -----------------------------------------------------------------------------------


def test_the_pdf_download(client, login_as, printer, site, many_points):
    login_as(printer)
    chosen = many_points[:5]
    query = "&".join(f"point={point.id}" for point in chosen)
    response = client.get(f"/labels/sheet.pdf?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=labels-{site.code}.pdf"
    found = scanning.decode_sheet(response.data, 150)
    assert found == [[label_url(point.current_label)] for point in chosen]


def test_the_site_pdf_holds_every_printable_point(client, login_as, printer, site, many_points):
    factories.make_point(site, code="OLD-1", retired_at=utcnow())
    login_as(printer)
    response = client.get(f"/labels/sheet.pdf?site={site.id}")
    assert response.status_code == 200
    found = sorted(text for texts in scanning.decode_sheet(response.data, 100) for text in texts)
    assert found == sorted(label_url(point.current_label) for point in many_points)
    assert Point.query.count() == len(many_points) + 1
