"""Pictures for the photo tests, made in memory with Pillow (and one real HEIC)."""

import base64
import io
import struct
import zlib

from PIL import Image
from PIL import ImageCms

RED = (220, 30, 30)
BLUE = (30, 30, 220)
ORIENTATION = 0x0112
GPS_IFD = 0x8825

#: A 64 x 48 HEIC (left half red, right half blue). Pillow cannot write HEIC here (pi-heif 1.4
#: ships a decoder only), so it was encoded once with the system libheif 1.15.1 (x265) via
#: ctypes: heif_context_get_encoder_for_format(HEVC), quality 60, heif_context_write_to_file.
HEIC_64x48 = base64.b64decode(
    "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAa1tZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAA"
    "AAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAEAAMAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHRAAEAAAAAAAAAjQACAAEA"
    "AAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAA"
    "AADYaXBycAAAALZpcGNvAAAAdmh2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAe"
    "ugJAIQABACpCAQEDcAAAAwCQAAADAAADAB6gIIEFlurkprm4EBAwIAAAAwAgAAADACEiAAEABkQBwXPAiQAAABRpc3BlAAAA"
    "AAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAQAAAADAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QA"
    "AAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAAJVtZGF0AAAAiSgBrwngOSMkv//5BH//+MRuQ/gUZcF//jBeff43IP/+6wit"
    "cNaUEUqiGXyM6T1lCZfV45ditsH6c+2pMp9S6+xr5pggTori3GbeBwRZzFnBufe/fIQtwRg7lVPHisWG1ijUyz83uz/+uqxZ"
    "ShnKGthKbN4ARNbOYrFQsePznOyuH0o9ALmN+Q4e"
)


def two_halves(width=400, height=300, mode="RGB") -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    image = Image.new(mode, (width, height), RED)
    image.paste(Image.new(mode, (width - width // 2, height), BLUE), (width // 2, 0))
    return image


def encode(image: Image.Image, fmt="JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg(width=400, height=300, color="teal") -> bytes:
    return encode(Image.new("RGB", (width, height), color))


def phone_jpeg(width=400, height=300, orientation=6) -> bytes:
    """A camera JPEG held upright: EXIF orientation, a GPS position, a camera and an ICC profile."""
    image = two_halves(width, height)
    exif = image.getexif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 0.5)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(image, "JPEG", exif=exif, icc_profile=srgb, quality=95)


def png_with_alpha(width=40, height=30) -> bytes:
    """Transparent left half, opaque blue right half."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (width // 2, height), BLUE + (255,)), (width // 2, 0))
    return encode(image, "PNG")


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size, with almost no pixel data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
