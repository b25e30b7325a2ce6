"""Walks the webhook steps of the config flow (shared with the translation checks)."""

from __future__ import annotations

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType

from custom_components.missed_call_textback.const import (
    CONF_BUSINESS_NAME,
    CONF_LINE_NAME,
    DOMAIN,
)

# Every form the webhook steps show, as (flow kind, step id).
WEBHOOK_FORMS = {
    ("config", "webhook"),
    ("config", "webhook_twilio"),
    ("config", "webhook_quo"),
    ("config", "webhook_telnyx"),
    ("config", "webhook_generic"),
    ("config", "webhook_url_twilio"),
    ("config", "webhook_url_quo"),
    ("config", "webhook_url_telnyx"),
    ("config", "webhook_url_ha_sip"),
    ("config", "webhook_url_generic"),
}
WEBHOOK_SELECTORS = {"provider", "auth_mode"}

# Provider forms filled in so they pass.
PROVIDER_INPUT = {
    "twilio": {"auth_token": "a" * 32, "accept_unsigned": False},
    "quo": {"signing_key": "a2V5", "accept_unsigned": False},
    "telnyx": {"public_key": "", "accept_unsigned": True},
    "generic": {
        "number_path": "from",
        "status_path": "status",
        "missed_values": ["missed"],
        "auth_mode": "header",
        "secret_header": "X-Webhook-Secret",
        "secret": "s",
        "accept_unsigned": False,
    },
}


async def start_webhook(hass: HomeAssistant, provider: str) -> FlowResult:
    """Open the webhook step and choose a provider."""
    flow = hass.config_entries.flow
    result = await flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "webhook"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    return await flow.async_configure(
        result["flow_id"],
        {
            CONF_LINE_NAME: "Main line",
            CONF_BUSINESS_NAME: "Acme Plumbing",
            "provider": provider,
        },
    )


async def collect_webhook_forms(hass: HomeAssistant) -> list[tuple[str, FlowResult]]:
    """Reach every form of the webhook steps."""
    flow = hass.config_entries.flow
    forms: list[tuple[str, FlowResult]] = []
    result = await flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "webhook"})
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    for provider, user_input in PROVIDER_INPUT.items():
        result = await start_webhook(hass, provider)
        forms.append(("config", result))
        result = await flow.async_configure(result["flow_id"], user_input)
        forms.append(("config", result))
        flow.async_abort(result["flow_id"])
    result = await start_webhook(hass, "ha_sip")
    forms.append(("config", result))
    flow.async_abort(result["flow_id"])
    return forms
