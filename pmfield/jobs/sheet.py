"""The engineering service order (工程服务单) of one job, as a printable sheet and a PDF.

`build_sheet` gathers what the paper form shows; the HTML page and `render_pdf` draw the same
structure, so the two never disagree. The form's own headings are printed in both languages
(Chinese first, English small), as on the company's bilingual paper: they read the same
whoever prints the sheet and are not translated. The values are in the reader's language.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable
from reportlab.platypus import Image
from reportlab.platypus import KeepTogether
from reportlab.platypus import Paragraph
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from pmfield.i18n import localized
from pmfield.jobs.models import Category
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobSignature
from pmfield.jobs.models import JobStatus
from pmfield.jobs.work import photos_of_job
from pmfield.photos import services as photos
from pmfield.places.services import site_time
from pmfield.timeutil import utcnow

TIME_FORMAT = "%Y-%m-%d %H:%M"
LATIN_FONT = "Helvetica"
#: reportlab's built-in CID font, as on the label sheets: nothing to ship or embed.
CJK_FONT = "STSong-Light"
#: Longest side, in pixels, of a photo put into the PDF: 300 dpi at the printed width, and a
#: PDF of a few hundred KB instead of the phone's full-size JPEGs.
PDF_PHOTO_MAX_SIDE = 720
PDF_PHOTO_QUALITY = 80
PHOTOS_PER_ROW = 3


# --------------------------------------------------------------------------- the content


@dataclass(frozen=True)
class Heading:
    """A printed heading of the form, in both languages."""

    zh: str
    en: str


H = {
    "title": Heading("工程服务单", "Engineering service order"),
    "number": Heading("单号", "Order no."),
    "site": Heading("项目", "Site"),
    "status": Heading("状态", "Status"),
    "request": Heading("报修信息", "Request"),
    "received_at": Heading("报修时间", "Received"),
    "requester_name": Heading("报修人", "Requester"),
    "requester_phone": Heading("联系电话", "Phone"),
    "channel": Heading("报修方式", "Channel"),
    "requested_by": Heading("要求完成", "Wanted by"),
    "location": Heading("维修地点", "Location"),
    "description": Heading("报修内容", "Description"),
    "out_of_scope": Heading("超出服务范围", "Out of scope"),
    "dispatch": Heading("派工", "Dispatch"),
    "discipline": Heading("专业", "Discipline"),
    "priority": Heading("紧急程度", "Priority"),
    "technicians": Heading("维修人员", "Technicians"),
    "assigned_by": Heading("派工人", "Dispatched by"),
    "respond_by": Heading("响应时限", "Respond by"),
    "assigned_at": Heading("派工时间", "Dispatched"),
    "accepted_at": Heading("接单时间", "Accepted"),
    "departed_at": Heading("出发时间", "Departed"),
    "arrived_at": Heading("到场时间", "Arrived"),
    "closed_at": Heading("完工时间", "Completed"),
    "work": Heading("维修情况", "Work done"),
    "hold_reason": Heading("暂停原因", "On hold because"),
    "materials": Heading("使用材料", "Materials used"),
    "material_code": Heading("编号", "Code"),
    "material_name": Heading("名称", "Material"),
    "quantity": Heading("数量", "Quantity"),
    "unit": Heading("单位", "Unit"),
    "category": Heading("服务类别", "Category"),
    "price": Heading("收费金额", "Price"),
    "price_accepted_at": Heading("客户确认价格", "Price accepted"),
    "customer_opinion": Heading("客户意见", "Customer's opinion"),
    "signature": Heading("客户签名", "Customer's signature"),
    "signer_name": Heading("签名人", "Signed by"),
    "signed_at": Heading("签名时间", "Signed"),
    "no_signature": Heading("未签名原因", "No signature because"),
    "photos": Heading("现场照片", "Photos"),
    "photos_intake": Heading("报修照片", "At intake"),
    "photos_before": Heading("维修前", "Before"),
    "photos_after": Heading("维修后", "After"),
    "callbacks": Heading("回访记录", "Callback record"),
    "callback_kind": Heading("类型", "Kind"),
    "callback_method": Heading("回访方式", "Method"),
    "satisfaction": Heading("满意度", "Satisfaction"),
    "comments": Heading("意见", "Comments"),
    "done_by": Heading("回访人", "By"),
    "done_at": Heading("回访时间", "When"),
    "history": Heading("处理记录", "History"),
    "at": Heading("时间", "When"),
    "actor": Heading("人员", "By"),
    "action": Heading("操作", "Step"),
    "note": Heading("备注", "Note"),
    "printed_at": Heading("打印时间", "Printed"),
}
#: The category tick boxes, in the paper form's order.
CATEGORY_HEADINGS = {
    Category.PUBLIC: Heading("公共", "Public"),
    Category.PAID: Heading("有偿", "Paid"),
    Category.FREE: Heading("无偿", "Free"),
    Category.OTHER: Heading("其他", "Other"),
}
#: What each JobEvent action means, for the history rows.
ACTION_LABELS = {
    "created": _l("Request taken in"),
    "assign": _l("Technicians assigned"),
    "accept": _l("Accepted"),
    "depart": _l("On the way"),
    "arrive": _l("Arrived on site"),
    "hold": _l("Put on hold"),
    "resume": _l("Resumed"),
    "note": _l("Work note"),
    "material": _l("Materials changed"),
    "photo_before": _l("Photo before the work"),
    "photo_after": _l("Photo after the work"),
    "category": _l("Category ticked"),
    "price_accepted": _l("Price accepted by the customer"),
    "signature": _l("Customer signed"),
    "close": _l("Closed"),
    "cancel": _l("Cancelled"),
    "rework": _l("Sent back for rework"),
}


@dataclass(frozen=True)
class Field:
    """One box of the form: its heading and the printed value ("" when there is none)."""

    key: str
    heading: Heading
    value: str
    #: Takes the whole width of the form (long free text).
    wide: bool = False


@dataclass(frozen=True)
class MaterialLine:
    code: str
    name: str
    quantity: Decimal
    unit: str

    @property
    def printed_quantity(self) -> str:
        return _quantity(self.quantity)


@dataclass(frozen=True)
class CategoryBox:
    category: Category
    heading: Heading
    ticked: bool


@dataclass(frozen=True)
class PhotoGroup:
    key: str
    heading: Heading
    photos: list


@dataclass(frozen=True)
class CallbackLine:
    kind: str
    method: str
    satisfaction: str
    comments: str
    done_by: str
    done_at: str
    #: True once the customer was reached and the answer recorded.
    done: bool


@dataclass(frozen=True)
class HistoryLine:
    at: str
    actor: str
    action: str
    status: str
    note: str


@dataclass
class JobSheet:
    """Everything the engineering service order of a job shows."""

    job: Job
    number: str
    site_name: str
    status: str
    request: list[Field]
    dispatch: list[Field]
    work_notes: str
    hold_reason: str
    materials: list[MaterialLine]
    categories: list[CategoryBox]
    price: str
    price_accepted_at: str
    customer_opinion: str
    signature: JobSignature | None
    signer_name: str
    signed_at: str
    no_signature_reason: str
    photo_groups: list[PhotoGroup]
    callbacks: list[CallbackLine]
    history: list[HistoryLine]
    #: The form's printed headings, for the HTML page.
    headings = H

    def get_field(self, key: str) -> Field | None:
        """The box named `key` of the request or dispatch part, if the sheet has it."""
        return next((f for f in self.request + self.dispatch if f.key == key), None)

    @property
    def has_photos(self) -> bool:
        return any(group.photos for group in self.photo_groups)


def _when(site, moment: datetime | None) -> str:
    """A moment as the site's clock showed it: 2026-03-01 14:05."""
    local = site_time(site, moment)
    return local.strftime(TIME_FORMAT) if local else ""


