"""QR codes for labels: the module matrix, and an inline SVG drawn from it.

A label URL is ``<BASE_URL>/q/<token>`` and the token is uppercase base32, so the tail of the URL
(``/`` + token) fits QR alphanumeric mode (5.5 bits a character instead of 8). We encode that tail
as its own alphanumeric segment and the rest as bytes, which saves 39 bits: with a base URL of up
to 28 characters the code is version 4 at error correction Q (41 modules with the quiet
zone, 0.73 mm each at 30 mm).
"""

import re

import qrcode
from markupsafe import Markup
from qrcode.constants import ERROR_CORRECT_M
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE
from qrcode.util import MODE_ALPHA_NUM
from qrcode.util import QRData

#: Q recovers about 25% of damaged codewords: labels live on hydrants, pumps and stairwell walls
#: and get dirty or scratched. Measured at 30 mm, Q at version 4 decoded every code under a 9 mm
#: smudge; M at version 3 (bigger modules) lost codes from 8 mm.
ERROR_CORRECTION = ERROR_CORRECT_Q
#: A long BASE_URL would push Q past this version (modules under 0.73 mm at 30 mm); then M, whose
#: bigger modules survive more blur, is the better trade.
MAX_VERSION = 4
FALLBACK_ERROR_CORRECTION = ERROR_CORRECT_M
#: Light modules around the symbol, as ISO/IEC 18004 requires; counted inside the drawn size.
QUIET_ZONE = 4
#: Characters of QR alphanumeric mode (ISO/IEC 18004 table 5).
_ALPHANUMERIC_TAIL = re.compile(r"[0-9A-Z $%*+\-./:]+\Z")
#: A shorter tail hardly pays for its own segment header (4 + 9..13 bits); a token tail is 21.
_MIN_ALPHANUMERIC_RUN = 12


def segments(text: str) -> list[QRData]:
    """Split text into a byte segment and an alphanumeric tail (the label token)."""
    match = _ALPHANUMERIC_TAIL.search(text)
    if match is None or len(match.group()) < _MIN_ALPHANUMERIC_RUN:
        return [QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE, check_data=False)]
    head, tail = text[: match.start()], match.group()
    parts = [QRData(tail.encode("ascii"), mode=MODE_ALPHA_NUM, check_data=False)]
    if head:
        parts.insert(0, QRData(head.encode("utf-8"), mode=MODE_8BIT_BYTE, check_data=False))
    return parts


def make_qr(text: str) -> qrcode.QRCode:
    """Build the label QR code for text: level Q up to MAX_VERSION, else level M."""
    code = _make_qr(text, ERROR_CORRECTION)
    if code.version > MAX_VERSION:
        code = _make_qr(text, FALLBACK_ERROR_CORRECTION)
    return code


def _make_qr(text: str, error_correction: int) -> qrcode.QRCode:
    """Build the smallest QR code for text at this error correction level."""
    code = qrcode.QRCode(error_correction=error_correction, border=QUIET_ZONE)
    for segment in segments(text):
        code.add_data(segment)
    code.make(fit=True)
    return code


def qr_matrix(url: str) -> list[list[bool]]:
    """Return the modules of the URL's QR code, quiet zone included (True is dark)."""
    return [list(row) for row in make_qr(url).get_matrix()]


def dark_runs(matrix: list[list[bool]]):
    """Yield (x, y, length) for each horizontal run of dark modules."""
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < width and row[x]:
                x += 1
            yield start, y, x - start


def qr_svg(url: str, size: str = "30mm") -> Markup:
    """Return an inline <svg> of the URL's QR code: one <path>, colours as attributes (CSP)."""
    matrix = qr_matrix(url)
    width = len(matrix)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in dark_runs(matrix))
    # Safe: nothing but numbers and constants goes into the markup.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 {width} {width}" '
        f'width="{size}" height="{size}" shape-rendering="crispEdges" aria-hidden="true">'
        f'<path fill="#000" d="{path}"/></svg>'
    )
