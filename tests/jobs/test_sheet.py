"""The printable engineering service order (工程服务单): the page, the PDF, the signature, and
who may see them."""

import io
import re

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image
from PIL import ImageFilter
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import callbacks
from pmfield.jobs import sheet as job_sheets
from pmfield.jobs import work
from pmfield.jobs.models import CallbackMethod
from pmfield.jobs.models import Category
from pmfield.jobs.models import Material
from pmfield.jobs.models import Satisfaction
from pmfield.photos import services as photos
from pmfield.photos.storage import get_storage
from pmfield.photos.storage import photo_key
from pmfield.places.services import site_time
from tests import factories
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import photo_of
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import technician

ENDPOINTS = ("sheet", "sheet.pdf", "signature.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def tech(site):
    return technician(site, display_name="Wang Wei")


@pytest.fixture
def fuse(site):
    material = Material(site=site, code="FUSE-10", name_zh="保险丝", name_en="Fuse 10 A",
                        unit_zh="个", unit_en="pcs")
    db.session.add(material)
    db.session.commit()
    return material


@pytest.fixture
def closed_job(site, point, desk, tech, fuse, in_request):
    """A paid repair done and signed, with 2 before and 2 after photos, and its callback made."""
    job = new_job(site, point=point, requester_name="Ms Li", requester_phone="138 0000 1234",
                  description="Lift stuck between floors", channel="phone", reported_by=desk)
    on_site(job, tech)
    work.add_photo(tech, job, photo_of(tech, site), "before")
    work.add_photo(tech, job, photo_of(tech, site), "before")
    work.add_note(tech, job, "Door sensor dirty, cleaned and tested")
    ready_to_close(job, tech, category="paid", price="80")
    work.add_material(tech, job, fuse.id, "2")
    work.add_photo(tech, job, photo_of(tech, site), "after")
    work.close(tech, job, customer_opinion="Quick and tidy")
    callbacks.record(desk, job.callbacks[0], method=CallbackMethod.PHONE,
                     satisfaction=Satisfaction.SATISFIED, comments="Lift runs smoothly now")
    return job


@pytest.fixture
def unsigned_job(site, point, tech, in_request):
    """A free repair closed without a signature: nobody was there to sign."""
    job = new_job(site, point=point, requester_name="Mr Zhao")
    on_site(job, tech)
    work.add_photo(tech, job, photo_of(tech, site), "after")
    work.set_category(tech, job, "free")
    work.close(tech, job, no_signature_reason="Customer not at home")
    return job


def _pdf_text_and_images(pdf: bytes) -> tuple[list[str], int]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = [page.get_textpage().get_text_range() for page in document]
        images = sum(
            len(list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])))
            for page in document
        )
        width, height = document[0].get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    finally:
        document.close()
    return texts, images


def _local(job, moment) -> str:
    return site_time(job.site, moment).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- the content


def test_the_sheet_gathers_the_whole_order(closed_job, tech, desk):
    sheet = job_sheets.build_sheet(closed_job)
    values = {key: sheet.get_field(key).value for key in (
        "number", "requester_name", "requester_phone", "channel", "description", "technicians",
        "discipline", "priority", "assigned_at", "arrived_at", "closed_at", "location")}
    assert values["number"] == closed_job.number
    assert (values["requester_name"], values["requester_phone"]) == ("Ms Li", "138 0000 1234")
    assert (values["channel"], values["discipline"], values["priority"]) == (
        "Phone", "Elevator", "Urgent")
    assert values["technicians"] == "Wang Wei (lead)"
    assert values["closed_at"] == _local(closed_job, closed_job.closed_at)
    assert "A-EL-1 · Lift A" in values["location"]
    assert [(m.code, m.name, m.printed_quantity, m.unit) for m in sheet.materials] == [
        ("FUSE-10", "Fuse 10 A", "2", "pcs")]
    assert [box.category for box in sheet.categories if box.ticked] == [Category.PAID]
    assert [box.heading.zh for box in sheet.categories] == ["公共", "有偿", "无偿", "其他"]
    assert sheet.price == "¥80.00" and sheet.price_accepted_at
    assert sheet.customer_opinion == "Quick and tidy"
    assert sheet.signature is closed_job.signature and sheet.signer_name == "Ms Li"
    assert [len(group.photos) for group in sheet.photo_groups] == [0, 2, 2]
    (callback,) = sheet.callbacks
    assert (callback.method, callback.satisfaction, callback.comments, callback.done_by) == (
        "Phone", "Satisfied", "Lift runs smoothly now", desk.display_name)
    assert callback.done
    assert sheet.history[0].action == "Request taken in"
    assert sheet.history[-1].action == "Closed" and sheet.history[-1].actor == "Wang Wei"


def test_an_open_callback_shows_when_it_is_due(site, point, tech, in_request):
    job = new_job(site, point=point)
    on_site(job, tech)
    ready_to_close(job, tech)
    work.close(tech, job)
    (callback,) = job_sheets.build_sheet(job).callbacks
    assert not callback.done and callback.done_at.startswith("Due by ")


