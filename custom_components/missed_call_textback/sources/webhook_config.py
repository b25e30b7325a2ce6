"""Settings of a provider-webhook line, and the provider they describe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .providers import Provider, ProviderKind
from .providers.generic import AuthMode, GenericProvider
from .providers.ha_sip import HaSipProvider
from .providers.quo import QuoProvider
from .providers.telnyx import TelnyxProvider
from .providers.twilio import TwilioProvider

# Config entry data of a webhook line.
CONF_PROVIDER: Final = "provider"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_ACCEPT_UNSIGNED: Final = "accept_unsigned"
CONF_AUTH_TOKEN: Final = "auth_token"  # noqa: S105 - Twilio
CONF_PUBLIC_URL: Final = "public_url"  # Twilio: the URL as Twilio calls it
CONF_SIGNING_KEY: Final = "signing_key"  # Quo
CONF_PUBLIC_KEY: Final = "public_key"  # Telnyx
CONF_NUMBER_PATH: Final = "number_path"  # generic JSON
CONF_STATUS_PATH: Final = "status_path"
CONF_MISSED_VALUES: Final = "missed_values"
CONF_NAME_PATH: Final = "name_path"
CONF_CALL_ID_PATH: Final = "call_id_path"
CONF_AUTH_MODE: Final = "auth_mode"
CONF_SECRET_HEADER: Final = "secret_header"  # noqa: S105
CONF_SECRET: Final = "secret"  # noqa: S105

# Secrets a diagnostics dump or a log must never show.
SECRET_KEYS: Final = frozenset(
    {CONF_AUTH_TOKEN, CONF_SIGNING_KEY, CONF_SECRET, CONF_WEBHOOK_ID}
)

# The provider whose webhook only the local network may call (it cannot sign).
LOCAL_ONLY_PROVIDERS: Final = frozenset({ProviderKind.HA_SIP})

# What each provider's secret field is called.
SECRET_FIELDS: Final = {
    ProviderKind.TWILIO: CONF_AUTH_TOKEN,
    ProviderKind.QUO: CONF_SIGNING_KEY,
    ProviderKind.TELNYX: CONF_PUBLIC_KEY,
    ProviderKind.GENERIC: CONF_SECRET,
}


def _secret(data: Mapping[str, Any], key: str) -> str | None:
    """Return the secret, or None when the owner chose unsigned requests."""
    value = str(data.get(key) or "").strip()
    if not value and data.get(CONF_ACCEPT_UNSIGNED, False):
        return None
    # An empty secret without the unsigned choice verifies nothing.
    return value


def build_provider(data: Mapping[str, Any]) -> Provider:
    """Build the provider module a webhook line's data asks for."""
    kind = ProviderKind(data[CONF_PROVIDER])
    if kind is ProviderKind.QUO:
        return QuoProvider(_secret(data, CONF_SIGNING_KEY))
    if kind is ProviderKind.TELNYX:
        return TelnyxProvider(_secret(data, CONF_PUBLIC_KEY))
    if kind is ProviderKind.HA_SIP:
        return HaSipProvider()
    if kind is ProviderKind.GENERIC:
        secret = _secret(data, CONF_SECRET)
        mode = AuthMode(data.get(CONF_AUTH_MODE, AuthMode.HEADER))
        return GenericProvider(
            number_path=str(data[CONF_NUMBER_PATH]),
            status_path=str(data[CONF_STATUS_PATH]),
            missed_values=[str(value) for value in data.get(CONF_MISSED_VALUES, [])],
            name_path=str(data.get(CONF_NAME_PATH) or "") or None,
            call_id_path=str(data.get(CONF_CALL_ID_PATH) or "") or None,
            auth_mode=AuthMode.NONE if secret is None else mode,
            header=str(data.get(CONF_SECRET_HEADER) or ""),
            secret=secret or "",
        )
    # Twilio, by webhook or through Home Assistant's Twilio integration.
    return TwilioProvider(_secret(data, CONF_AUTH_TOKEN))
