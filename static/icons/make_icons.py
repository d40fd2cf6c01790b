"""Draw the app icons (a bold check mark in a scan frame) with Pillow.

Run from the repository root after changing the design; the PNGs are committed:

    .venv/bin/python static/icons/make_icons.py
"""

from pathlib import Path

from PIL import Image
from PIL import ImageDraw

HERE = Path(__file__).resolve().parent
#: Same navy as the manifest's background_color/theme_color, so the splash screen matches.
NAVY = (15, 23, 42)
#: Safety yellow: readable in sunlight and at night, like the app's accent.
YELLOW = (250, 204, 21)
WHITE = (255, 255, 255)
#: Draw big and downscale: Pillow draws without anti-aliasing.
SUPERSAMPLE = 4


def _mark(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """Draw the scan-frame corners and the check mark inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    stroke = side * 0.11
    arm = side * 0.30
    for cx, cy, dx, dy in ((x0, y0, 1, 1), (x1, y0, -1, 1), (x0, y1, 1, -1), (x1, y1, -1, -1)):
        # Each corner is an L: one horizontal and one vertical bar, flush with the box edge.
        xs = sorted((cx, cx + dx * arm))
        ys = sorted((cy, cy + dy * stroke))
        draw.rectangle((xs[0], ys[0], xs[1], ys[1]), fill=YELLOW)
        xs = sorted((cx, cx + dx * stroke))
        ys = sorted((cy, cy + dy * arm))
        draw.rectangle((xs[0], ys[0], xs[1], ys[1]), fill=YELLOW)
    check = [
        (x0 + side * 0.24, y0 + side * 0.52),
        (x0 + side * 0.43, y0 + side * 0.70),
        (x0 + side * 0.77, y0 + side * 0.32),
    ]
    width = round(side * 0.13)
    draw.line(check, fill=WHITE, width=width, joint="curve")
    r = width / 2
    for x, y in (check[0], check[-1]):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)


def make_icon(size: int, *, maskable: bool = False, rounded: bool = True) -> Image.Image:
    """Return one icon; maskable icons fill the square and keep the mark in the safe zone."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable or not rounded:
        draw.rectangle((0, 0, big, big), fill=NAVY)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=NAVY)
    # Maskable icons may be cropped to a circle of 80% diameter: at 22% the corners stay inside.
    inset = big * (0.22 if maskable else 0.17)
    _mark(draw, (inset, inset, big - inset, big - inset))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    make_icon(192).save(HERE / "icon-192.png", optimize=True)
    make_icon(512).save(HERE / "icon-512.png", optimize=True)
    make_icon(512, maskable=True).save(HERE / "maskable-512.png", optimize=True)
    # iOS draws its own rounded corners and shows transparency as black: fill the square.
    make_icon(180, rounded=False).convert("RGB").save(HERE / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
