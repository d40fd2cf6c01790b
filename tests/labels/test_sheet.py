"""Choosing points and the PDF sheet: every printed code decodes, at a realistic resolution."""

from collections import Counter

import pypdfium2
import pytest
from PIL import ImageDraw

from pmfield.auth.roles import Role
from pmfield.errors import NotFoundError
from pmfield.extensions import db
from pmfield.labels import qr
from pmfield.labels import services
from pmfield.labels.services import EmptySelectionError
from pmfield.places.services import label_url
from pmfield.timeutil import utcnow
from tests import factories
from tests.labels import scanning

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def pdf_and_urls(many_points):
    cells = services.build_cells(many_points)
    return services.render_pdf(cells), [cell.url for cell in cells]


def _assert_each_label_once(found: list[list[str]], urls: list[str]) -> None:
    """Each non-empty cell holds exactly one code, the expected one, in sheet order."""
    assert found == [[url] for url in urls]
    assert set(Counter(text for texts in found for text in texts).values()) == {1}


# 30 mm at 150 dpi is 177 px, what a phone camera gets from a label at arm's length; 100 dpi and
# 72 dpi (2 px a module) leave margin. Blur is a Gaussian sigma in millimetres on the paper,
# noise uniform +/- grey levels. Measured over 840 random codes, none of these failed; decoding
# gives way from sigma 0.35 mm (no noise) or 0.25 mm with noise 40.
@pytest.mark.parametrize(
    ("dpi", "blur_mm", "noise"),
    [(150, 0, 0), (100, 0, 0), (72, 0, 0), (150, 0.15, 40), (100, 0.15, 30), (100, 0.2, 0)],
)
def test_every_code_on_the_sheet_decodes(pdf_and_urls, dpi, blur_mm, noise):
    pdf, urls = pdf_and_urls
    found = scanning.decode_sheet(pdf, dpi, blur=blur_mm * dpi / scanning.MM_PER_INCH, noise=noise)
    _assert_each_label_once(found, urls)


def test_codes_survive_a_smudge(pdf_and_urls):
    """A grey blot of 7 mm over the data area (dirt, a scratch) is within level Q's reach."""
    pdf, urls = pdf_and_urls
    dpi = 100
    px = dpi / scanning.MM_PER_INCH
    found = []
    for page in scanning.render_pages(pdf, dpi):
        for box in scanning.cell_boxes(dpi):
            cell = page.crop(box)
            if cell.getextrema()[0] > 128:
                continue
            x, y = (services.QR_LEFT + 15) * px, (services.QR_TOP + 15) * px
            ImageDraw.Draw(cell).ellipse((x, y, x + 7 * px, y + 7 * px), fill=128)
            found.append(scanning.decode(cell))
    _assert_each_label_once(found, urls)


def test_the_pdf_is_a4_with_21_labels_a_page(pdf_and_urls, many_points):
    pdf, _urls = pdf_and_urls
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 2
        width, height = document[0].get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
        first = document[0].get_textpage().get_text_range()
        second = document[1].get_textpage().get_text_range()
    finally:
        document.close()
    first, second = ("".join(text.split()) for text in (first, second))  # undo line breaks
    for point in many_points:
        text = first if point in many_points[:21] else second
        for printed in (point.code, point.name_zh, point.name_en):
            assert "".join(printed.split()) in text


def test_the_qr_code_is_exactly_30_mm(pdf_and_urls, many_points):
    pdf, urls = pdf_and_urls
    dpi = 600
    px = dpi / scanning.MM_PER_INCH
    page = scanning.render_pages(pdf, dpi)[0]
    left = (services.MARGIN_LEFT + services.QR_LEFT) * px
    top = (services.MARGIN_TOP + services.QR_TOP) * px
    qr_box = page.crop((round(left), round(top), round(left + 30 * px), round(top + 30 * px)))
    dark = qr_box.point(lambda v: 255 if v < 128 else 0).getbbox()
    modules = len(qr.qr_matrix(urls[0]))
    module_px = 30 * px / modules
    # The dark symbol starts after the 4-module quiet zone and spans modules - 8 modules.
    assert dark[0] == pytest.approx(4 * module_px, abs=2)
    assert dark[1] == pytest.approx(4 * module_px, abs=2)
    assert dark[2] - dark[0] == pytest.approx((modules - 8) * module_px, abs=2)
    assert dark[3] - dark[1] == pytest.approx((modules - 8) * module_px, abs=2)


