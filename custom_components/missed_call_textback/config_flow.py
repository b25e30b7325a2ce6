"""Config, options and reconfigure flows of Missed Call Text-Back.

Home Assistant looks for the flow here; its steps live in the flow package.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import callback

from .const import CONF_SOURCE, DOMAIN, SourceKind
from .flow.options import TextBackOptionsFlow
from .flow.sip import SipSteps
from .flow.webhook import WebhookSteps


class TextBackConfigFlow(WebhookSteps, SipSteps, domain=DOMAIN):
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
        """Change how the line hears its calls."""
        source = self._get_reconfigure_entry().data.get(CONF_SOURCE)
        if source == SourceKind.WEBHOOK:
            return await self.async_step_reconfigure_webhook()
        if source == SourceKind.SIP:
            return await self.async_step_reconfigure_sip(user_input)
        return await self._async_reconfigure_entity(user_input)
