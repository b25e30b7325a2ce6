"""Selectors more than one step uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def dropdown(options: list[str]) -> selector.SelectSelector:
    """Return a drop-down list of options shown as they are (not translated)."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options, mode=selector.SelectSelectorMode.DROPDOWN
        )
    )


def suggested(defaults: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Return a field's description that suggests what defaults hold for it."""
    return {"suggested_value": defaults.get(key)}


def number(
    minimum: float, maximum: float, unit: str = "", *, step: float = 1
) -> selector.NumberSelector:
    """Return a number box (unit: its unit of measurement, if any)."""
    config = selector.NumberSelectorConfig(
        min=minimum, max=maximum, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)
