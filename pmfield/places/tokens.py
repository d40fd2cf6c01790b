"""Signed label tokens: <serial><signature> in uppercase base32, short enough for small QR codes.

The serial is random and names a Label row; the signature (truncated HMAC-SHA256) lets the server
reject altered or invented tokens before touching the database, and later lets offline scans be
verified at sync. Uppercase base32 keeps the token in QR alphanumeric mode.
"""

import base64
import hashlib
import hmac
import re
import secrets

SERIAL_LEN = 10  # 50 random bits
SIGNATURE_LEN = 10  # 50 bits of HMAC
TOKEN_LEN = SERIAL_LEN + SIGNATURE_LEN
_TOKEN_RE = re.compile(rf"^[A-Z2-7]{{{TOKEN_LEN}}}$")
_SALT = b"pmfield.label.v1"


def _b32(data: bytes, length: int) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")[:length]


def new_serial() -> str:
    """Return a fresh random label serial."""
    return _b32(secrets.token_bytes(8), SERIAL_LEN)


def _signature(secret: str, serial: str) -> str:
    mac = hmac.new(_SALT + secret.encode(), serial.encode("ascii"), hashlib.sha256).digest()
    return _b32(mac, SIGNATURE_LEN)


def make_token(secret: str, serial: str) -> str:
    """Return the signed token printed on a label."""
    return serial + _signature(secret, serial)


def verify_token(secret: str, token: str | None) -> str | None:
    """Return the serial of a well-formed, correctly signed token, else None. Never raises."""
    if not isinstance(token, str):
        return None
    token = token.strip().upper()
    if not _TOKEN_RE.match(token):
        return None
    serial, signature = token[:SERIAL_LEN], token[SERIAL_LEN:]
    if not hmac.compare_digest(signature, _signature(secret, serial)):
        return None
    return serial
