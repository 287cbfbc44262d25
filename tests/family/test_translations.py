"""Hindi is complete: every string marked for translation in the areas the family, doctors and
hospital admins read (the guardian page, the portals and every notification) has a Hindi entry
that is neither empty nor fuzzy, and no text in those templates is left unmarked.

Strings are extracted the way ``makemessages`` does (Django's ``templatize`` for templates,
then Babel's Python extractor), so no GNU gettext is needed to run this test. After adding a
string: ``make messages``, fill in its msgstr in locale/hi/LC_MESSAGES/django.po.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_python
from babel.messages.pofile import read_po
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "hi" / "LC_MESSAGES" / "django.po"

# Where the family, doctors and hospital admins read: every template here is checked.
TEMPLATE_AREAS = [
    "templates/base.html",
    "templates/family",
    "templates/portals",
    "templates/emails",
    "templates/registration",
    "templates/cases/_timeline.html",
    "templates/cases/_calendar_grid.html",
    "templates/cases/_clinical.html",
    "templates/cases/_deadlines.html",
    # The doctor's pages after the infusion. Left out on purpose: templates/clinical/pvpi.html
    # (the regulator's PvPI form, a PDF filed in English) and the facilitator-only admin pages
    # of clinical, coldchain, regulatory and funding, which stay English.
    "templates/clinical/_slot_grid.svg.html",
    "templates/clinical/adverse_event.html",
    "templates/clinical/adverse_event_form.html",
    "templates/clinical/monitoring.html",
    "templates/clinical/outcome_form.html",
    "templates/clinical/slot_entry.html",
    # The hospital admin's logger upload panel and its temperature curve.
    "coldchain/templates/coldchain",
]
# Python modules whose marked strings those pages and notifications show.
PYTHON_AREAS = [
    "family",
    "portals",
    "cases/states.py",
    "cases/models/case.py",
    "cases/templatetags/deadlines.py",
    # What the doctor's pages show: forms, views, the charts, the catalogue of tests, the
    # safety thresholds, the choices of the models and the services' refusals (clinical/admin.py,
    # pvpi.py and exports.py are facilitator-only or the regulator's English form).
    "clinical/catalogue.py",
    "clinical/charts.py",
    "clinical/forms.py",
    "clinical/models.py",
    "clinical/thresholds.py",
    "clinical/views.py",
    "clinical/services",
    # The hospital admin's logger upload: form, view, chart, the reasons a file is refused.
    "coldchain/charts.py",
    "coldchain/forms.py",
    "coldchain/models.py",
    "coldchain/parsing.py",
    "coldchain/services.py",
    "coldchain/views.py",
]
# Text that is meant to stay as it is: each language's own name on the language switch.
UNTRANSLATED_ON_PURPOSE = {"English", "हिन्दी"}

KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "gettext_noop": None,
}


def _files(areas: list[str], pattern: str) -> list[Path]:
    found: list[Path] = []
    for area in areas:
        path = ROOT / area
        found += [path] if path.is_file() else sorted(path.rglob(pattern))
    return [f for f in found if "migrations" not in f.parts]


def _extract(source: str) -> set[tuple[str | None, str]]:
    """(context, msgid) of each message in Python source (plural forms by their singular)."""
    found = set()
    for _line, _func, message, _comments in extract_python(
        io.BytesIO(source.encode()), KEYWORDS, [], {"encoding": "utf-8"}
    ):
        if isinstance(message, tuple):
            # pgettext: (context, msgid); ngettext: (singular, plural)
            context = message[0] if _func.startswith(("pgettext", "npgettext")) else None
            msgid = message[1] if context is not None else message[0]
        else:
            context, msgid = None, message
        if msgid:
            found.add((context, msgid))
    return found


_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?'(?:[^'\\]|\\.)*'\s*,?)+)")
_LITERAL = re.compile(r"u?('(?:[^'\\]|\\.)*')")


def _template_messages(templatized: str) -> set[tuple[str | None, str]]:
    """(context, msgid) of each message in ``templatize`` output (its calls hold literals)."""
    found = set()
    for func, args in _CALL.findall(templatized):
        literals = [ast.literal_eval(lit) for lit in _LITERAL.findall(args)]
        context = literals.pop(0) if func in ("pgettext", "npgettext") else None
        if literals:
            found.add((context, literals[0]))
    return found


def marked_messages() -> dict[tuple[str | None, str], str]:
    """Every marked message of the areas, with where it was found."""
    messages: dict[tuple[str | None, str], str] = {}
    for path in _files(TEMPLATE_AREAS, "*.*"):
        for key in _template_messages(templatize(path.read_text(encoding="utf-8"), str(path))):
            messages.setdefault(key, str(path.relative_to(ROOT)))
    for path in _files(PYTHON_AREAS, "*.py"):
        for key in _extract(path.read_text(encoding="utf-8")):
            messages.setdefault(key, str(path.relative_to(ROOT)))
    return messages


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="hi")


def test_every_hindi_entry_is_filled_and_not_fuzzy(catalog):
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            problems.append(f"empty: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert not problems, "Hindi entries to fix in django.po:\n" + "\n".join(problems)


def test_every_marked_string_has_a_hindi_entry(catalog):
    entries = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}
    missing = [
        f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), where in sorted(marked_messages().items(), key=str)
        if (context, msgid) not in entries
    ]
    assert not missing, "Run `make messages` and translate:\n" + "\n".join(missing)


# --- No text left unmarked ----------------------------------------------------------------------

_BLOCKS = re.compile(
    r"{%-?\s*blocktrans(?:late)?\b.*?%}.*?{%-?\s*endblocktrans(?:late)?\s*-?%}", re.DOTALL
)
_COMMENT_BLOCKS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.DOTALL)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
_SCRIPT_STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_HTML = re.compile(r"<[^>]*>", re.DOTALL)
_ATTRIBUTES = re.compile(r'\b(?:aria-label|alt|title|placeholder|data-label)="([^"]*)"')
_ENTITY = re.compile(r"&[#\w]+;")
_SVG_TEXTS = re.compile(r"\b(?:viewBox|d)=\"[^\"]*\"")


def unmarked_text(source: str) -> list[str]:
    """Words in a template outside any translate tag, variable or markup."""
    source = _COMMENT_BLOCKS.sub(" ", source)
    source = _BLOCKS.sub(" ", source)
    source = _TAGS.sub(" ", source)
    source = _SCRIPT_STYLE.sub(" ", source)
    attributes = _ATTRIBUTES.findall(source)
    text = _HTML.sub(" ", source)
    leftovers = []
    for chunk in [*attributes, *text.split("\n")]:
        chunk = _ENTITY.sub(" ", chunk).strip()
        if re.search(r"[^\W\d_]", chunk) and chunk not in UNTRANSLATED_ON_PURPOSE:
            leftovers.append(chunk)
    return leftovers


def test_no_template_text_is_left_unmarked():
    problems = []
    for path in _files(TEMPLATE_AREAS, "*.*"):
        for words in unmarked_text(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)}: {words!r}")
    assert not problems, "Mark these for translation:\n" + "\n".join(problems)


def test_the_unmarked_text_check_finds_text_in_markup_and_attributes():
    assert unmarked_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_text('<a aria-label="Open it" href="{% url \'x\' %}">→</a>') == ["Open it"]
    assert unmarked_text("{% load i18n %}<p>{% translate 'Hello' %}</p>") == []
    assert unmarked_text("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}") == []


@override_settings(LANGUAGE_CODE="en-in")
def test_a_marked_string_shows_in_hindi():
    template = Template('{% load i18n %}{% translate "My cases" %}: {{ day|date:"d/m/Y" }}')
    import datetime as dt

    with translation.override("hi"):
        assert template.render(Context({"day": dt.date(2026, 11, 30)})) == "मेरे मामले: 30/11/2026"


@pytest.mark.django_db
def test_every_seeded_document_type_name_shows_in_hindi(catalog):
    """The names come from data (migrations seed them); portals/catalog.py lists them for
    the catalogue, and a seeded name it misses would show in English on a Hindi page."""
    from documents.models import DocumentType

    translated = {m.id for m in catalog if m.id and m.string}
    missing = [
        name
        for name in DocumentType.objects.values_list("name", flat=True)
        if name not in translated
    ]
    assert not missing, "Add to portals/catalog.py and django.po: " + ", ".join(missing)
