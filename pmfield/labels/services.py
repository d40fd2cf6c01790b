"""Label sheets: choose the points, build the cells, draw the A4 PDF.

The sheet is standard 21-up label stock (3 × 7 labels of 63.5 × 38.1 mm, e.g. Avery L7160 and
its look-alikes), so a sheet prints on plain paper to cut out or straight onto labels.
"""

import io
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from pmfield.errors import DomainError
from pmfield.errors import NotFoundError
from pmfield.extensions import db
from pmfield.labels.qr import dark_runs
from pmfield.labels.qr import qr_matrix
from pmfield.labels.qr import qr_svg
from pmfield.places.models import Point
from pmfield.places.models import Site
from pmfield.places.services import get_point_for_user
from pmfield.places.services import get_site_for_user
from pmfield.places.services import label_url
from pmfield.places.services import list_points

# -- sheet geometry (millimetres) -------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
COLUMNS, ROWS = 3, 7
#: Labels on one sheet.
PER_PAGE = COLUMNS * ROWS
CELL_WIDTH, CELL_HEIGHT = 63.5, 38.1
#: Gap between columns on 21-up stock; rows touch.
COLUMN_GAP = 2.5
MARGIN_LEFT = (PAGE_WIDTH - COLUMNS * CELL_WIDTH - (COLUMNS - 1) * COLUMN_GAP) / 2  # 7.25
MARGIN_TOP = (PAGE_HEIGHT - ROWS * CELL_HEIGHT) / 2  # 15.15
#: Printed size of the QR code, quiet zone included.
QR_SIZE = 30.0
QR_LEFT = 2.0
QR_TOP = (CELL_HEIGHT - QR_SIZE) / 2
TEXT_LEFT = QR_LEFT + QR_SIZE + 1.0
TEXT_RIGHT = 2.5
TEXT_WIDTH = CELL_WIDTH - TEXT_LEFT - TEXT_RIGHT
TEXT_TOP = 4.0

LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
#: One of reportlab's built-in CID fonts: Adobe's Asian font packs and pdfium have it; no file
#: to ship and nothing embedded.
CJK_FONT = "STSong-Light"


class EmptySelectionError(DomainError):
    """Nothing printable was chosen."""


@dataclass(frozen=True)
class LabelCell:
    """What one label shows."""

    url: str
    code: str
    name_zh: str
    name_en: str
    site_name: str

    @property
    def qr_svg(self) -> str:
        return qr_svg(self.url)

    @property
    def code_layout(self) -> tuple[int, list[str]]:
        """Font size (whole points) and lines of the code, as printed."""
        return _code_layout(self.code)


@dataclass
class Selection:
    """The points to print, and those left out with the reason."""

    points: list[Point] = field(default_factory=list)
    retired: list[Point] = field(default_factory=list)
    unlabelled: list[Point] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.retired) + len(self.unlabelled)

    def messages(self) -> list[str]:
        """Say how many points were left out, and why."""
        notes = []
        if self.retired:
            notes.append(
                ngettext(
                    "%(num)d retired point was skipped.",
                    "%(num)d retired points were skipped.",
                    len(self.retired),
                )
            )
        if self.unlabelled:
            notes.append(
                ngettext(
                    "%(num)d point was skipped because it has no valid label; issue one first.",
                    "%(num)d points were skipped because they have no valid label; "
                    "issue them first.",
                    len(self.unlabelled),
                )
            )
        return notes


# -- choosing points ---------------------------------------------------------------------------


def skip_reason(point: Point) -> str | None:
    """Return why a point cannot be printed, or None when it can."""
    if point.is_retired:
        return _("Retired")
    if point.current_label is None:
        return _("No valid label")
    return None


def _sort_out(points) -> Selection:
    """Split points into printable, retired and unlabelled; refuse an empty result."""
    selection = Selection()
    for point in points:
        if point.is_retired:
            selection.retired.append(point)
        elif point.current_label is None:
            selection.unlabelled.append(point)
        else:
            selection.points.append(point)
    if not selection.points:
        message = _("Nothing to print: choose at least one point.")
        if selection.skipped:
            message = " ".join([_("Nothing to print."), *selection.messages()])
        raise EmptySelectionError(message)
    return selection


