"""Config flow steps of provider-webhook lines (a mixin of the config flow)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.helpers import selector

from .compat import vol
from .const import CONF_BUSINESS_NAME, CONF_LINE_NAME, CONF_SOURCE, SourceKind
from .sources.providers import ProviderKind
from .sources.providers.generic import AuthMode
from .sources.providers.quo import decode_key
from .sources.providers.telnyx import load_public_key
from .sources.webhook import webhook_url
from .sources.webhook_config import (
    CONF_ACCEPT_UNSIGNED,
    CONF_AUTH_MODE,
    CONF_AUTH_TOKEN,
    CONF_CALL_ID_PATH,
    CONF_MISSED_VALUES,
    CONF_NAME_PATH,
    CONF_NUMBER_PATH,
    CONF_PROVIDER,
    CONF_PUBLIC_KEY,
    CONF_PUBLIC_URL,
    CONF_SECRET,
    CONF_SECRET_HEADER,
    CONF_SIGNING_KEY,
    CONF_STATUS_PATH,
    CONF_WEBHOOK_ID,
    SECRET_FIELDS,
)

# Only one line can hear Home Assistant's Twilio integration: its event
# carries every call of every Twilio number.
TWILIO_INTEGRATION_UNIQUE_ID = f"{SourceKind.WEBHOOK}:{ProviderKind.TWILIO_INTEGRATION}"
DEFAULT_SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 - a header name
DEFAULT_MISSED_VALUES = ("missed", "no-answer", "busy")

_PROVIDER_FIELDS: dict[ProviderKind, tuple[str, ...]] = {
    ProviderKind.TWILIO: (CONF_AUTH_TOKEN, CONF_PUBLIC_URL, CONF_ACCEPT_UNSIGNED),
    ProviderKind.QUO: (CONF_SIGNING_KEY, CONF_ACCEPT_UNSIGNED),
    ProviderKind.TELNYX: (CONF_PUBLIC_KEY, CONF_ACCEPT_UNSIGNED),
    ProviderKind.GENERIC: (
        CONF_NUMBER_PATH,
        CONF_STATUS_PATH,
        CONF_MISSED_VALUES,
        CONF_NAME_PATH,
        CONF_CALL_ID_PATH,
        CONF_AUTH_MODE,
        CONF_SECRET_HEADER,
        CONF_SECRET,
        CONF_ACCEPT_UNSIGNED,
    ),
}


def _text(kind: selector.TextSelectorType = selector.TextSelectorType.TEXT) -> Any:
    return selector.TextSelector(selector.TextSelectorConfig(type=kind))


def _provider_schema(kind: ProviderKind, defaults: Mapping[str, Any]) -> vol.Schema:
    password = selector.TextSelectorType.PASSWORD

    def optional(key: str, field: Any) -> tuple[Any, Any]:
        return vol.Optional(
            key, description={"suggested_value": defaults.get(key)}
        ), field

    unsigned = (
        vol.Required(
            CONF_ACCEPT_UNSIGNED, default=defaults.get(CONF_ACCEPT_UNSIGNED, False)
        ),
        selector.BooleanSelector(),
    )
    fields: list[tuple[Any, Any]]
    if kind is ProviderKind.TWILIO:
        fields = [
            optional(CONF_AUTH_TOKEN, _text(password)),
            optional(CONF_PUBLIC_URL, _text(selector.TextSelectorType.URL)),
            unsigned,
        ]
    elif kind is ProviderKind.QUO:
        fields = [optional(CONF_SIGNING_KEY, _text(password)), unsigned]
    elif kind is ProviderKind.TELNYX:
        fields = [optional(CONF_PUBLIC_KEY, _text()), unsigned]
    else:
        fields = [
            (
                vol.Required(
                    CONF_NUMBER_PATH, default=defaults.get(CONF_NUMBER_PATH, "from")
                ),
                _text(),
            ),
            (
                vol.Required(
                    CONF_STATUS_PATH, default=defaults.get(CONF_STATUS_PATH, "status")
                ),
                _text(),
            ),
            (
                vol.Required(
                    CONF_MISSED_VALUES,
                    default=list(
                        defaults.get(CONF_MISSED_VALUES, DEFAULT_MISSED_VALUES)
                    ),
                ),
                selector.TextSelector(selector.TextSelectorConfig(multiple=True)),
            ),
            optional(CONF_NAME_PATH, _text()),
            optional(CONF_CALL_ID_PATH, _text()),
            (
                vol.Required(
                    CONF_AUTH_MODE,
                    default=defaults.get(CONF_AUTH_MODE, AuthMode.HEADER),
                ),
                selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[AuthMode.HEADER.value, AuthMode.HMAC.value],
                        translation_key=CONF_AUTH_MODE,
                        mode=selector.SelectSelectorMode.LIST,
                    )
                ),
            ),
            (
                vol.Required(
                    CONF_SECRET_HEADER,
                    default=defaults.get(CONF_SECRET_HEADER, DEFAULT_SECRET_HEADER),
                ),
                _text(),
            ),
            optional(CONF_SECRET, _text(password)),
            unsigned,
        ]
    return vol.Schema(dict(fields))


def _clean_provider(
    kind: ProviderKind, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (the cleaned settings, errors) of a provider form."""
    cleaned: dict[str, Any] = {}
    for key in _PROVIDER_FIELDS[kind]:
        value = user_input.get(key)
        if key == CONF_MISSED_VALUES:
            cleaned[key] = sorted(
                {str(item).strip() for item in value or [] if str(item).strip()}
            )
        elif key == CONF_ACCEPT_UNSIGNED:
            cleaned[key] = bool(value)
        else:
            cleaned[key] = str(value or "").strip()
    return cleaned, _provider_errors(kind, cleaned)


