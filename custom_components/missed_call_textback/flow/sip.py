"""Config flow steps of the SIP source, built on the shared steps."""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigFlowResult,
)
from homeassistant.helpers import selector

from ..compat import vol
from ..const import CONF_BUSINESS_NAME, CONF_LINE_NAME, CONF_SOURCE, SourceKind
from ..sources.sip import SipSetupError, async_check, split_host_port
from ..sources.sip.const import (
    CONF_ALLOWED_SOURCES,
    CONF_AUTH_USERNAME,
    CONF_CAUSE26_ANSWERED,
    CONF_EXPIRES,
    CONF_MODE,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_REGISTRAR,
    CONF_RING_TIMEOUT,
    CONF_USERNAME,
    DEFAULT_EXPIRES,
    DEFAULT_PORT,
    DEFAULT_RING_TIMEOUT,
    MAX_EXPIRES,
    MAX_RING_TIMEOUT,
    MIN_EXPIRES,
    SipMode,
)
from ..sources.sip.ua import AllowList
from .config import ConfigSteps
from .selectors import number

_LISTEN_KEYS = (
    CONF_MODE,
    CONF_PORT,
    CONF_ALLOWED_SOURCES,
    CONF_RING_TIMEOUT,
    CONF_CAUSE26_ANSWERED,
)
_REGISTER_KEYS = (
    CONF_REGISTRAR,
    CONF_USERNAME,
    CONF_AUTH_USERNAME,
    CONF_PASSWORD,
    CONF_EXPIRES,
)


def sip_unique_id(port: int) -> str:
    """Return the unique id of a SIP line: one line per UDP port."""
    return f"{SourceKind.SIP}:{port}"


def _sip_schema(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    return {
        vol.Required(
            CONF_MODE, default=defaults.get(CONF_MODE, SipMode.LISTEN)
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[mode.value for mode in SipMode],
                translation_key="sip_mode",
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): number(
            1024, 65535
        ),
        vol.Optional(
            CONF_ALLOWED_SOURCES,
            default=list(defaults.get(CONF_ALLOWED_SOURCES, [])),
        ): selector.TextSelector(selector.TextSelectorConfig(multiple=True)),
        vol.Required(
            CONF_RING_TIMEOUT,
            default=defaults.get(CONF_RING_TIMEOUT, DEFAULT_RING_TIMEOUT),
        ): number(5, MAX_RING_TIMEOUT, "s"),
        vol.Required(
            CONF_CAUSE26_ANSWERED, default=defaults.get(CONF_CAUSE26_ANSWERED, True)
        ): selector.BooleanSelector(),
    }


def _register_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(
                CONF_REGISTRAR, default=defaults.get(CONF_REGISTRAR, vol.UNDEFINED)
            ): selector.TextSelector(),
            vol.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, vol.UNDEFINED)
            ): selector.TextSelector(),
            vol.Optional(
                CONF_AUTH_USERNAME,
                description={"suggested_value": defaults.get(CONF_AUTH_USERNAME)},
            ): selector.TextSelector(),
            vol.Required(
                CONF_PASSWORD, default=defaults.get(CONF_PASSWORD, vol.UNDEFINED)
            ): selector.TextSelector(
                selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
            ),
            vol.Required(
                CONF_EXPIRES, default=defaults.get(CONF_EXPIRES, DEFAULT_EXPIRES)
            ): number(MIN_EXPIRES, MAX_EXPIRES, "s"),
        }
    )


