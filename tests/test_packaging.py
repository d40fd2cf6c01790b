"""The wheel carries templates/, static/ and migrations/, and an installed pmfield finds them.

Builds the wheel offline (`python -m build --no-isolation` with the test extra's hatchling).
"""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RESOURCES = ("templates", "static", "migrations")


def _repo_files(folder: str) -> list[Path]:
    """Files under a repo folder, as the wheel should carry them (no bytecode caches)."""
    return [
        path
        for path in sorted((REPO / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    result = subprocess.run(
        [*command, str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("pmfield-*.whl")
    return path


def test_wheel_carries_the_resources_and_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    for folder in RESOURCES:
        files = _repo_files(folder)
        assert files, f"{folder}/ is empty"
        missing = [
            f"pmfield/_bundled/{p.relative_to(REPO).as_posix()}"
            for p in files
            if f"pmfield/_bundled/{p.relative_to(REPO).as_posix()}" not in names
        ]
        assert not missing, missing
    assert {
        "pmfield/_bundled/templates/base.html",
        "pmfield/_bundled/migrations/env.py",
        "pmfield/_bundled/migrations/alembic.ini",
    } <= names
    package = [p.relative_to(REPO).as_posix() for p in _repo_files("pmfield")]
    assert not [name for name in package if name not in names]
    assert not [name for name in names if name.startswith("tests/")]


def test_wheel_declares_the_pmfield_command(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]

    assert "pmfield = pmfield.cli:main" in archive.read(entry_points).decode()


INSTALLED_CHECK = """
import sys
from pathlib import Path

from flask import url_for
from flask_migrate import upgrade
from sqlalchemy import inspect

import pmfield
from pmfield import create_app
from pmfield.extensions import db

root, static_file = Path(sys.argv[1]), sys.argv[2]
bundled = root / "pmfield" / "_bundled"
assert Path(pmfield.__file__).parent == root / "pmfield", pmfield.__file__

app = create_app()
assert Path(app.template_folder) == bundled / "templates", app.template_folder
assert Path(app.static_folder) == bundled / "static", app.static_folder
assert Path(app.extensions["migrate"].directory) == bundled / "migrations"
with app.app_context():
    upgrade()
    assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
with app.test_request_context():
    login = url_for("auth.login")
client = app.test_client()
assert client.get("/healthz").status_code == 200
page = client.get(login)
assert page.status_code == 200 and b"<html" in page.data, page.status_code
assert client.get("/static/" + static_file).status_code == 200
print("installed wheel OK")
"""


def test_installed_wheel_uses_its_bundled_resources(wheel, tmp_path):
    """Unpack the wheel (what pip install does) and run pmfield from there, not the checkout."""
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    static_file = _repo_files("static")[0].relative_to(REPO / "static").as_posix()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMFIELD_")}
    env["PYTHONPATH"] = str(site)
    env["PMFIELD_INSTANCE_PATH"] = str(tmp_path / "instance")

    result = subprocess.run(
        [sys.executable, "-c", INSTALLED_CHECK, str(site), static_file],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "installed wheel OK" in result.stdout
    assert (tmp_path / "instance" / "pmfield.db").is_file()


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", quick_start, re.DOTALL).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    ci = (REPO / ".ci" / "run").read_text()
    ci_command = re.search(r"^TEST_COMMAND='(.*)'$", ci, re.MULTILINE).group(1)

    assert len(commands) == 2, commands
    assert commands[0].endswith("pmfield run")
    assert commands[1] == ci_command