def _quantity(value: Decimal) -> str:
    """2.00 → 2, 1.50 → 1.5: as a technician writes it on paper."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_price(price: Decimal | None) -> str:
    return f"¥{price:,.2f}" if price is not None else ""


def _location(job: Job) -> str:
    parts = []
    if job.point is not None:
        parts.append(f"{job.point.code} · {job.point.name}")
        path = job.point.location.path if job.point.location else ""
        if path:
            parts.append(path)
    if job.location_text:
        parts.append(job.location_text)
    return "\n".join(parts)


def _technicians(job: Job) -> str:
    names = []
    for assignment in job.assignments:
        name = assignment.user.display_name
        names.append(_("%(name)s (lead)", name=name) if assignment.is_lead else name)
    return ", ".join(names)


def _request_fields(job: Job) -> list[Field]:
    site = job.site
    fields = [
        Field("number", H["number"], job.number),
        Field("received_at", H["received_at"], _when(site, job.created_at)),
        Field("requester_name", H["requester_name"], job.requester_name),
        Field("requester_phone", H["requester_phone"], job.requester_phone),
        Field("channel", H["channel"], job.channel_enum.label),
        Field("requested_by", H["requested_by"], _when(site, job.requested_by)),
        Field("location", H["location"], _location(job), wide=True),
        Field("description", H["description"], job.description, wide=True),
    ]
    if job.out_of_scope:
        fields.append(Field("out_of_scope", H["out_of_scope"], job.out_of_scope_reason,
                            wide=True))
    return fields


def _dispatch_fields(job: Job) -> list[Field]:
    site = job.site
    discipline = job.discipline_enum
    return [
        Field("discipline", H["discipline"], discipline.label if discipline else ""),
        Field("priority", H["priority"], job.priority_enum.label),
        Field("technicians", H["technicians"], _technicians(job), wide=True),
        Field("assigned_by", H["assigned_by"],
              job.assigned_by.display_name if job.assigned_by else ""),
        Field("respond_by", H["respond_by"], _when(site, job.respond_by)),
        Field("assigned_at", H["assigned_at"], _when(site, job.assigned_at)),
        Field("accepted_at", H["accepted_at"], _when(site, job.accepted_at)),
        Field("departed_at", H["departed_at"], _when(site, job.departed_at)),
        Field("arrived_at", H["arrived_at"], _when(site, job.arrived_at)),
        Field("closed_at", H["closed_at"], _when(site, job.closed_at)),
    ]


def _callback_line(job: Job, callback) -> CallbackLine:
    done = callback.done_at is not None
    method, satisfaction = callback.method_enum, callback.satisfaction_enum
    return CallbackLine(
        kind=callback.kind_enum.label,
        method=method.label if method else "",
        satisfaction=satisfaction.label if satisfaction else "",
        comments=callback.comments or "",
        done_by=callback.done_by.display_name if callback.done_by else "",
        done_at=_when(job.site, callback.done_at) if done else _(
            "Due by %(when)s", when=_when(job.site, callback.due_at)),
        done=done,
    )


def _history_line(job: Job, event) -> HistoryLine:
    action = ACTION_LABELS.get(event.action)
    status = ""
    if event.to_status:
        try:
            status = JobStatus(event.to_status).label
        except ValueError:
            status = event.to_status
    return HistoryLine(
        at=_when(job.site, event.at),
        actor=event.actor.display_name if event.actor else "",
        action=str(action) if action else event.action,
        status=status,
        note=event.note or "",
    )


def build_sheet(job: Job) -> JobSheet:
    """Gather what the job's service order shows, formatted for print (times in site time)."""
    site = job.site
    pictures = photos_of_job(job)
    signature = job.signature
    return JobSheet(
        job=job,
        number=job.number,
        site_name=site.name,
        status=job.status_enum.label,
        request=_request_fields(job),
        dispatch=_dispatch_fields(job),
        work_notes=job.work_notes or "",
        hold_reason=job.hold_reason if job.status_enum == JobStatus.ON_HOLD else "",
        materials=[
            MaterialLine(
                code=used.material.code,
                name=localized(used.material.name_zh, used.material.name_en),
                quantity=used.quantity,
                unit=localized(used.material.unit_zh, used.material.unit_en),
            )
            for used in job.materials
        ],
        categories=[
            CategoryBox(category, heading, job.category == category.value)
            for category, heading in CATEGORY_HEADINGS.items()
        ],
        price=format_price(job.price),
        price_accepted_at=_when(site, job.price_accepted_at),
        customer_opinion=job.customer_opinion or "",
        signature=signature,
        signer_name=signature.signer_name if signature else "",
        signed_at=_when(site, signature.signed_at) if signature else "",
        no_signature_reason="" if signature else (job.no_signature_reason or ""),
        photo_groups=[
            PhotoGroup(key, H[f"photos_{key}"], pictures[key])
            for key in ("intake", "before", "after")
        ],
        callbacks=[_callback_line(job, callback) for callback in job.callbacks],
        history=[_history_line(job, event) for event in job.events],
    )