def _covers_everything(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    """Whether the networks together hold every IPv4 or every IPv6 address.

    Such a list turns the allow-list off: anyone who finds the port could ring
    the line with any caller ID and have it texted. Halves (0.0.0.0/1 plus
    128.0.0.0/1) are collapsed first, so they count too.
    """
    v4 = [net for net in networks if isinstance(net, ipaddress.IPv4Network)]
    v6 = [net for net in networks if isinstance(net, ipaddress.IPv6Network)]
    return any(net.prefixlen == 0 for net in ipaddress.collapse_addresses(v4)) or any(
        net.prefixlen == 0 for net in ipaddress.collapse_addresses(v6)
    )


def _clean_sip(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (data, errors) for the listen settings."""
    sources = [
        str(value).strip()
        for value in user_input.get(CONF_ALLOWED_SOURCES, [])
        if str(value).strip()
    ]
    try:
        allowed = AllowList(sources)
    except ValueError:
        return {}, {CONF_ALLOWED_SOURCES: "invalid_source"}
    if _covers_everything(allowed.networks):
        return {}, {CONF_ALLOWED_SOURCES: "sources_everything"}
    if user_input[CONF_MODE] == SipMode.LISTEN and not sources:
        return {}, {CONF_ALLOWED_SOURCES: "sources_required"}
    return {
        CONF_SOURCE: SourceKind.SIP,
        CONF_MODE: user_input[CONF_MODE],
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_ALLOWED_SOURCES: sources,
        CONF_RING_TIMEOUT: int(user_input[CONF_RING_TIMEOUT]),
        CONF_CAUSE26_ANSWERED: bool(user_input[CONF_CAUSE26_ANSWERED]),
    }, {}


def _clean_register(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    registrar = str(user_input[CONF_REGISTRAR]).strip()
    try:
        split_host_port(registrar)
    except ValueError:
        return {}, {CONF_REGISTRAR: "invalid_registrar"}
    return {
        CONF_REGISTRAR: registrar,
        CONF_USERNAME: str(user_input[CONF_USERNAME]).strip(),
        CONF_AUTH_USERNAME: str(user_input.get(CONF_AUTH_USERNAME) or "").strip(),
        CONF_PASSWORD: str(user_input[CONF_PASSWORD]),
        CONF_EXPIRES: int(user_input[CONF_EXPIRES]),
    }, {}


class SipSteps(ConfigSteps):
    """The steps that set up (and reconfigure) a SIP line."""

    def _port_taken(self, unique_id: str, entry_id: str | None = None) -> bool:
        return any(
            other.unique_id == unique_id and other.entry_id != entry_id
            for other in self._async_current_entries(include_ignore=False)
        )

    async def _async_check_sip(self, data: dict[str, Any]) -> dict[str, str]:
        """Bind the port and, in register mode, register once."""
        check = dict(data)
        if self.source in (SOURCE_RECONFIGURE, SOURCE_REAUTH):
            entry = self.hass.config_entries.async_get_known_entry(
                self.context["entry_id"]
            )
            if entry.data.get(CONF_PORT) == data[CONF_PORT]:
                # The running line holds its own port: check on a free one.
                check[CONF_PORT] = 0
        try:
            await async_check(self.hass, check)
        except SipSetupError as err:
            field = CONF_PORT if err.key == "port_in_use" else "base"
            return {field: err.key}
        return {}

    async def async_step_sip(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the line and say how the SIP user agent hears calls."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _clean_sip(user_input)
            if not errors:
                unique_id = sip_unique_id(data[CONF_PORT])
                if self._port_taken(unique_id):
                    return self.async_abort(reason="port_configured")
                await self.async_set_unique_id(unique_id, raise_on_progress=False)
                self._options = {
                    CONF_LINE_NAME: user_input[CONF_LINE_NAME].strip(),
                    CONF_BUSINESS_NAME: user_input[CONF_BUSINESS_NAME].strip(),
                }
                self._data = data
                if data[CONF_MODE] == SipMode.REGISTER:
                    return await self.async_step_sip_register()
                errors = await self._async_check_sip(data)
                if not errors:
                    return await self.async_step_texting()
        defaults = user_input or {}
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LINE_NAME, default=defaults.get(CONF_LINE_NAME, vol.UNDEFINED)
                ): selector.TextSelector(),
                vol.Required(
                    CONF_BUSINESS_NAME,
                    default=defaults.get(CONF_BUSINESS_NAME, vol.UNDEFINED),
                ): selector.TextSelector(),
                **_sip_schema(defaults),
            }
        )
        return self.async_show_form(
            step_id="sip", data_schema=schema, errors=errors, last_step=False
        )

    async def async_step_sip_register(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the registrar and the account; register once to check them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            account, errors = _clean_register(user_input)
            if not errors:
                data = {**self._data, **account}
                errors = await self._async_check_sip(data)
                if not errors:
                    self._data = data
                    if self.source == SOURCE_RECONFIGURE:
                        return self._async_sip_reconfigured()
                    return await self.async_step_texting()
        return self.async_show_form(
            step_id="sip_register",
            data_schema=_register_schema(user_input or self._data),
            errors=errors,
            last_step=self.source == SOURCE_RECONFIGURE,
        )

    async def async_step_reconfigure_sip(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how a SIP line hears its calls."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _clean_sip(user_input)
            if not errors:
                if self._port_taken(sip_unique_id(data[CONF_PORT]), entry.entry_id):
                    return self.async_abort(reason="port_configured")
                # Keep the account for the register form's defaults.
                self._data = {
                    **{k: entry.data[k] for k in _REGISTER_KEYS if k in entry.data},
                    **data,
                }
                if data[CONF_MODE] == SipMode.REGISTER:
                    return await self.async_step_sip_register()
                errors = await self._async_check_sip(data)
                if not errors:
                    self._data = data
                    return self._async_sip_reconfigured()
        return self.async_show_form(
            step_id="reconfigure_sip",
            data_schema=vol.Schema(_sip_schema(user_input or entry.data)),
            errors=errors,
        )

    def _async_sip_reconfigured(self) -> ConfigFlowResult:
        return self.async_update_reload_and_abort(
            self._get_reconfigure_entry(),
            unique_id=sip_unique_id(self._data[CONF_PORT]),
            data=self._data,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Ask for new credentials: the registrar refused the SIP account."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the account's user name and password and register once with them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_USERNAME: str(user_input[CONF_USERNAME]).strip(),
                CONF_AUTH_USERNAME: str(
                    user_input.get(CONF_AUTH_USERNAME) or ""
                ).strip(),
                CONF_PASSWORD: str(user_input[CONF_PASSWORD]),
            }
            errors = await self._async_check_sip(data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        defaults = user_input or entry.data
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_USERNAME, default=defaults.get(CONF_USERNAME, "")
                    ): selector.TextSelector(),
                    vol.Optional(
                        CONF_AUTH_USERNAME,
                        description={
                            "suggested_value": defaults.get(CONF_AUTH_USERNAME)
                        },
                    ): selector.TextSelector(),
                    vol.Required(CONF_PASSWORD): selector.TextSelector(
                        selector.TextSelectorConfig(
                            type=selector.TextSelectorType.PASSWORD
                        )
                    ),
                }
            ),
            errors=errors,
            description_placeholders={"registrar": str(entry.data[CONF_REGISTRAR])},
        )