def select_points(user, point_ids=(), site_id: int | None = None) -> Selection:
    """Choose the points of a sheet: the given ids, else the live points of the given site.

    Retired points are counted as skipped only when asked for by id; a whole site means its
    live points.

    :raises NotFoundError: a requested point or site is unknown or not one of the user's.
    :raises EmptySelectionError: nothing printable remains.
    """
    if point_ids:
        points = []
        for point_id in dict.fromkeys(point_ids):  # drop repeats, keep the order
            point = get_point_for_user(user, point_id)
            if point is None:
                raise NotFoundError(_("That point does not exist or is not at your sites."))
            points.append(point)
        return _sort_out(points)
    if site_id is not None:
        site = get_site_for_user(user, site_id)
        if site is None:
            raise NotFoundError(_("That site does not exist or is not one of yours."))
        return _sort_out(list_points(user, site))
    return _sort_out([])


def get_site_by_code(code: str) -> Site:
    """Return the site with this code.

    :raises NotFoundError: there is none.
    """
    site = db.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFoundError(_("No site has the code %(code)s.", code=code))
    return site


def select_site_points(site: Site, point_codes=()) -> Selection:
    """Choose points by code within one site, or all its live points (for the command line).

    :raises NotFoundError: a code is not a point of the site.
    :raises EmptySelectionError: nothing printable remains.
    """
    query = select(Point).where(Point.site_id == site.id).order_by(Point.code)
    if point_codes:
        codes = list(dict.fromkeys(point_codes))
        found = {p.code: p for p in db.session.scalars(query.where(Point.code.in_(codes)))}
        missing = [code for code in codes if code not in found]
        if missing:
            raise NotFoundError(
                _(
                    "No point of %(site)s has the code %(codes)s.",
                    site=site.code,
                    codes=", ".join(missing),
                )
            )
        return _sort_out([found[code] for code in codes])
    return _sort_out(db.session.scalars(query.where(Point.retired_at.is_(None))).all())


# -- the sheet -------------------------------------------------------------------------------


def build_cells(points) -> list[LabelCell]:
    """Return one cell per point, pointing at its current label."""
    return [
        LabelCell(
            url=label_url(point.current_label),
            code=point.code,
            name_zh=point.name_zh or "",
            name_en=point.name_en or "",
            # Not the localised Site.name: a label reads the same whoever prints it.
            site_name=point.site.name_zh or point.site.name_en,
        )
        for point in points
    ]


def sheet_filename(points) -> str:
    """Name the PDF after the site when every label belongs to one."""
    codes = {point.site.code for point in points}
    return f"labels-{codes.pop()}.pdf" if len(codes) == 1 else "labels.pdf"


def paginate(cells: list[LabelCell]) -> list[list[LabelCell]]:
    """Split cells into sheets of PER_PAGE."""
    return [cells[start : start + PER_PAGE] for start in range(0, len(cells), PER_PAGE)]


def render_pdf(cells: list[LabelCell]) -> bytes:
    """Draw the cells on A4 label sheets and return the PDF."""
    _register_fonts()
    buffer = io.BytesIO()
    # invariant: no timestamp or random id, so the same labels give the same bytes.
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle("pmfield QR labels")
    canvas.setCreator("pmfield")
    for page in paginate(cells) or [[]]:
        _draw_cut_guides(canvas)
        for index, cell in enumerate(page):
            row, column = divmod(index, COLUMNS)
            left = MARGIN_LEFT + column * (CELL_WIDTH + COLUMN_GAP)
            top = MARGIN_TOP + row * CELL_HEIGHT
            _draw_cell(canvas, cell, left, top)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _register_fonts() -> None:
    """Register the CJK font once per process."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _x(value_mm: float) -> float:
    return value_mm * mm


def _y(value_mm: float) -> float:
    """Convert a distance from the top of the page into reportlab's bottom-up points."""
    return (PAGE_HEIGHT - value_mm) * mm


def _draw_cut_guides(canvas: Canvas) -> None:
    """Outline every cell with a thin grey line to cut along on plain paper."""
    canvas.saveState()
    canvas.setLineWidth(0.25)
    canvas.setStrokeGray(0.7)
    canvas.setDash(1.5, 1.5)
    for row in range(ROWS):
        for column in range(COLUMNS):
            left = MARGIN_LEFT + column * (CELL_WIDTH + COLUMN_GAP)
            top = MARGIN_TOP + row * CELL_HEIGHT
            canvas.rect(_x(left), _y(top + CELL_HEIGHT), CELL_WIDTH * mm, CELL_HEIGHT * mm)
    canvas.restoreState()


