"""Settings of a provider-webhook line, and the provider they describe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .providers import CONF_ACCEPT_UNSIGNED, Provider, ProviderKind
from .providers.generic import (
    CONF_AUTH_MODE,
    CONF_CALL_ID_PATH,
    CONF_MISSED_VALUES,
    CONF_NAME_PATH,
    CONF_NUMBER_PATH,
    CONF_SECRET,
    CONF_SECRET_HEADER,
    CONF_STATUS_PATH,
)
from .providers.quo import CONF_SIGNING_KEY
from .providers.registry import PROVIDERS
from .providers.telnyx import CONF_PUBLIC_KEY
from .providers.twilio import CONF_AUTH_TOKEN, CONF_PUBLIC_URL

__all__ = [
    "CONF_ACCEPT_UNSIGNED",
    "CONF_AUTH_MODE",
    "CONF_AUTH_TOKEN",
    "CONF_CALL_ID_PATH",
    "CONF_MISSED_VALUES",
    "CONF_NAME_PATH",
    "CONF_NUMBER_PATH",
    "CONF_PROVIDER",
    "CONF_PUBLIC_KEY",
    "CONF_PUBLIC_URL",
    "CONF_SECRET",
    "CONF_SECRET_HEADER",
    "CONF_SIGNING_KEY",
    "CONF_STATUS_PATH",
    "CONF_WEBHOOK_ID",
    "SECRET_KEYS",
    "build_provider",
]

# Config entry data of a webhook line; each provider's own settings are named
# in its module.
CONF_PROVIDER: Final = "provider"
CONF_WEBHOOK_ID: Final = "webhook_id"

# Secrets a diagnostics dump or a log must never show.
SECRET_KEYS: Final = frozenset(
    {CONF_WEBHOOK_ID}
    | {
        field.key
        for description in PROVIDERS.values()
        for field in description.fields
        if field.secret
    }
)


def build_provider(data: Mapping[str, Any]) -> Provider:
    """Build the provider module a webhook line's data asks for."""
    return PROVIDERS[ProviderKind(data[CONF_PROVIDER])].build(data)
