"""Source: a SIP user agent of its own that hears calls ring on a PBX or trunk.

Listen mode: the PBX forks INVITEs to this port (a ring group member, an
extra phone). Register mode: it REGISTERs with the registrar as one more
device of an account. Either way it rings and never answers; the CANCEL (or
the ring timeout) says how the call ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
import hashlib
import socket
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady

from ...calls import EndedCall
from ...const import DOMAIN, LOGGER
from .. import LineSink, SourceHealth
from .const import (
    CHECK_TIMEOUT,
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
    DEFAULT_RING_TIMEOUT,
    DEFAULT_SIP_PORT,
    SipMode,
)
from .endpoint import Address
from .message import ascii_uint
from .register import Account, Registration, RegState
from .ua import AllowList, CallReport, SipUserAgent

BIND_HOST = "0.0.0.0"  # noqa: S104 - the PBX is elsewhere on the LAN


class SipSetupError(Exception):
    """The endpoint could not start; key is a translation key."""

    def __init__(self, key: str, detail: str = "") -> None:
        """Initialize with a translation key and a detail for the message."""
        super().__init__(key)
        self.key = key
        self.detail = detail


def split_host_port(value: str) -> tuple[str, int]:
    """Split host[:port] (IPv6 in brackets); raise ValueError if malformed."""
    text = value.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or str(DEFAULT_SIP_PORT)
    else:
        # An IPv6 literal must be in brackets (RFC 3261 section 25.1).
        bracket = "]"
        host, _, port = text.partition(":")
        port = port or str(DEFAULT_SIP_PORT)
    number = ascii_uint(port)
    if not (host and bracket and number is not None and 0 < number < 65536):
        raise ValueError(value)
    return host, number


def stable_call_id(sip_call_id: str) -> str:
    """Return the line's call id for a SIP Call-ID (the same on retransmissions)."""
    digest = hashlib.blake2s(sip_call_id.encode(), digest_size=10).hexdigest()
    return f"sip-{digest}"


async def async_resolve(hass: HomeAssistant, registrar: str) -> Address:
    """Resolve the registrar to an IPv4 address and port."""
    try:
        host, port = split_host_port(registrar)
        infos = await hass.loop.getaddrinfo(
            host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM
        )
    except (OSError, ValueError) as err:
        raise SipSetupError("registrar_unreachable", str(err)) from err
    return str(infos[0][4][0]), int(infos[0][4][1])


def local_address_for(remote: Address) -> str:
    """Return this host's address on the route to remote (nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(remote)
        return str(probe.getsockname()[0])


class SipEndpoint:
    """The user agent on its UDP port, plus its registration."""

    def __init__(
        self,
        hass: HomeAssistant,
        data: Mapping[str, Any],
        on_call: Callable[[CallReport], None],
        on_state: Callable[[RegState], None],
    ) -> None:
        """Initialize from a config entry's data."""
        self._hass = hass
        self._data = data
        self._on_state = on_state
        self._sock: socket.socket | None = None
        self.ua = SipUserAgent(
            on_call=on_call,
            allowed=AllowList(list(data.get(CONF_ALLOWED_SOURCES, []))),
            ring_timeout=float(data.get(CONF_RING_TIMEOUT, DEFAULT_RING_TIMEOUT)),
            cause26_answered=bool(data.get(CONF_CAUSE26_ANSWERED, True)),
            now=hass.loop.time,
            call_later=hass.loop.call_later,
        )

    @property
    def registration(self) -> Registration | None:
        """Return the registration (register mode only)."""
        return self.ua.registration

    async def async_open(self) -> None:
        """Bind the port and, in register mode, send the first REGISTER."""
        data = self._data
        port = int(data[CONF_PORT])
        account: Account | None = None
        if data[CONF_MODE] == SipMode.REGISTER:
            registrar = await async_resolve(self._hass, data[CONF_REGISTRAR])
            self.ua.allowed.add(registrar[0])
            account = Account(
                registrar=registrar,
                domain=str(data[CONF_REGISTRAR]).strip(),
                user=str(data[CONF_USERNAME]),
                password=str(data[CONF_PASSWORD]),
                auth_user=str(data.get(CONF_AUTH_USERNAME) or ""),
                expires=int(data.get(CONF_EXPIRES, DEFAULT_EXPIRES)),
            )
        # The socket is ours, so closing it frees the port at once (the
        # transport would only close it on the next turn of the loop, too late
        # for a reload that binds it again).
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((BIND_HOST, port))
        except OSError as err:
            sock.close()
            raise SipSetupError("port_in_use", str(err)) from err
        sock.setblocking(False)  # noqa: FBT003
        self._sock = sock
        await self._hass.loop.create_datagram_endpoint(lambda: self.ua, sock=sock)
        # Port 0 (the config flow's check next to a running line) binds a free one.
        port = int(sock.getsockname()[1])
        if account is not None:
            try:
                contact = local_address_for(account.registrar)
            except OSError as err:
                self.close()
                raise SipSetupError("registrar_unreachable", str(err)) from err
            self.ua.registration = Registration(
                self.ua, account, contact, port, on_state=self._on_state
            )
            self.ua.registration.start()

    @callback
    def close(self) -> None:
        """Unregister and close the port."""
        self.ua.close()
        if self._sock is not None:
            self._sock.close()