def test_the_same_cells_give_the_same_bytes(many_points):
    cells = services.build_cells(many_points[:3])
    assert services.render_pdf(cells) == services.render_pdf(cells)


def test_long_codes_and_names_stay_inside_the_label(app, site):
    point = factories.make_point(
        site,
        code="A12-B3-4F-ELEV-02-NORTH-WING-XYZ",
        name_zh="第三教学楼四层北翼东侧消防设备间二号电梯机房配电柜",
        name_en="Teaching building 3, fourth floor, north wing, east fire equipment room",
    )
    (cell,) = services.build_cells([point])
    found = scanning.decode_sheet(services.render_pdf([cell]), 150)
    assert found == [[cell.url]]
    width = (services.CELL_WIDTH - services.TEXT_LEFT - services.TEXT_RIGHT) * 72 / 25.4
    size, lines = services._fit(cell.code, services.LATIN_BOLD, width, (12, 6), 2, force=True)
    assert len(lines) <= 2
    size, lines = services._fit(cell.name_zh, services.CJK_FONT, width, (9, 7), 2, force=True)
    assert len(lines) == 2
    assert lines[-1].endswith("…")


# -- choosing points ---------------------------------------------------------------------------


def test_explicit_points_keep_their_order_once(app, site):
    user = factories.make_user(Role.MANAGER, sites=[site])
    first, second = factories.make_point(site), factories.make_point(site)
    selection = services.select_points(user, [second.id, first.id, second.id])
    assert selection.points == [second, first]
    assert selection.skipped == 0
    assert selection.messages() == []


def test_retired_and_unlabelled_points_are_skipped_and_counted(app, site):
    user = factories.make_user(Role.MANAGER, sites=[site])
    good = factories.make_point(site)
    retired = factories.make_point(site, retired_at=utcnow())
    unlabelled = factories.make_point(site, with_label=False)
    revoked = factories.make_point(site)
    revoked.labels[0].revoked_at = utcnow()
    db.session.commit()
    selection = services.select_points(user, [good.id, retired.id, unlabelled.id, revoked.id])
    assert selection.points == [good]
    assert selection.retired == [retired]
    assert selection.unlabelled == [unlabelled, revoked]
    assert selection.messages() == [
        "1 retired point was skipped.",
        "2 points were skipped because they have no valid label; issue them first.",
    ]


def test_nothing_printable_is_an_empty_selection(app, site):
    user = factories.make_user(Role.MANAGER, sites=[site])
    retired = factories.make_point(site, retired_at=utcnow())
    with pytest.raises(EmptySelectionError, match="retired point was skipped"):
        services.select_points(user, [retired.id])
    with pytest.raises(EmptySelectionError, match="choose at least one point"):
        services.select_points(user, [])


def test_points_and_sites_of_other_sites_are_not_found(app, site, other_site):
    user = factories.make_user(Role.MANAGER, sites=[site])
    mine, theirs = factories.make_point(site), factories.make_point(other_site)
    with pytest.raises(NotFoundError):
        services.select_points(user, [mine.id, theirs.id])
    with pytest.raises(NotFoundError):
        services.select_points(user, [999999])
    with pytest.raises(NotFoundError):
        services.select_points(user, site_id=other_site.id)


def test_a_whole_site(app, site, other_site):
    user = factories.make_user(Role.MANAGER, sites=[site])
    points = [factories.make_point(site, code=f"P-{i}") for i in range(3)]
    factories.make_point(site, code="P-OLD", retired_at=utcnow())
    factories.make_point(other_site, code="P-9")
    selection = services.select_points(user, site_id=site.id)
    assert sorted(p.code for p in selection.points) == [p.code for p in points]


def test_cells_carry_the_label_url_and_both_names(app, site):
    point = factories.make_point(site, code="HYD-01", name_zh="消防栓", name_en="Hydrant")
    (cell,) = services.build_cells([point])
    assert cell.url == label_url(point.current_label)
    assert cell.url.startswith("https://pm.example.test/q/")
    assert (cell.code, cell.name_zh, cell.name_en, cell.site_name) == (
        "HYD-01",
        "消防栓",
        "Hydrant",
        site.name_zh,
    )
