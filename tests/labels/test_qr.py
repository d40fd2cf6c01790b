"""QR encoding: alphanumeric token segment, version, error correction, quiet zone, SVG."""

import re

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE
from qrcode.util import MODE_ALPHA_NUM

from pmfield.labels import qr
from pmfield.places.tokens import make_token
from pmfield.places.tokens import new_serial
from tests.labels import scanning

TOKEN = make_token("test-secret", new_serial())
URL = f"https://pm.example.test/q/{TOKEN}"


def _data_bits(code: qrcode.QRCode) -> int:
    """Bits the segments take (mode + length headers + data) at the code's version."""
    buffer = qrcode.util.BitBuffer()
    for segment in code.data_list:
        buffer.put(segment.mode, 4)
        buffer.put(len(segment), qrcode.util.length_in_bits(segment.mode, code.version))
        segment.write(buffer)
    return len(buffer)


def _byte_only(url: str, error_correction: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=error_correction, border=4)
    code.add_data(url, optimize=0)
    code.make(fit=True)
    return code


def test_the_token_is_an_alphanumeric_segment():
    code = qr.make_qr(URL)
    assert [(s.mode, s.data.decode()) for s in code.data_list] == [
        (MODE_8BIT_BYTE, "https://pm.example.test/q"),
        (MODE_ALPHA_NUM, f"/{TOKEN}"),
    ]
    byte_only = _byte_only(URL, code.error_correction)
    byte_only.version = code.version
    # 21 characters at 5.5 bits instead of 8, less one more segment header.
    assert _data_bits(byte_only) - _data_bits(code) == 39


def test_version_4_at_level_q_with_a_usual_base_url():
    code = qr.make_qr(URL)
    assert (code.version, code.error_correction) == (4, ERROR_CORRECT_Q)
    assert len(qr.qr_matrix(URL)) == 33 + 2 * qr.QUIET_ZONE  # 0.73 mm modules at 30 mm


def test_the_segments_keep_a_longer_base_url_at_version_4():
    url = f"https://facility.example.cn/q/{TOKEN}"  # 27 characters of base URL
    assert (qr.make_qr(url).version, qr.make_qr(url).error_correction) == (4, ERROR_CORRECT_Q)
    assert _byte_only(url, ERROR_CORRECT_Q).version == 5


def test_a_long_base_url_falls_back_to_level_m_rather_than_small_modules():
    url = f"https://pmfield.campus-services.example.org/q/{TOKEN}"
    code = qr.make_qr(url)
    assert (code.version, code.error_correction) == (4, ERROR_CORRECT_M)


def test_text_without_an_alphanumeric_tail_is_one_byte_segment():
    assert [s.mode for s in qr.segments("https://example.test/q/lowercase")] == [MODE_8BIT_BYTE]


def test_the_matrix_has_a_quiet_zone_of_four_modules():
    matrix = qr.qr_matrix(URL)
    width = len(matrix)
    assert all(len(row) == width for row in matrix)
    border = [
        matrix[y][x]
        for y in range(width)
        for x in range(width)
        if min(x, y) < 4 or max(x, y) >= width - 4
    ]
    assert not any(border)
    assert matrix[4][4]  # finder pattern corners
    assert matrix[4][width - 5]


def test_svg_is_one_path_without_style():
    svg = qr.qr_svg(URL)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count("<path") == 1
    assert "style" not in svg
    assert 'fill="#000"' in svg
    assert 'width="30mm"' in svg
    assert f'viewBox="0 0 {len(qr.qr_matrix(URL))} ' in svg


@pytest.mark.parametrize("scale", [2, 3, 6])
def test_svg_decodes(scale):
    image = scanning.svg_to_image(qr.qr_svg(URL), scale=scale)
    assert scanning.decode(image) == [URL]


def test_dark_runs_cover_exactly_the_dark_modules():
    matrix = qr.qr_matrix(URL)
    covered = {(x + i, y) for x, y, n in qr.dark_runs(matrix) for i in range(n)}
    dark = {(x, y) for y, row in enumerate(matrix) for x, value in enumerate(row) if value}
    assert covered == dark
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", re.search(r' d="([^"]+)"', qr.qr_svg(URL))[1])