async def async_check(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Open the endpoint once as the config flow asks; raise SipSetupError.

    In register mode wait for the registrar's answer to one REGISTER.
    """
    done: asyncio.Future[RegState] = hass.loop.create_future()

    @callback
    def _state(state: RegState) -> None:
        if state is not RegState.REGISTERING and not done.done():
            done.set_result(state)

    endpoint = SipEndpoint(hass, data, lambda _report: None, _state)
    await endpoint.async_open()
    try:
        if data[CONF_MODE] != SipMode.REGISTER:
            return
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                state = await done
        except TimeoutError as err:
            raise SipSetupError("registrar_unreachable") from err
        registration = endpoint.registration
        status = str(registration.status) if registration else ""
        if state is RegState.AUTH_FAILED:
            raise SipSetupError("auth_failed", status)
        if state is not RegState.REGISTERED:
            raise SipSetupError("register_failed", status)
    finally:
        endpoint.close()


class SipSource:
    """Feeds a line from the SIP user agent."""

    def __init__(
        self,
        hass: HomeAssistant,
        data: Mapping[str, Any],
        sink: LineSink,
        now: Callable[[], datetime],
        on_auth_failed: Callable[[], None] | None = None,
    ) -> None:
        """Initialize the source; on_auth_failed hears the registrar refuse us."""
        self._hass = hass
        self._data = data
        self._sink = sink
        self._now = now
        self._on_auth_failed = on_auth_failed
        self._listeners: list[CALLBACK_TYPE] = []
        self.endpoint = SipEndpoint(hass, data, self._on_call, self._on_state)

    @property
    def registers(self) -> bool:
        """Return whether this source registers with a registrar."""
        return self._data.get(CONF_MODE) == SipMode.REGISTER

    def health(self) -> SourceHealth:
        """Return the registration and the user agent's counters."""
        ua = self.endpoint.ua
        registration = self.endpoint.registration
        return SourceHealth(
            registers=self.registers,
            registered=self.registration_state is RegState.REGISTERED,
            diagnostics={
                "sip": {
                    "stats": asdict(ua.stats),
                    "transactions": ua.transactions,
                    "registration": None
                    if registration is None
                    else {
                        "state": registration.state,
                        "status": registration.status,
                        "granted": registration.granted,
                    },
                }
            },
        )

    @property
    def registration_state(self) -> RegState | None:
        """Return where the registration stands (None in listen mode)."""
        registration = self.endpoint.registration
        return registration.state if registration is not None else None

    async def async_start(self) -> CALLBACK_TYPE:
        """Open the endpoint; a port in use makes the entry retry later."""
        try:
            await self.endpoint.async_open()
        except SipSetupError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key=f"sip_{err.key}",
                translation_placeholders={
                    "port": str(self._data[CONF_PORT]),
                    "error": err.detail,
                },
            ) from err
        return self.endpoint.close

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update when the registration state changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _on_state(self, state: RegState) -> None:
        LOGGER.debug("SIP registration: %s", state)
        if state is RegState.AUTH_FAILED and self._on_auth_failed is not None:
            self._on_auth_failed()
        for update in list(self._listeners):
            update()

    @callback
    def _on_call(self, report: CallReport) -> None:
        ended_at = self._now()
        self._sink.calls_ended(
            [
                EndedCall(
                    call_id=stable_call_id(report.call_id),
                    number=report.number,
                    caller_name=report.caller_name,
                    started_at=ended_at - timedelta(seconds=report.ring_seconds),
                    ended_at=ended_at,
                    outcome=report.outcome,
                )
            ]
        )
