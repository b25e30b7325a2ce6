"""Config flow steps of provider-webhook lines, built on the shared steps."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigFlowResult,
)
from homeassistant.helpers import selector

from ..compat import vol
from ..const import CONF_BUSINESS_NAME, CONF_LINE_NAME, CONF_SOURCE, SourceKind
from ..public_url import PublicUrl, async_public_webhook_url
from ..sources.providers import FieldKind, FormField, ProviderDescription, ProviderKind
from ..sources.providers.registry import PROVIDERS
from ..sources.webhook import webhook_url
from ..sources.webhook_config import CONF_PROVIDER, CONF_PUBLIC_URL, CONF_WEBHOOK_ID
from .config import ConfigSteps
from .selectors import text

# Providers that post from the internet: they need a public https URL.
_INTERNET_PROVIDERS = frozenset(
    {ProviderKind.TWILIO, ProviderKind.QUO, ProviderKind.TELNYX}
)
_TEXT_KINDS = {
    FieldKind.TEXT: selector.TextSelectorType.TEXT,
    FieldKind.PASSWORD: selector.TextSelectorType.PASSWORD,
    FieldKind.URL: selector.TextSelectorType.URL,
}


def _selector(field: FormField) -> Any:
    if field.kind is FieldKind.TEXT_LIST:
        return selector.TextSelector(selector.TextSelectorConfig(multiple=True))
    if field.kind is FieldKind.CHOICE:
        return selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(field.choices),
                translation_key=field.key,
                mode=selector.SelectSelectorMode.LIST,
            )
        )
    if field.kind is FieldKind.FLAG:
        return selector.BooleanSelector()
    return text(_TEXT_KINDS[field.kind])


def _marker(field: FormField, defaults: Mapping[str, Any]) -> Any:
    if field.default is None:
        return vol.Optional(
            field.key, description={"suggested_value": defaults.get(field.key)}
        )
    default = defaults.get(field.key, field.default)
    if field.kind is FieldKind.TEXT_LIST:
        default = list(default)
    return vol.Required(field.key, default=default)


def _provider_schema(
    description: ProviderDescription, defaults: Mapping[str, Any]
) -> vol.Schema:
    return vol.Schema(
        {_marker(field, defaults): _selector(field) for field in description.form}
    )


class WebhookSteps(ConfigSteps):
    """Steps that set up and reconfigure a line heard through a webhook.

    The texting step of ConfigSteps follows them. Each provider's two steps
    (webhook_<key> and webhook_url_<key>) are added below from the registry.
    """

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the line and choose its phone provider."""
        if user_input is not None:
            description = PROVIDERS[ProviderKind(user_input[CONF_PROVIDER])]
            self._options = {
                CONF_LINE_NAME: user_input[CONF_LINE_NAME].strip(),
                CONF_BUSINESS_NAME: user_input[CONF_BUSINESS_NAME].strip(),
            }
            self._data = {
                CONF_SOURCE: SourceKind.WEBHOOK,
                CONF_PROVIDER: description.kind,
            }
            if not description.webhook:
                # Without a webhook of its own, a line would hear every call
                # the other lines of this provider hear: only one may.
                await self.async_set_unique_id(
                    f"{SourceKind.WEBHOOK}:{description.kind}"
                )
                self._abort_if_unique_id_configured()
                return await self.async_step_texting()
            webhook_id = webhook.async_generate_id()
            await self.async_set_unique_id(webhook_id)
            self._data[CONF_WEBHOOK_ID] = webhook_id
            if not description.form:
                return await self._async_url_step(description, None)
            return await self._async_provider_step(description, None)
        schema = vol.Schema(
            {
                vol.Required(CONF_LINE_NAME): text(),
                vol.Required(CONF_BUSINESS_NAME): text(),
                vol.Required(
                    CONF_PROVIDER, default=ProviderKind.TWILIO
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[kind.value for kind in PROVIDERS],
                        translation_key=CONF_PROVIDER,
                        mode=selector.SelectSelectorMode.LIST,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="webhook", data_schema=schema, last_step=False
        )

    async def _async_provider_step(
        self, description: ProviderDescription, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        public = await self._async_public_url(description)
        if user_input is not None:
            cleaned = description.clean(user_input)
            errors = description.errors(cleaned)
            if not errors:
                if public.cloudhook and not cleaned.get(CONF_PUBLIC_URL, True):
                    # Twilio signs the URL it calls: the cloudhook, not ours.
                    cleaned[CONF_PUBLIC_URL] = public.url
                self._data.update(cleaned)
                if self.source == SOURCE_RECONFIGURE:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data=self._data
                    )
                return await self._async_url_step(description, None)
        elif public.why:
            errors = {"base": public.why}
        return self.async_show_form(
            step_id=f"webhook_{description.translation_key}",
            data_schema=_provider_schema(description, user_input or self._data),
            errors=errors,
            description_placeholders={"url": public.url},
            last_step=self.source == SOURCE_RECONFIGURE,
        )

    async def _async_public_url(self, description: ProviderDescription) -> PublicUrl:
        """Return the URL the provider should call, and whether it can."""
        webhook_id = self._data[CONF_WEBHOOK_ID]
        if description.kind not in _INTERNET_PROVIDERS:
            # ha-sip and most generic senders post from the local network.
            return PublicUrl(url=webhook_url(self.hass, webhook_id), reachable=True)
        return await async_public_webhook_url(self.hass, webhook_id)

    async def _async_url_step(
        self, description: ProviderDescription, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        if user_input is not None:
            if self.source == SOURCE_RECONFIGURE:
                return self.async_abort(reason="reconfigure_successful")
            return await self.async_step_texting()
        public = await self._async_public_url(description)
        return self.async_show_form(
            step_id=f"webhook_url_{description.translation_key}",
            data_schema=vol.Schema({}),
            errors={"base": public.why} if public.why else {},
            description_placeholders={
                "url": public.url,
                "webhook_id": self._data[CONF_WEBHOOK_ID],
            },
            last_step=self.source == SOURCE_RECONFIGURE,
        )

    async def async_step_reconfigure_webhook(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Change a webhook line's secrets; its URL stays."""
        entry = self._get_reconfigure_entry()
        self._data = dict(entry.data)
        description = PROVIDERS[ProviderKind(self._data[CONF_PROVIDER])]
        if not description.webhook:
            return self.async_abort(reason="nothing_to_reconfigure")
        if not description.form:
            return await self._async_url_step(description, None)
        return await self._async_provider_step(description, None)


type _Step = Callable[
    [WebhookSteps, dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]
]


def _provider_steps(description: ProviderDescription) -> tuple[_Step, _Step]:
    """Return a provider's settings step and its URL step."""

    async def settings(
        flow: WebhookSteps, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow._async_provider_step(description, user_input)  # noqa: SLF001

    async def url(
        flow: WebhookSteps, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow._async_url_step(description, user_input)  # noqa: SLF001

    return settings, url


# Home Assistant finds a step by its method's name, so each provider in the
# registry gets its own pair without a line here.
for _description in PROVIDERS.values():
    if not _description.webhook:
        continue
    _settings, _url_step = _provider_steps(_description)
    _key = _description.translation_key
    if _description.form:
        _settings.__doc__ = f"Enter the settings of {_key}."
        setattr(WebhookSteps, f"async_step_webhook_{_key}", _settings)
    _url_step.__doc__ = f"Show the webhook URL for {_key}."
    setattr(WebhookSteps, f"async_step_webhook_url_{_key}", _url_step)
