"""Where photo files live: a small key → bytes interface, on local disk for now.

Keys are relative paths made of safe segments ("ab/cd/<sha256>.jpg"); an S3-compatible backend
can implement the same four methods later and be returned by get_storage().
"""

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

#: One key segment: letters, digits, dot, dash, underscore; never "." or "..".
KEY_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
#: app.extensions slot holding the app's storage.
EXTENSION_KEY = "pmfield.photo_storage"


class Storage(Protocol):
    """What the photo component needs from a file store."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing any previous content, all or nothing."""

    def get(self, key: str) -> bytes:
        """Return the bytes under `key`; raise FileNotFoundError when there are none."""

    def exists(self, key: str) -> bool:
        """True when `key` holds a file."""

    def delete(self, key: str) -> None:
        """Remove `key`; deleting a missing key is not an error."""


def photo_key(sha256: str, extension: str = "jpg") -> str:
    """Return the content-addressed key of a file: ab/cd/abcd…ef.jpg."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def check_key(key: str) -> list[str]:
    """Return the key's segments; raise ValueError for a key that could leave the store."""
    parts = key.split("/")
    if not key or not all(KEY_SEGMENT_RE.match(part) for part in parts):
        raise ValueError(f"invalid storage key: {key!r}")
    return parts


class LocalStorage:
    """Files under one root directory (the media dir), written atomically."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"<LocalStorage {self.root}>"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file beside the target, then rename it into place."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o640)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    """Return the current app's photo storage (local disk under MEDIA_DIR unless set)."""
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        # MEDIA_DIR is settled by create_app (_finish_config); this only reads the result.
        storage = LocalStorage(current_app.config["MEDIA_DIR"])
        current_app.extensions[EXTENSION_KEY] = storage
    return storage


def set_storage(app, storage: Storage) -> None:
    """Use another storage for `app` (an S3 backend, or a test double)."""
    app.extensions[EXTENSION_KEY] = storage