def _generic_errors(cleaned: Mapping[str, Any]) -> dict[str, str]:
    for key in (CONF_NUMBER_PATH, CONF_STATUS_PATH):
        if not cleaned[key]:
            return {key: "path_required"}
    if not cleaned[CONF_MISSED_VALUES]:
        return {CONF_MISSED_VALUES: "missed_values_required"}
    if cleaned[CONF_SECRET] and not cleaned[CONF_SECRET_HEADER]:
        return {CONF_SECRET_HEADER: "header_required"}
    return {}


def _provider_errors(kind: ProviderKind, cleaned: Mapping[str, Any]) -> dict[str, str]:
    secret_field = SECRET_FIELDS[kind]
    secret = cleaned[secret_field]
    if kind is ProviderKind.GENERIC and (errors := _generic_errors(cleaned)):
        return errors
    if not secret:
        if not cleaned[CONF_ACCEPT_UNSIGNED]:
            return {secret_field: "secret_required"}
        return {}
    if kind is ProviderKind.QUO and decode_key(secret) is None:
        return {CONF_SIGNING_KEY: "invalid_signing_key"}
    if kind is ProviderKind.TELNYX and load_public_key(secret) is None:
        return {CONF_PUBLIC_KEY: "invalid_public_key"}
    public_url = cleaned.get(CONF_PUBLIC_URL)
    if public_url and not public_url.startswith(("https://", "http://")):
        return {CONF_PUBLIC_URL: "invalid_url"}
    return {}