def _draw_qr(canvas: Canvas, url: str, left: float, top: float) -> None:
    """Draw the QR code as one filled path of module rectangles, QR_SIZE mm square."""
    matrix = qr_matrix(url)
    module = QR_SIZE / len(matrix)
    path = canvas.beginPath()
    for x, y, run in dark_runs(matrix):
        # One path for the whole code: separate fills leave hairline seams when rasterised.
        path.rect(_x(left + x * module), _y(top + (y + 1) * module), run * module * mm, module * mm)
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_cell(canvas: Canvas, cell: LabelCell, left: float, top: float) -> None:
    """Draw one label: QR on the left; code, Chinese name, English name and site on the right."""
    _draw_qr(canvas, cell.url, left + QR_LEFT, top + QR_TOP)
    width = TEXT_WIDTH * mm
    x = _x(left + TEXT_LEFT)
    cursor = _y(top + TEXT_TOP)
    canvas.setFillGray(0)

    size, lines = cell.code_layout
    cursor = _draw_lines(canvas, x, cursor, _code_font(cell.code), size, lines) - 1.5 * mm
    for name, sizes in ((cell.name_zh, (9, 7)), (cell.name_en, (7.5, 6))):
        if name:
            font = _font(name)
            size, lines = _fit(name, font, width, sizes, 2, force=True)
            cursor = _draw_lines(canvas, x, cursor, font, size, lines) - 1.0 * mm

    if cell.site_name:
        font = _font(cell.site_name)
        size, lines = _fit(cell.site_name, font, width, (6, 6), 1, force=True)
        canvas.setFillGray(0.35)
        canvas.setFont(font, size)
        canvas.drawString(x, _y(top + CELL_HEIGHT - 3.0), lines[0])


def _draw_lines(canvas: Canvas, x: float, cursor: float, font: str, size: float, lines) -> float:
    """Draw lines downwards from cursor (the top of the first line); return the new cursor."""
    canvas.setFont(font, size)
    for line in lines:
        cursor -= size * 1.1
        canvas.drawString(x, cursor, line)
    return cursor - size * 0.15


def _code_font(code: str) -> str:
    return LATIN_BOLD if _font(code) == LATIN_FONT else CJK_FONT


def _code_layout(code: str) -> tuple[int, list[str]]:
    """Size the code: it is read aloud over the radio, so one big line if it can, else two.

    Whole points only, so the HTML sheet can match with one CSS class per size.
    """
    font, width = _code_font(code), TEXT_WIDTH * mm
    return _fit(code, font, width, (16, 9), 1, step=1) or _fit(
        code, font, width, (12, 6), 2, force=True, step=1
    )


def _font(text: str) -> str:
    """Helvetica when the text fits its encoding, else the CJK font (which also has Latin)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return CJK_FONT
    return LATIN_FONT


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _pieces(text: str) -> list[str]:
    """Split text where a line may break: spaces, after hyphens and slashes, around CJK."""
    pieces, word = [], ""
    for char in text:
        if char.isspace() or _is_wide(char):
            if word:
                pieces.append(word)
                word = ""
            pieces.append(" " if char.isspace() else char)
        else:
            word += char
            if char in "-/":
                pieces.append(word)
                word = ""
    if word:
        pieces.append(word)
    return pieces


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking; a piece wider than the line is cut by characters."""

    def fits(line: str) -> bool:
        return pdfmetrics.stringWidth(line.rstrip(), font, size) <= width

    lines, line = [], ""
    for piece in _pieces(text):
        if fits(line + piece):
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = piece.lstrip()
        while line and not fits(line):
            cut = len(line) - 1
            while cut > 1 and not fits(line[:cut]):
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text, font, width, sizes, max_lines, force=False, step=0.5):
    """Return (size, lines) for text in at most max_lines, as large as sizes allow.

    One line is preferred while it is at least 80% of the largest size. With force, the smallest
    size is used anyway and the last line ends in an ellipsis; without, None says it won't fit.
    """
    largest, smallest = sizes
    for allowed, floor in ((1, max(smallest, largest * 0.8)), (max_lines, smallest)):
        size = largest
        while size >= floor:
            lines = _wrap(text, font, size, width)
            if len(lines) <= allowed:
                return size, lines
            size -= step
    if not force:
        return None
    lines = _wrap(text, font, smallest, width)
    kept = lines[:max_lines]
    last = kept[-1]
    while last and pdfmetrics.stringWidth(last + "…", font, smallest) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return smallest, kept
