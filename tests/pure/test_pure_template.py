"""Which message templates are rendered once per set of values, and which every time."""

from __future__ import annotations

import pytest

from custom_components.missed_call_textback.message import message_variables
from custom_components.missed_call_textback.presets import LANGUAGES, TEXTS
from custom_components.missed_call_textback.pure_template import pure_inputs

VARIABLES = frozenset(
    {
        "business_name",
        "line_name",
        "caller_number",
        "caller_name",
        "called_at",
        "is_open",
        "next_open",
        "booking_link",
        "trade",
        "service_area",
        "response_window",
    }
)


def test_the_variables_checked_are_the_ones_a_message_sees() -> None:
    from homeassistant.util import dt as dt_util  # noqa: PLC0415

    seen = message_variables(
        business_name="Acme",
        line_name="Main",
        caller_number="+16502530000",
        caller_name=None,
        called_at=dt_util.utcnow(),
    )
    assert set(seen) == VARIABLES


@pytest.mark.parametrize(
    ("source", "inputs"),
    [
        ("Sorry we missed you", ()),
        ("Hi, {{ business_name }} here", ("business_name",)),
        (
            "{{ business_name if is_open else next_open }}",
            ("business_name", "is_open", "next_open"),
        ),
        ("{% set name = business_name %}{{ name | upper }}", ("business_name",)),
        ("{% filter upper %}{{ trade }}{% endfilter %}", ("trade",)),
        ("{{ caller_name | default('there', true) }}", ("caller_name",)),
        (
            "{% if booking_link is defined %}{{ booking_link }}{% endif %}",
            ("booking_link",),
        ),
        ("{{ called_at.hour }}", ("called_at",)),
        ("{% for i in [1, 2] %}{{ loop.index }}{% endfor %}", ()),
    ],
)
def test_templates_reading_only_their_variables_are_pure(
    source: str, inputs: tuple[str, ...]
) -> None:
    assert pure_inputs(source, VARIABLES) == inputs


@pytest.mark.parametrize(
    "source",
    [
        # The clock, the state machine and random numbers give other texts.
        "It is {{ now().hour }}",
        "{{ states('sensor.wait_time') }}",
        "{{ states.sensor.wait_time.state }}",
        "{{ 'sensor.wait_time' | states }}",
        "{{ ['a', 'b'] | random }}",
        "{{ business_name.upper() }}",
        "{{ 'sensor.x' is is_state('on') }}",
        "{{ [1] | map('states') | list }}",
        "{% macro hi() %}hi{% endmacro %}{{ hi() }}",
        "{% do [].append(1) %}",
        "{% include 'other' %}",
        "{% import 'other' as other %}",
        # A name that is not a variable is one of HA's globals.
        "{{ weather }}",
        # Unreadable here: rendered every time, where its error is reported.
        "{{ business_name ",
    ],
)
def test_templates_that_may_change_by_themselves_are_not_pure(source: str) -> None:
    assert pure_inputs(source, VARIABLES) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_preset_is_rendered_once_per_set_of_values(language: str) -> None:
    for preset in TEXTS[language].presets.values():
        for source in (preset.message, preset.after_hours):
            inputs = pure_inputs(source, VARIABLES)
            assert inputs is not None, source
            # No preset names the caller, so every caller shares the text.
            assert not {"caller_name", "caller_number", "called_at"} & set(inputs)
