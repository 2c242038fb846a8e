"""What the Nu HTML checker would refuse on our pages, without Java.

``problems(html)`` lists, each as one readable line:

- parse errors of the HTML5 parsing algorithm (html5lib, as the checker's own parser
  reports them): stray end tags, misnested elements, a block inside a paragraph...;
- duplicate ids;
- ``datetime`` attribute values outside the HTML grammar (a date, a time, a local or global
  date and time with at most three digits of seconds' fraction, a month, a week, a year, a
  yearless date, a time-zone offset or a duration);
- ``<label for>`` pointing at no labelable element, and ``aria-describedby``,
  ``aria-labelledby``, ``aria-controls``, ``aria-owns`` and ``list`` naming missing ids;
- a required single ``<select>`` whose first option is not an empty placeholder;
- a ``lang`` attribute that is not a language tag.

Used by tests/test_html_validity.py (Flask's test client, every page type) and by the
browser suite (tests/browser/test_a11y.py, the same pages as a browser gets them).
"""
from __future__ import annotations

import calendar
import re
from collections import Counter

import html5lib

LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}
ID_LISTS = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns")
LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")

_TIME = r"(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,3})?)?"
_DATE = r"(?P<y>\d{4,})-(?P<mo>\d{2})-(?P<d>\d{2})"
_OFFSET = r"(?:Z|[+-](?P<oh>\d{2}):?(?P<om>\d{2}))"
_COMPONENT = r"(?:\d+(?:\.\d{1,3})?\s*[Ss]|\d+\s*[WwDdHhMm])"
DURATION_COMPONENTS = re.compile(rf"^\s*{_COMPONENT}(?:\s*{_COMPONENT})*\s*$")
DATETIME_FORMS = [re.compile(f"^{pattern}$") for pattern in (
    _DATE, rf"{_DATE}[T ]{_TIME}", rf"{_DATE}[T ]{_TIME}{_OFFSET}", _TIME, _OFFSET,
    r"(?P<y>\d{4,})-(?P<mo>\d{2})", r"(?P<y>\d{4,})", r"(?:--)?(?P<mo>\d{2})-(?P<d>\d{2})",
    r"(?P<y>\d{4,})-W(?P<w>\d{2})",
    r"P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,3})?S)?)?")]


def valid_datetime(value: str) -> bool:
    """Whether ``value`` is a valid ``datetime`` attribute value (HTML, "the time element":
    the forms a machine-readable date or time may take), its numbers in range."""
    for form in DATETIME_FORMS:
        match = form.match(value)
        if match and _in_range(match.groupdict()):
            return value != "P" and not value.endswith("T")  # a duration says something
    return DURATION_COMPONENTS.match(value) is not None


def _in_range(parts: dict) -> bool:
    number = {k: int(v) for k, v in parts.items() if v is not None}
    if number.get("y") == 0 or not 1 <= number.get("mo", 1) <= 12:
        return False
    if "d" in number:
        days = calendar.monthrange(number.get("y", 2000), number["mo"])[1]
        if not 1 <= number["d"] <= days:
            return False
    if "w" in number and not 1 <= number["w"] <= 53:
        return False
    return number.get("h", 0) <= 23 and number.get("mi", 0) <= 59 and \
        number.get("s", 0) <= 59 and number.get("oh", 0) <= 23 and number.get("om", 0) <= 59


def parse(html: str):
    """The document tree (elements without namespace) and html5lib's parse errors."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    tree = parser.parse(html)
    errors = [f"parse error at line {line}, column {col}: {code} {data or ''}".rstrip()
              for (line, col), code, data in parser.errors]
    return tree, errors


def problems(html: str) -> list[str]:
    """Every validity problem of the page, one line each (empty: valid)."""
    tree, found = parse(html)
    elements = list(tree.iter())
    ids = Counter(e.get("id") for e in elements if e.get("id") is not None)
    found += [f"duplicate id {name!r} ({count} times)" for name, count in ids.items()
              if count > 1]
    by_id = {e.get("id"): e for e in elements if e.get("id") is not None}
    for element in elements:
        found += _element_problems(element, by_id)
    return found


def _element_problems(element, by_id: dict) -> list[str]:
    tag, found = element.tag, []
    where = f"<{tag}{' id=' + repr(element.get('id')) if element.get('id') else ''}>"
    if element.get("datetime") is not None and not valid_datetime(element.get("datetime")):
        found.append(f"{where}: datetime={element.get('datetime')!r} is not a valid date or time")
    target = element.get("for")
    if tag == "label" and target is not None and (
            target not in by_id or by_id[target].tag not in LABELABLE):
        found.append(f"<label for={target!r}>: no form control has this id")
    for name in ID_LISTS:
        for ref in (element.get(name) or "").split():
            if ref not in by_id:
                found.append(f"{where}: {name} names {ref!r}, which no element has as id")
    if element.get("list") is not None and element.get("list") not in by_id:
        found.append(f"{where}: list={element.get('list')!r} names no datalist")
    if element.get("lang") is not None and element.get("lang") != "" and \
            not LANG_TAG.match(element.get("lang")):
        found.append(f"{where}: lang={element.get('lang')!r} is not a language tag")
    if tag == "select" and element.get("required") is not None and \
            element.get("multiple") is None and int(element.get("size") or 1) <= 1:
        first = next(iter(element.iter("option")), None)
        if first is not None and (first.get("value", first.text or "") or "") != "":
            found.append(f"{where}: a required select must open on an empty option "
                         f"(its first is {first.get('value')!r})")
    return found


def assert_valid(html: str, page: str = "") -> None:
    """Fail with every problem of the page listed."""
    found = problems(html)
    assert not found, f"{page}: {len(found)} HTML problem(s):\n  " + "\n  ".join(found)