class WebhookFlowMixin(ConfigFlow):
    """Steps that set up and reconfigure a line heard through a webhook.

    The config flow inherits these; its texting step follows them.
    """

    _data: dict[str, Any]
    _options: dict[str, Any]

    async def async_step_texting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Continue with the config flow's texting step."""
        raise NotImplementedError

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the line and choose its phone provider."""
        if user_input is not None:
            kind = ProviderKind(user_input[CONF_PROVIDER])
            self._options = {
                CONF_LINE_NAME: user_input[CONF_LINE_NAME].strip(),
                CONF_BUSINESS_NAME: user_input[CONF_BUSINESS_NAME].strip(),
            }
            self._data = {CONF_SOURCE: SourceKind.WEBHOOK, CONF_PROVIDER: kind}
            if kind is ProviderKind.TWILIO_INTEGRATION:
                await self.async_set_unique_id(TWILIO_INTEGRATION_UNIQUE_ID)
                self._abort_if_unique_id_configured()
                return await self.async_step_texting()
            webhook_id = webhook.async_generate_id()
            await self.async_set_unique_id(webhook_id)
            self._data[CONF_WEBHOOK_ID] = webhook_id
            if kind is ProviderKind.HA_SIP:
                return await self.async_step_webhook_url_ha_sip()
            return await self._async_provider_step(kind, None)
        schema = vol.Schema(
            {
                vol.Required(CONF_LINE_NAME): _text(),
                vol.Required(CONF_BUSINESS_NAME): _text(),
                vol.Required(
                    CONF_PROVIDER, default=ProviderKind.TWILIO
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[kind.value for kind in ProviderKind],
                        translation_key=CONF_PROVIDER,
                        mode=selector.SelectSelectorMode.LIST,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="webhook", data_schema=schema)

    async def async_step_webhook_twilio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter Twilio's auth token."""
        return await self._async_provider_step(ProviderKind.TWILIO, user_input)

    async def async_step_webhook_quo(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter Quo's signing key."""
        return await self._async_provider_step(ProviderKind.QUO, user_input)

    async def async_step_webhook_telnyx(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter Telnyx's public key."""
        return await self._async_provider_step(ProviderKind.TELNYX, user_input)

    async def async_step_webhook_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Describe a JSON webhook and its secret."""
        return await self._async_provider_step(ProviderKind.GENERIC, user_input)

    async def _async_provider_step(
        self, kind: ProviderKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            cleaned, errors = _clean_provider(kind, user_input)
            if not errors:
                self._data.update(cleaned)
                if self.source == SOURCE_RECONFIGURE:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data=self._data
                    )
                return await self._async_url_step(kind, None)
        return self.async_show_form(
            step_id=f"webhook_{kind}",
            data_schema=_provider_schema(kind, user_input or self._data),
            errors=errors,
            description_placeholders={"url": self._url()},
        )

    def _url(self) -> str:
        return webhook_url(self.hass, self._data[CONF_WEBHOOK_ID])

    async def async_step_webhook_url_twilio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show Twilio's webhook URL."""
        return await self._async_url_step(ProviderKind.TWILIO, user_input)

    async def async_step_webhook_url_quo(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show Quo's webhook URL."""
        return await self._async_url_step(ProviderKind.QUO, user_input)

    async def async_step_webhook_url_telnyx(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show Telnyx's webhook URL."""
        return await self._async_url_step(ProviderKind.TELNYX, user_input)

    async def async_step_webhook_url_ha_sip(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the webhook id for ha-sip."""
        return await self._async_url_step(ProviderKind.HA_SIP, user_input)

    async def async_step_webhook_url_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the JSON webhook's URL."""
        return await self._async_url_step(ProviderKind.GENERIC, user_input)

    async def _async_url_step(
        self, kind: ProviderKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        if user_input is not None:
            if self.source == SOURCE_RECONFIGURE:
                return self.async_abort(reason="reconfigure_successful")
            return await self.async_step_texting()
        return self.async_show_form(
            step_id=f"webhook_url_{kind}",
            data_schema=vol.Schema({}),
            description_placeholders={
                "url": self._url(),
                "webhook_id": self._data[CONF_WEBHOOK_ID],
            },
        )

    async def async_step_reconfigure_webhook(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Change a webhook line's secrets; its URL stays."""
        entry = self._get_reconfigure_entry()
        self._data = dict(entry.data)
        kind = ProviderKind(self._data[CONF_PROVIDER])
        if kind is ProviderKind.TWILIO_INTEGRATION:
            return self.async_abort(reason="nothing_to_reconfigure")
        if kind is ProviderKind.HA_SIP:
            return await self._async_url_step(kind, None)
        return await self._async_provider_step(kind, None)
