"""The provider registry: every provider described, its steps translated."""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.missed_call_textback.sources.providers import ProviderKind
from custom_components.missed_call_textback.sources.providers.registry import (
    PROVIDERS,
)
from custom_components.missed_call_textback.sources.webhook_config import (
    SECRET_KEYS,
)

TRANSLATIONS = Path(__file__).parents[2] / (
    "custom_components/missed_call_textback/translations/en.json"
)


def test_every_kind_is_described_once() -> None:
    """A kind without a description could be chosen but never built."""
    assert list(PROVIDERS) == list(ProviderKind)
    assert all(kind is PROVIDERS[kind].kind for kind in PROVIDERS)


def test_every_webhook_provider_has_its_steps_translated() -> None:
    """The flow adds the steps from the registry; the owner must read them."""
    steps = json.loads(TRANSLATIONS.read_text())["config"]["step"]
    for description in PROVIDERS.values():
        if not description.webhook:
            continue
        key = description.translation_key
        assert f"webhook_url_{key}" in steps
        if description.form:
            fields = steps[f"webhook_{key}"]["data"]
            assert {field.key for field in description.form} <= set(fields)


def test_secret_fields_are_redacted_and_signed_providers_name_one() -> None:
    """A credential in diagnostics is a leak; a signed provider needs its key."""
    for description in PROVIDERS.values():
        for field in description.fields:
            assert not field.secret or field.key in SECRET_KEYS
        if description.signed:
            keys = {field.key for field in description.fields}
            assert description.secret_field in keys
