"""process_image: only real pictures, turned upright, shrunk, re-encoded without metadata."""

import io

import pytest
from PIL import Image

from pmfield.errors import DomainError
from pmfield.photos.processing import process_image
from tests.photos import images

NOT_A_PHOTO = "This file is not a photo. Use a JPEG, PNG, WebP or HEIC picture."
DAMAGED = "The photo is damaged or incomplete. Take it again."


def opened(processed) -> Image.Image:
    image = Image.open(io.BytesIO(processed.data))
    image.load()
    return image


def close_to(pixel, color, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


def test_a_phone_jpeg_is_turned_upright_and_loses_every_metadata():
    processed = process_image(images.phone_jpeg(400, 300, orientation=6))

    image = opened(processed)
    assert image.format == "JPEG"
    assert processed.content_type == "image/jpeg"
    # Orientation 6: the camera was turned; the stored picture is portrait.
    assert (processed.width, processed.height) == (300, 400) == image.size
    # The red left half of the sensor image is the top once upright.
    assert close_to(image.getpixel((150, 20)), images.RED)
    assert close_to(image.getpixel((150, 380)), images.BLUE)
    # No EXIF at all (no orientation, GPS, camera), no ICC profile, no XMP.
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp"} & set(image.info)
    assert b"Exif" not in processed.data
    assert b"PhoneMaker" not in processed.data


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (400, 300)), (3, (400, 300)), (8, (300, 400))]
)
def test_other_orientations(orientation, size):
    processed = process_image(images.phone_jpeg(400, 300, orientation=orientation))
    assert (processed.width, processed.height) == size


def test_long_side_is_brought_down_to_the_limit_keeping_the_shape():
    processed = process_image(images.jpeg(3200, 2000))
    assert (processed.width, processed.height) == (1600, 1000)

    processed = process_image(images.jpeg(300, 900), max_side=600)
    assert (processed.width, processed.height) == (200, 600)


def test_small_pictures_are_not_enlarged():
    processed = process_image(images.jpeg(120, 90))
    assert (processed.width, processed.height) == (120, 90)


def test_png_with_transparency_becomes_a_jpeg_on_white():
    processed = process_image(images.png_with_alpha(40, 30))

    image = opened(processed)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert close_to(image.getpixel((5, 15)), (255, 255, 255), 10)
    assert close_to(image.getpixel((35, 15)), images.BLUE)


@pytest.mark.parametrize("mode", ["P", "L", "LA", "CMYK"])
def test_other_colour_modes_become_rgb(mode):
    fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"
    data = images.encode(images.two_halves(40, 30).convert(mode), fmt)
    assert opened(process_image(data)).mode == "RGB"


def test_webp_is_accepted():
    processed = process_image(images.encode(images.two_halves(80, 60), "WEBP"))
    assert (processed.width, processed.height) == (80, 60)
    assert opened(processed).format == "JPEG"


def test_heic_from_an_iphone_is_accepted():
    processed = process_image(images.HEIC_64x48)

    image = opened(processed)
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert close_to(image.getpixel((8, 24)), images.RED)
    assert close_to(image.getpixel((56, 24)), images.BLUE)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Meeting at 9, bring the keys.\n", id="text-renamed-jpg"),
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n", id="pdf"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', id="svg"),
        pytest.param(images.encode(Image.new("P", (10, 10)), "GIF"), id="gif"),
        pytest.param(images.encode(Image.new("RGB", (10, 10)), "BMP"), id="bmp"),
        pytest.param(images.encode(Image.new("RGB", (10, 10)), "TIFF"), id="tiff"),
    ],
)
def test_anything_but_the_accepted_formats_is_refused(data):
    with pytest.raises(DomainError) as caught:
        process_image(data)
    assert caught.value.message == NOT_A_PHOTO
    assert caught.value.status == 422


def test_animated_gif_is_refused():
    frames = [Image.new("P", (10, 10), i) for i in range(3)]
    data = images.encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(DomainError, match="not a photo"):
        process_image(data)


def test_a_truncated_jpeg_is_refused():
    data = images.encode(images.two_halves(400, 300), "JPEG", quality=95)
    with pytest.raises(DomainError) as caught:
        process_image(data[: len(data) // 2])
    assert caught.value.message == DAMAGED


def test_a_png_with_a_broken_checksum_is_refused():
    data = bytearray(images.encode(images.two_halves(40, 30), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    with pytest.raises(DomainError, match="damaged"):
        process_image(bytes(data))


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(30_000, 30_000, id="past-pillow-bomb-limit"),
        pytest.param(10_000, 10_000, id="past-pillow-warning"),
        pytest.param(8_000, 7_000, id="past-our-limit"),
    ],
)
def test_decompression_bombs_are_refused_before_decoding(width, height):
    with pytest.raises(DomainError) as caught:
        process_image(images.png_claiming(width, height))
    assert caught.value.message == "The picture is too big to process (at most 50 megapixels)."


def test_the_pixel_limit_can_be_lowered():
    with pytest.raises(DomainError, match="too big"):
        process_image(images.jpeg(200, 100), max_pixels=10_000)
    assert process_image(images.jpeg(100, 100), max_pixels=10_000).width == 100


def test_a_broken_exif_block_does_not_cost_the_photo():
    data = bytearray(images.phone_jpeg(40, 30))
    start = data.index(b"Exif\x00\x00") + 6
    data[start : start + 8] = b"XX\x00\x2a\xff\xff\xff\xff"  # not a TIFF header
    processed = process_image(bytes(data))
    assert processed.width in (30, 40)
    assert dict(opened(processed).getexif()) == {}
