"""Config, options and reconfigure flows of Missed Call Text-Back.

Home Assistant looks for the flow here; its steps live in the flow package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import callback

from .const import CONF_SENDER, CONF_SOURCE, DOMAIN, SourceKind
from .flow.options import TextBackOptionsFlow
from .flow.senders import SenderSteps, is_native
from .flow.sip import SipSteps
from .flow.webhook import WebhookSteps


class TextBackConfigFlow(SenderSteps, WebhookSteps, SipSteps, domain=DOMAIN):
    """Set up a business line."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TextBackOptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return TextBackOptionsFlow()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the line hears its calls, or its provider's credentials."""
        entry = self._get_reconfigure_entry()
        if user_input is None and is_native(entry.options.get(CONF_SENDER)):
            return await self.async_step_reconfigure_menu()
        return await self.async_step_reconfigure_calls(user_input)

    async def async_step_reconfigure_menu(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Choose between the call source and the provider's credentials."""
        return self.async_show_menu(
            step_id="reconfigure_menu",
            menu_options=["reconfigure_calls", "reconfigure_sender"],
        )

    async def async_step_reconfigure_calls(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the line hears its calls."""
        source = self._get_reconfigure_entry().data.get(CONF_SOURCE)
        if source == SourceKind.WEBHOOK:
            return await self.async_step_reconfigure_webhook()
        if source == SourceKind.SIP:
            return await self.async_step_reconfigure_sip(user_input)
        return await self._async_reconfigure_entity(user_input)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Ask for new credentials: the provider or the SIP registrar refused them."""
        if await self.async_sender_refused(self._get_reauth_entry()):
            return await self.async_step_reauth_sender()
        return await super().async_step_reauth(entry_data)