def filename(job: Job) -> str:
    """The PDF's download name: JOB-2026-000123.pdf."""
    return f"{job.number}.pdf"


# --------------------------------------------------------------------------- the PDF

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 26 * mm
GRID_COLOUR = colors.Color(0.6, 0.6, 0.6)
BAND_COLOUR = colors.Color(0.9, 0.91, 0.93)
MUTED = "#555555"

_BASE = ParagraphStyle("sheet", fontName=LATIN_FONT, fontSize=9, leading=11.5)
_CJK = ParagraphStyle("sheet-cjk", parent=_BASE, fontName=CJK_FONT, wordWrap="CJK")
_SMALL = ParagraphStyle("sheet-small", parent=_BASE, fontSize=8, leading=10)
_SMALL_CJK = ParagraphStyle("sheet-small-cjk", parent=_SMALL, fontName=CJK_FONT,
                            wordWrap="CJK")
_LABEL = ParagraphStyle("sheet-label", parent=_BASE, fontName=CJK_FONT, fontSize=8.5,
                        leading=10)
_TITLE = ParagraphStyle("sheet-title", parent=_BASE, fontName=CJK_FONT, fontSize=20,
                        leading=24, alignment=1)
_SUBTITLE = ParagraphStyle("sheet-subtitle", parent=_BASE, fontSize=9, leading=11,
                           alignment=1, textColor=colors.HexColor(MUTED))


