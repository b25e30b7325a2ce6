"""Selectors more than one step uses."""

from __future__ import annotations

from homeassistant.helpers import selector


def text(
    kind: selector.TextSelectorType = selector.TextSelectorType.TEXT,
    *,
    multiline: bool = False,
    multiple: bool = False,
) -> selector.TextSelector:
    """Return a text field."""
    return selector.TextSelector(
        selector.TextSelectorConfig(type=kind, multiline=multiline, multiple=multiple)
    )


def choice(key: str, options: list[str]) -> selector.SelectSelector:
    """Return a list of options, translated under key."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options, translation_key=key, mode=selector.SelectSelectorMode.LIST
        )
    )
