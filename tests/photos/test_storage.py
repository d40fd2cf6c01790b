"""LocalStorage: fanned-out content-addressed files, atomic writes, keys that stay inside."""

import hashlib

import pytest

from pmfield import create_app
from pmfield.photos import storage as storage_module
from pmfield.photos.storage import LocalStorage
from pmfield.photos.storage import get_storage
from pmfield.photos.storage import photo_key
from pmfield.photos.storage import set_storage
from tests.photos.conftest import stored_files

SHA = hashlib.sha256(b"photo").hexdigest()


def test_photo_key_fans_out_by_the_first_bytes_of_the_hash():
    assert photo_key(SHA) == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"
    with pytest.raises(ValueError, match="SHA-256"):
        photo_key("../../etc/passwd")


def test_put_get_exists_delete(tmp_path):
    store = LocalStorage(tmp_path / "media")
    key = photo_key(SHA)
    assert not store.exists(key)

    store.put(key, b"jpeg bytes")

    assert store.exists(key)
    assert store.get(key) == b"jpeg bytes"
    assert (tmp_path / "media" / SHA[:2] / SHA[2:4] / f"{SHA}.jpg").read_bytes() == b"jpeg bytes"
    assert stored_files(tmp_path / "media") == [
        tmp_path / "media" / SHA[:2] / SHA[2:4] / f"{SHA}.jpg"
    ]

    store.put(key, b"replaced")
    assert store.get(key) == b"replaced"

    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        store.get(key)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)
    store.put("ab/cd/file.jpg", b"old")

    def broken_replace(_src, _dst):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put("ab/cd/file.jpg", b"new")

    assert store.get("ab/cd/file.jpg") == b"old"
    assert stored_files(tmp_path) == [tmp_path / "ab" / "cd" / "file.jpg"]


@pytest.mark.parametrize(
    "key",
    ["", "../outside.jpg", "ab/../../x.jpg", "/etc/passwd", "ab//x.jpg", "ab/./x.jpg", "a\\b"],
)
def test_keys_cannot_leave_the_root(tmp_path, key):
    store = LocalStorage(tmp_path / "media")
    with pytest.raises(ValueError, match="invalid storage key"):
        store.put(key, b"x")
    with pytest.raises(ValueError, match="invalid storage key"):
        store.get(key)
    assert not (tmp_path / "outside.jpg").exists()


def test_the_app_stores_under_media_dir(app):
    store = get_storage()
    assert isinstance(store, LocalStorage)
    assert str(store.root) == app.config["MEDIA_DIR"]
    assert get_storage() is store


def test_media_dir_defaults_to_instance_media(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": "sqlite://",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    assert app.config["MEDIA_DIR"] == str(tmp_path / "instance" / "media")
    with app.app_context():
        assert get_storage().root == tmp_path / "instance" / "media"
        assert "static" not in get_storage().root.parts


def test_another_storage_can_be_plugged_in(app):
    class Memory:
        def __init__(self):
            self.files = {}

        def put(self, key, data):
            self.files[key] = data

        def get(self, key):
            return self.files[key]

        def exists(self, key):
            return key in self.files

        def delete(self, key):
            self.files.pop(key, None)

    memory = Memory()
    set_storage(app, memory)
    assert get_storage() is memory