def _register_fonts() -> None:
    """Register the CJK font once per process."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _needs_cjk(text: str) -> bool:
    """True when Helvetica (WinAnsi) cannot draw the text."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def _markup(text: str) -> str:
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br/>")


def _para(text: str, *, small: bool = False) -> Paragraph:
    """Free text in the font that can draw it; line breaks kept."""
    text = text or "—"
    if _needs_cjk(text):
        style = _SMALL_CJK if small else _CJK
    else:
        style = _SMALL if small else _BASE
    return Paragraph(_markup(text), style)


def _heading(heading: Heading, size: float = 8.5) -> Paragraph:
    """A bilingual label: Chinese, and the English small underneath."""
    return Paragraph(
        f'{escape(heading.zh)}<br/><font face="{LATIN_FONT}" size="{size * 0.75:.1f}" '
        f'color="{MUTED}">{escape(heading.en)}</font>',
        ParagraphStyle("h", parent=_LABEL, fontSize=size, leading=size * 1.2),
    )


def _band(heading: Heading) -> Table:
    """A section title across the form, Chinese first, English beside it."""
    title = Paragraph(
        f'{escape(heading.zh)} <font face="{LATIN_FONT}" size="8" color="{MUTED}">'
        f"{escape(heading.en)}</font>",
        ParagraphStyle("band", parent=_LABEL, fontSize=11, leading=14),
    )
    band = Table([[title]], colWidths=[CONTENT_WIDTH])
    band.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), BAND_COLOUR),
        ("BOX", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return band


_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]


def _field_grid(fields: list[Field]) -> Table:
    """Label/value boxes two to a row; wide boxes take a whole row."""
    value_width = (CONTENT_WIDTH - 2 * LABEL_WIDTH) / 2
    rows, style, pending = [], list(_GRID), []

    def flush():
        if pending:
            cells = []
            for item in pending:
                cells += [_heading(item.heading), _para(item.value)]
            rows.append(cells + [""] * (4 - len(cells)))
            pending.clear()

    for item in fields:
        if item.wide:
            flush()
            rows.append([_heading(item.heading), _para(item.value), "", ""])
            style.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
        else:
            pending.append(item)
            if len(pending) == 2:
                flush()
    flush()
    for index in range(len(rows)):
        for column in (0, 2):
            style.append(("BACKGROUND", (column, index), (column, index), colors.whitesmoke))
    table = Table(rows, colWidths=[LABEL_WIDTH, value_width, LABEL_WIDTH, value_width],
                  splitInRow=1)
    table.setStyle(TableStyle(style))
    return table


