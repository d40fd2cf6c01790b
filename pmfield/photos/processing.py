"""Turn uploaded bytes into a clean JPEG: a real picture, upright, small, without metadata.

Phones downscale before uploading; the server still decodes everything itself and re-encodes,
so what is stored never carries the uploader's GPS position, camera serial or a hidden payload.
"""

import io
import logging
from dataclasses import dataclass

import pi_heif
from flask_babel import gettext as _
from PIL import Image
from PIL import ImageCms
from PIL import ImageOps
from PIL import UnidentifiedImageError

from pmfield.errors import DomainError

# HEIC/HEIF from iPhones; the bundled libheif decodes only (it has no HEVC encoder).
pi_heif.register_heif_opener()

log = logging.getLogger(__name__)

#: Pillow plugins tried on an upload; nothing else is even parsed (no GIF, TIFF, PDF, SVG...).
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
#: What those plugins may report (MPO: the multi-picture JPEG many Android cameras write).
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "HEIF"})
DEFAULT_MAX_SIDE = 1600
DEFAULT_MAX_PIXELS = 50_000_000
JPEG_QUALITY = 82
CONTENT_TYPE = "image/jpeg"
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded photo, ready to store."""

    data: bytes
    width: int
    height: int
    content_type: str = CONTENT_TYPE


def _not_a_photo() -> DomainError:
    return DomainError(
        _("This file is not a photo. Use a JPEG, PNG, WebP or HEIC picture."), "photo"
    )


def _damaged() -> DomainError:
    return DomainError(_("The photo is damaged or incomplete. Take it again."), "photo")


def _too_many_pixels(max_pixels: int) -> DomainError:
    return DomainError(
        _(
            "The picture is too big to process (at most %(mp)s megapixels).",
            mp=max_pixels // 1_000_000,
        ),
        "photo",
    )


def process_image(
    data: bytes, *, max_side: int = DEFAULT_MAX_SIDE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ProcessedImage:
    """Verify, orient, downscale and re-encode an uploaded picture as a metadata-free JPEG.

    :raises DomainError: not a picture of an accepted format, damaged or truncated, or more
        than `max_pixels` pixels (a decompression bomb).
    """
    if Image.MAX_IMAGE_PIXELS:
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    try:
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as probe:
            _check_header(probe, max_pixels)
            probe.verify()
        # verify() leaves the image unusable: decode a fresh one.
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as image:
            _check_header(image, max_pixels)
            # Shrinking first lets the JPEG decoder skip work (draft mode); the bounding box is
            # square, so rotating afterwards gives the same size.
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            rgb = _to_srgb(_upright(image))
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels(max_pixels) from error
    except UnidentifiedImageError as error:
        raise _not_a_photo() from error
    except Exception as error:  # Pillow reports corrupt input with many exception types
        log.info("photo refused as damaged: %r", error)
        raise _damaged() from error
    out = io.BytesIO()
    # No exif= and no icc_profile=: the JPEG carries pixels only.
    rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ProcessedImage(out.getvalue(), rgb.width, rgb.height)


def _check_header(image: Image.Image, max_pixels: int) -> None:
    if image.format not in ACCEPTED_FORMATS:
        raise _not_a_photo()
    width, height = image.size
    if width < 1 or height < 1:
        raise _damaged()
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)


def _upright(image: Image.Image) -> Image.Image:
    """Return a loaded copy turned the way the camera was held (EXIF orientation)."""
    image.load()
    try:
        return ImageOps.exif_transpose(image)
    except Exception as error:  # a broken EXIF block must not cost the photo
        log.info("photo EXIF orientation ignored: %r", error)
        return image.copy()


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return an RGB image in sRGB, transparency flattened onto white, with no metadata."""
    profile = image.info.get("icc_profile")
    rgb = None
    if profile and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            rgb = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            rgb = None  # an unusable profile: keep the pixel values as they are
    if rgb is None:
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, "white")
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode.startswith("I"):
            # 16/32-bit greyscale (rare PNGs): scale to 8 bits instead of clipping to white.
            rgb = image.convert("I").point(lambda value: value / 256).convert("L").convert("RGB")
        else:
            rgb = image.convert("RGB")
    rgb.info.clear()
    return rgb