def test_tick_boxes_tick_the_chosen_category_only():
    """Rendered, the ticked box holds ink and the others are empty inside."""
    boxes = [job_sheets.CategoryBox(c, h, c == Category.FREE)
             for c, h in job_sheets.CATEGORY_HEADINGS.items()]
    flowable = job_sheets.TickBoxes(boxes, width=160 * mm)
    job_sheets._register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(170 * mm, 20 * mm))
    flowable.drawOn(canvas, 0, 0)
    canvas.save()
    document = pypdfium2.PdfDocument(buffer.getvalue())
    try:
        scale = 300 / 72
        image = document[0].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    px = scale * 72 / 25.4  # pixels per mm
    inside = []
    for index in range(4):
        left = 2 + index * 40 + 0.8  # a little inside the box outline (mm)
        bottom = (9 - flowable.BOX / mm) / 2 + 0.8
        top = bottom + flowable.BOX / mm - 1.6
        box = (round(left * px), round((20 - top) * px),
               round((left + flowable.BOX / mm - 1.6) * px), round((20 - bottom) * px))
        inside.append(sum(image.crop(box).histogram()[:128]))
    assert inside[2] > 50
    assert inside[0] == inside[1] == inside[3] == 0


# --------------------------------------------------------------------------- the page


def test_the_print_page_shows_every_field(client, login_as, closed_job, desk, templates):
    login_as(desk)
    response = client.get(f"/jobs/{closed_job.id}/sheet")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert templates[0] == "jobs/sheet.html"
    assert "no-store" in response.headers["Cache-Control"]
    for text in (
        "工程服务单", "Engineering service order", closed_job.number, "Ms Li", "138 0000 1234",
        "Lift stuck between floors", "A-EL-1 · Lift A", "Wang Wei (lead)", "Elevator", "Urgent",
        "Door sensor dirty, cleaned and tested", "FUSE-10", "Fuse 10 A", "pcs", "¥80.00",
        "Quick and tidy", "回访记录", "Lift runs smoothly now", "Satisfied", desk.display_name,
        _local(closed_job, closed_job.created_at), _local(closed_job, closed_job.closed_at),
        "公共", "有偿", "无偿", "其他",
    ):
        assert text in html, text
    ticked = re.findall(r'class="order-tick is-ticked" data-category="(\w+)"', html)
    assert ticked == ["paid"]
    assert html.count('class="order-tick"') == 3
    assert re.search(r'<td data-label="数量 Quantity" class="order-num">2</td>', html)
    assert f'src="/jobs/{closed_job.id}/signature.png"' in html
    for group in work.photos_of_job(closed_job).values():
        for photo in group:
            assert f'src="/photos/{photo.id}"' in html
    assert f'href="/jobs/{closed_job.id}/sheet.pdf"' in html


def test_the_print_page_has_no_inline_script(client, login_as, closed_job, desk):
    login_as(desk)
    html = client.get(f"/jobs/{closed_job.id}/sheet").get_data(as_text=True)
    assert "data-print" in html
    assert re.search(r'<script src="[^"]*/js/print\.js" defer></script>', html)
    assert re.search(r'<link rel="stylesheet" href="[^"]*/css/jobsheet\.css">', html)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert not re.search(r"\son[a-z]+=", html)
    assert "style=" not in html


def test_a_job_without_a_signature_shows_the_reason(client, login_as, unsigned_job, desk):
    login_as(desk)
    html = client.get(f"/jobs/{unsigned_job.id}/sheet").get_data(as_text=True)
    assert "Customer not at home" in html and "未签名原因" in html
    assert "signature.png" not in html
    assert re.findall(r'class="order-tick is-ticked" data-category="(\w+)"', html) == ["free"]
    assert client.get(f"/jobs/{unsigned_job.id}/signature.png").status_code == 404
    texts, _images = _pdf_text_and_images(
        client.get(f"/jobs/{unsigned_job.id}/sheet.pdf").data)
    assert "Customer not at home" in "".join(texts)