def _list_table(headings: list[Heading], rows: list[list[str]], widths: list[float]) -> Table:
    """A bordered table with a bilingual header row that repeats on the next page."""
    data = [[_heading(h, 7.5) for h in headings]]
    data += [[_para(value, small=True) for value in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle(_GRID + [("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    return table


class TickBoxes(Flowable):
    """The four category boxes of the paper form, the chosen one ticked."""

    BOX = 4.2 * mm

    def __init__(self, boxes: list[CategoryBox], width: float = CONTENT_WIDTH):
        super().__init__()
        self.boxes = boxes
        self.width = width
        self.height = 9 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        step = self.width / len(self.boxes)
        y = (self.height - self.BOX) / 2
        canvas.saveState()
        for index, box in enumerate(self.boxes):
            x = 2 * mm + index * step
            canvas.setLineWidth(0.8)
            canvas.rect(x, y, self.BOX, self.BOX, stroke=1, fill=0)
            if box.ticked:
                self._tick(x, y)
            canvas.setFont(CJK_FONT, 11)
            label_x = x + self.BOX + 2 * mm
            canvas.drawString(label_x, y + 0.6 * mm, box.heading.zh)
            canvas.setFont(LATIN_FONT, 7.5)
            canvas.setFillColor(colors.HexColor(MUTED))
            canvas.drawString(label_x + pdfmetrics.stringWidth(box.heading.zh, CJK_FONT, 11)
                              + 1.5 * mm, y + 0.8 * mm, box.heading.en)
            canvas.setFillColor(colors.black)
        canvas.restoreState()

    def _tick(self, x: float, y: float) -> None:
        """Draw a tick in the box at (x, y): a path looks the same in every viewer, where a
        dingbat or CJK glyph turns into a square or nothing when the font is missing."""
        canvas = self.canv
        canvas.saveState()
        size = self.BOX
        path = canvas.beginPath()
        path.moveTo(x + 0.18 * size, y + 0.52 * size)
        path.lineTo(x + 0.42 * size, y + 0.22 * size)
        path.lineTo(x + 0.86 * size, y + 0.84 * size)
        canvas.setLineWidth(1.6)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()


def _pdf_photo(data: bytes | None, max_width: float, max_height: float):
    """The photo scaled down for print, or None when its file cannot be read."""
    if not data:
        return None
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
            if max(width, height) > PDF_PHOTO_MAX_SIDE:
                image.draft("RGB", (PDF_PHOTO_MAX_SIDE, PDF_PHOTO_MAX_SIDE))
                small = image.convert("RGB")
                small.thumbnail((PDF_PHOTO_MAX_SIDE, PDF_PHOTO_MAX_SIDE),
                                PILImage.Resampling.LANCZOS)
                out = io.BytesIO()
                small.save(out, "JPEG", quality=PDF_PHOTO_QUALITY, optimize=True)
                data = out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError):
        return None
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _photo_grid(group: PhotoGroup, site) -> list:
    """The group's photos, PHOTOS_PER_ROW to a row, each with its time under it."""
    column = CONTENT_WIDTH / PHOTOS_PER_ROW
    cells = []
    for number, photo in enumerate(group.photos, start=1):
        picture = _pdf_photo(photos.read_photo(photo), column - 4 * mm, 45 * mm)
        caption = _para(f"{group.heading.zh} {group.heading.en} {number} · "
                        f"{_when(site, photo.created_at)}", small=True)
        cells.append([picture or _para(_("The photo file is missing.")), caption])
    rows = [cells[i:i + PHOTOS_PER_ROW] for i in range(0, len(cells), PHOTOS_PER_ROW)]
    rows[-1] += [""] * (PHOTOS_PER_ROW - len(rows[-1]))
    table = Table(rows, colWidths=[column] * PHOTOS_PER_ROW)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return [_heading(group.heading), table]


def _signature_block(sheet: JobSheet) -> list:
    if sheet.signature is None:
        reason = sheet.no_signature_reason or _("Not signed yet.")
        return [_field_grid([Field("no_signature", H["no_signature"], reason, wide=True)])]
    picture = Image(io.BytesIO(bytes(sheet.signature.png)))
    scale = min(70 * mm / picture.imageWidth, 28 * mm / picture.imageHeight)
    picture.drawWidth = picture.imageWidth * scale
    picture.drawHeight = picture.imageHeight * scale
    picture.hAlign = "LEFT"
    return [picture, _field_grid([Field("signer_name", H["signer_name"], sheet.signer_name),
                                  Field("signed_at", H["signed_at"], sheet.signed_at)])]


def _story(sheet: JobSheet) -> list:
    site = sheet.job.site
    gap = Spacer(1, 3 * mm)
    story = [
        Paragraph(escape(H["title"].zh), _TITLE),
        Paragraph(escape(H["title"].en), _SUBTITLE),
        Spacer(1, 2 * mm),
        _field_grid([Field("site", H["site"], sheet.site_name),
                     Field("status", H["status"], sheet.status)]),
        gap, _band(H["request"]), _field_grid(sheet.request),
        gap, _band(H["dispatch"]), _field_grid(sheet.dispatch),
        gap, _band(H["work"]), _para(sheet.work_notes),
    ]
    if sheet.hold_reason:
        story += [_field_grid([Field("hold_reason", H["hold_reason"], sheet.hold_reason,
                                     wide=True)])]
    story += [gap, _band(H["materials"])]
    if sheet.materials:
        story.append(_list_table(
            [H["material_code"], H["material_name"], H["quantity"], H["unit"]],
            [[m.code, m.name, m.printed_quantity, m.unit] for m in sheet.materials],
            [30 * mm, CONTENT_WIDTH - 80 * mm, 25 * mm, 25 * mm],
        ))
    else:
        story.append(_para(_("No materials used.")))
    story += [
        gap,
        KeepTogether([
            _band(H["category"]), TickBoxes(sheet.categories),
            _field_grid([Field("price", H["price"], sheet.price),
                         Field("price_accepted_at", H["price_accepted_at"],
                               sheet.price_accepted_at)]),
        ]),
        gap,
        KeepTogether([_band(H["customer_opinion"]), _para(sheet.customer_opinion)]),
        gap,
        KeepTogether([_band(H["signature"]), *_signature_block(sheet)]),
    ]
    if sheet.has_photos:
        story += [gap, _band(H["photos"])]
        for group in sheet.photo_groups:
            if group.photos:
                story += _photo_grid(group, site)
    story += [gap, _band(H["callbacks"])]
    if sheet.callbacks:
        story.append(_list_table(
            [H["callback_kind"], H["callback_method"], H["satisfaction"], H["comments"],
             H["done_by"], H["done_at"]],
            [[c.kind, c.method, c.satisfaction, c.comments, c.done_by, c.done_at]
             for c in sheet.callbacks],
            [26 * mm, 18 * mm, 24 * mm, CONTENT_WIDTH - 124 * mm, 26 * mm, 30 * mm],
        ))
    else:
        story.append(_para(_("No callback yet.")))
    story += [gap, _band(H["history"]), _list_table(
        [H["at"], H["actor"], H["action"], H["status"], H["note"]],
        [[e.at, e.actor, e.action, e.status, e.note] for e in sheet.history],
        [28 * mm, 30 * mm, 38 * mm, 24 * mm, CONTENT_WIDTH - 120 * mm],
    )]
    return story


def _numbered_canvas(sheet: JobSheet, printed_at: str):
    """A canvas class that holds its pages back to write "page x/y" once y is known."""
    footer_left = sheet.number
    printed = f"{H['printed_at'].zh} {H['printed_at'].en} {printed_at}"

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._footer(number, total)
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int):
            self.saveState()
            self.setStrokeColor(GRID_COLOUR)
            self.setLineWidth(0.5)
            self.line(MARGIN, 11 * mm, PAGE_WIDTH - MARGIN, 11 * mm)
            self.setFont(LATIN_FONT, 8)
            self.drawString(MARGIN, 7 * mm, footer_left)
            self.setFont(CJK_FONT, 7.5)
            self.drawCentredString(PAGE_WIDTH / 2, 7 * mm, printed)
            self.drawRightString(PAGE_WIDTH - MARGIN, 7 * mm,
                                 f"第 {number}/{total} 页  Page {number}/{total}")
            if number > 1:
                self.drawString(MARGIN, PAGE_HEIGHT - 9 * mm,
                                f"{H['title'].zh} {H['title'].en} · {sheet.number}")
            self.restoreState()

    return NumberedCanvas


def render_pdf(job: Job, *, now: datetime | None = None) -> bytes:
    """Draw the job's service order on A4 (more pages as needed) and return the PDF."""
    _register_fonts()
    sheet = build_sheet(job)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=12 * mm,
        bottomMargin=16 * mm, title=f"{H['title'].zh} {sheet.number}", author="pmfield",
        creator="pmfield", invariant=1, pageCompression=1,
    )
    printed_at = _when(job.site, now or utcnow())
    document.build(_story(sheet), canvasmaker=_numbered_canvas(sheet, printed_at))
    return buffer.getvalue()
