"""Render label sheets the way a printer and a phone would see them, and decode them with zxing-cpp.

zxing-cpp is an independent decoder: it shares no code with the qrcode package that encodes.
"""

import random
import re

import pypdfium2
import zxingcpp
from PIL import Image
from PIL import ImageChops
from PIL import ImageDraw
from PIL import ImageFilter

from pmfield.labels import services

MM_PER_INCH = 25.4


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Rasterise every page of a PDF in greyscale at dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document
        ]
    finally:
        document.close()


def cell_boxes(dpi: int):
    """Yield the pixel box of each label cell on a page, in reading order."""
    px = dpi / MM_PER_INCH
    for row in range(services.ROWS):
        for column in range(services.COLUMNS):
            left = services.MARGIN_LEFT + column * (services.CELL_WIDTH + services.COLUMN_GAP)
            top = services.MARGIN_TOP + row * services.CELL_HEIGHT
            yield (
                round(left * px),
                round(top * px),
                round((left + services.CELL_WIDTH) * px),
                round((top + services.CELL_HEIGHT) * px),
            )


def degrade(image: Image.Image, blur: float = 0.0, noise: int = 0, seed: int = 1) -> Image.Image:
    """Blur (out of focus) and add uniform noise of +/- noise levels (sensor grain), repeatably."""
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)  # noqa: S311 (repeatable test noise, not a secret)
        grain = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
        grain = grain.point(lambda v: 128 + (v - 128) * noise // 128)
        image = ImageChops.add(image, grain, 1.0, -128)
    return image


def decode(image: Image.Image) -> list[str]:
    """Return the text of every QR code zxing-cpp finds in the image."""
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


def decode_sheet(pdf: bytes, dpi: int, blur: float = 0.0, noise: int = 0) -> list[list[str]]:
    """Decode each non-blank cell of every page separately; return the texts found per cell."""
    found = []
    for page in render_pages(pdf, dpi):
        for box in cell_boxes(dpi):
            cell = page.crop(box)
            if cell.getextrema()[0] > 128:  # nothing dark: an empty cell
                continue
            found.append(decode(degrade(cell, blur, noise)))
    return found


_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\3z")


def svg_to_image(svg: str, scale: int = 4) -> Image.Image:
    """Draw an inline QR <svg> (square viewBox, one path of module runs) as a bitmap."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    (path,) = re.findall(r'<path[^>]* d="([^"]*)"', svg)
    assert _RUN.sub("", path) == "", "the path holds commands other than module runs"
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for match in _RUN.finditer(path):
        x, y, run = map(int, match.groups())
        draw.rectangle((x * scale, y * scale, (x + run) * scale - 1, (y + 1) * scale - 1), fill=0)
    return image