def test_a_new_request_prints_with_blanks(client, login_as, site, point, desk):
    job = new_job(site, point=point)
    login_as(desk)
    html = client.get(f"/jobs/{job.id}/sheet").get_data(as_text=True)
    assert "No callback yet." in html and "No materials used." in html
    assert "Not signed yet." in html
    assert "is-ticked" not in html
    pdf = client.get(f"/jobs/{job.id}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# --------------------------------------------------------------------------- the PDF


def test_the_pdf_download(client, login_as, closed_job, desk):
    login_as(desk)
    response = client.get(f"/jobs/{closed_job.id}/sheet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={closed_job.number}.pdf")
    assert "private" in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data.startswith(b"%PDF-")


def test_the_pdf_holds_the_order_its_photos_and_signature(closed_job, in_request):
    pdf = job_sheets.render_pdf(closed_job)
    texts, images = _pdf_text_and_images(pdf)
    text = "".join(texts)
    for printed in (
        closed_job.number, "工程服务单", "Engineering service order", "Ms Li", "138 0000 1234",
        "Lift stuck between floors", "Wang Wei (lead)", "FUSE-10", "Fuse 10 A", "¥80.00",
        "客户意见", "Quick and tidy", "回访记录", "Lift runs smoothly now", "有偿", "维修后",
    ):
        assert printed in text, printed
    assert images == 4 + 1  # two before, two after, the signature
    total = len(texts)
    for number, page in enumerate(texts, start=1):
        assert f"Page {number}/{total}" in page
        assert closed_job.number in page


def _camera_photo(user, site, seed: int):
    """A phone-sized photo (1600 x 1200) with detail a JPEG cannot squeeze away."""
    noise = Image.effect_noise((1600, 1200), 40 + seed).filter(ImageFilter.GaussianBlur(1))
    gradient = Image.linear_gradient("L").resize((1600, 1200))
    picture = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    return photos.save_photo(io.BytesIO(buffer.getvalue()), user=user, site=site)


def test_camera_photos_are_scaled_down_for_print(site, point, tech, in_request):
    job = new_job(site, point=point)
    on_site(job, tech)
    taken = [_camera_photo(tech, site, seed) for seed in range(4)]
    for photo, phase in zip(taken, ("before", "before", "after", "after"), strict=True):
        work.add_photo(tech, job, photo, phase)
    ready_to_close(job, tech)
    pdf = job_sheets.render_pdf(job)
    _texts, images = _pdf_text_and_images(pdf)
    assert images == 5 + 1  # ready_to_close adds an after photo of its own
    assert len(pdf) < sum(photo.size_bytes for photo in taken) / 2


def test_many_rows_continue_on_more_pages(site, point, tech, fuse, in_request):
    """Long notes, many materials and a long Chinese comment flow on; nothing is cut off."""
    job = new_job(site, point=point, requester_name="李女士", description="卫生间漏水" * 100)
    on_site(job, tech)
    for _ in range(4):
        work.add_note(tech, job, "更换阀门并测试，" * 400)
    for quantity in range(1, 41):
        work.add_material(tech, job, fuse.id, str(quantity))
    ready_to_close(job, tech)
    work.close(tech, job, customer_opinion="满意" * 200)
    callbacks.record(factories.make_user(Role.DESK, sites=[site]), job.callbacks[0],
                     method=CallbackMethod.VISIT, satisfaction=Satisfaction.BASICALLY,
                     comments="回访" * 1000)
    texts, images = _pdf_text_and_images(job_sheets.render_pdf(job))
    total = len(texts)
    assert total >= 3
    assert f"Page {total}/{total}" in texts[-1]
    text = "".join("".join(page.split()) for page in texts)
    assert "李女士" in text and "40pcs" in text
    assert images == 2  # the after photo and the signature


def test_photos_missing_from_storage_do_not_stop_the_pdf(closed_job, in_request):
    for group in work.photos_of_job(closed_job).values():
        for photo in group:
            get_storage().delete(photo_key(photo.sha256))
    texts, images = _pdf_text_and_images(job_sheets.render_pdf(closed_job))
    assert "".join(texts).count("The photo file is missing.") == 4
    assert images == 1  # the signature


# --------------------------------------------------------------------------- signature


def test_the_signature_image(client, login_as, closed_job, desk):
    login_as(desk)
    response = client.get(f"/jobs/{closed_job.id}/signature.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(PNG_MAGIC)
    assert response.data == closed_job.signature.png
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/jobs/{closed_job.id}/signature.png",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_jobs_are_404(client, login_as, desk):
    login_as(desk)
    for endpoint in ENDPOINTS:
        assert client.get(f"/jobs/999/{endpoint}").status_code == 404


# --------------------------------------------------------------------------- who sees it


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_who_sees_the_sheet(client, login_as, closed_job, site, other_site, tech, desk,
                            endpoint):
    url = f"/jobs/{closed_job.id}/{endpoint}"
    stranger = client.get(url)
    assert stranger.status_code == 302 and "/auth/login" in stranger.headers["Location"]
    seen = {
        "desk": (desk, 200),
        "assigned technician": (tech, 200),
        "manager": (factories.make_user(Role.MANAGER, sites=[site]), 200),
        "engineering supervisor": (
            factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]), 200),
        "technician not on the job": (technician(site), 404),
        "guard": (factories.make_user(Role.GUARD, sites=[site]), 404),
        "desk of another site": (factories.make_user(Role.DESK, sites=[other_site]), 404),
        "technician of another site": (technician(other_site), 404),
    }
    for who, (user, status) in seen.items():
        login_as(user)
        assert client.get(url).status_code == status, who


def test_the_reporter_sees_the_sheet_of_their_report(client, login_as, site, point):
    guard = factories.make_user(Role.GUARD, sites=[site])
    job = new_job(site, point=point, reported_by=guard, source="field")
    login_as(guard)
    assert client.get(f"/jobs/{job.id}/sheet").status_code == 200
