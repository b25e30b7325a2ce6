"""Every translation matches en.json key for key and placeholder for placeholder."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

TRANSLATIONS = (
    Path(__file__).parents[2]
    / "custom_components"
    / "missed_call_textback"
    / "translations"
)
EN = TRANSLATIONS / "en.json"
OTHERS = sorted(path for path in TRANSLATIONS.glob("*.json") if path != EN)

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Map each dotted key path to its string."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            assert isinstance(value, str), f"{path} is not a string"
            flat[path] = value
    return flat


def _placeholders(text: str) -> set[str]:
    """Parse a string as the frontend's MessageFormat would, lightly.

    Braces must pair up and hold a bare identifier: a plural, a select or a
    stray brace would show as a Translation error in the frontend.
    """
    found: set[str] = set()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "}":
            msg = f"unmatched }} at {index} in {text!r}"
            raise ValueError(msg)
        if char == "{":
            end = text.find("}", index + 1)
            if end == -1:
                msg = f"unclosed {{ at {index} in {text!r}"
                raise ValueError(msg)
            name = text[index + 1 : end]
            if not IDENTIFIER.fullmatch(name):
                msg = f"{{{name}}} is not a simple placeholder in {text!r}"
                raise ValueError(msg)
            found.add(name)
            index = end
        index += 1
    # An apostrophe right before a brace starts a quoted literal in ICU, which
    # would swallow the placeholder (French elision: l'{name}).
    if re.search(r"'[{}]", text):
        msg = f"apostrophe before a brace quotes it in {text!r}"
        raise ValueError(msg)
    return found


def test_english_strings_parse() -> None:
    """The source strings themselves are valid MessageFormat."""
    for path, text in _flatten(_load(EN)).items():
        try:
            _placeholders(text)
        except ValueError as err:
            pytest.fail(f"en.json {path}: {err}")


def test_a_translation_exists() -> None:
    """The translations this test guards are really there."""
    assert {path.stem for path in OTHERS} >= {"de", "es", "fr"}


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_translation_has_exactly_the_english_keys(path: Path) -> None:
    """No key is missing (it would show in English) and none is left over."""
    english = set(_flatten(_load(EN)))
    translated = set(_flatten(_load(path)))
    assert sorted(english - translated) == [], "missing"
    assert sorted(translated - english) == [], "not in en.json"


@pytest.mark.parametrize("path", OTHERS, ids=lambda path: path.stem)
def test_translation_keeps_every_placeholder(path: Path) -> None:
    """Each string parses and names the same placeholders as its English one."""
    english = _flatten(_load(EN))
    problems: list[str] = []
    for key, text in _flatten(_load(path)).items():
        if key not in english:
            continue
        try:
            names = _placeholders(text)
        except ValueError as err:
            problems.append(f"{key}: {err}")
            continue
        expected = _placeholders(english[key])
        if names != expected:
            problems.append(f"{key}: {sorted(names)} != {sorted(expected)}")
        if english[key] and not text.strip():
            problems.append(f"{key}: empty")
    assert problems == []


def test_placeholder_parser_rejects_broken_strings() -> None:
    """The parser itself catches what the frontend would choke on."""
    assert _placeholders("Hello {name}, {name}!") == {"name"}
    for broken in ("{name", "name}", "{}", "{count, plural, one {#}}", "l'{x}"):
        with pytest.raises(ValueError, match=r"\S"):
            _placeholders(broken)
