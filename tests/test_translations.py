"""Every user-facing string has its zh-Hans text, and the compiled catalog is current."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "pmfield" / "translations" / "zh_Hans" / "LC_MESSAGES"
METHODS = [
    ("pmfield/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.js", "jinja2"),
]


def _extracted() -> set:
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords={"_": None, "gettext": None, "ngettext": (1, 2),
                                      "lazy_gettext": None, "_l": None},
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog():
    with open(CATALOG / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_string_in_the_code_is_in_the_catalog():
    catalog = _catalog()
    missing = sorted(m for m in _extracted() if m not in catalog)
    assert missing == [], "run: pybabel extract -F babel.cfg -o messages.pot . && pybabel update"


def test_every_catalog_entry_has_a_chinese_translation():
    untranslated = [
        message.id for message in _catalog()
        if message.id and (message.fuzzy or not all(_plain(message.string) or [""]))
    ]
    assert untranslated == []


def _plain(text):
    # read_mo gives plural translations as a list, read_po as a tuple.
    return tuple(text) if isinstance(text, list | tuple) else text


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    catalog = _catalog()
    for message in catalog:
        if message.id:
            assert compiled.get(message.id) is not None, message.id
            assert _plain(compiled[message.id].string) == _plain(message.string), message.id
