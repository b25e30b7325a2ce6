"""A REGISTER client (RFC 3261 section 10), so the PBX rings us like a phone.

One binding, with digest authentication, refreshed before it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import logging

from .digest import Challenge, DigestError, authorization, best_challenge
from .endpoint import ALLOW, T1, T2, USER_AGENT, Address, Endpoint, Timer
from .message import (
    SipMessage,
    address_uri,
    ascii_uint,
    header_params,
    new_branch,
    new_call_id,
    new_tag,
    serialize,
)

_LOGGER = logging.getLogger(__name__)

TIMER_F = 64 * T1  # non-INVITE client transaction timeout
# Digest challenges are parsed character by character; a real one is a few
# hundred characters.
MAX_CHALLENGE = 2048
# Registration retries after a failure: from this, doubling, up to the cap.
RETRY_FIRST = 30.0
RETRY_MAX = 600.0
REFRESH_SHARE = 0.8


class RegState(StrEnum):
    """Where a registration stands."""

    IDLE = "idle"
    REGISTERING = "registering"
    REGISTERED = "registered"
    AUTH_FAILED = "auth_failed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Account:
    """What a registration needs to know."""

    registrar: Address  # resolved address
    domain: str  # as the owner typed it (host[:port]): the URIs' host part
    user: str
    password: str = field(repr=False)
    auth_user: str = ""
    expires: int = 300


class Registration:
    """A REGISTER client: one binding, refreshed before it expires."""

    def __init__(
        self,
        ua: Endpoint,
        account: Account,
        contact_host: str,
        contact_port: int,
        *,
        on_state: Callable[[RegState], None],
    ) -> None:
        """Initialize; start() sends the first REGISTER."""
        self._ua = ua
        self._account = account
        self._contact = f"<sip:{account.user}@{contact_host}:{contact_port}>"
        self._via_host = f"{contact_host}:{contact_port}"
        self._on_state = on_state
        self._call_id = new_call_id(contact_host)
        self._from_tag = new_tag()
        self._cseq = 0
        self._branch = ""
        self._request = b""
        self._expires = account.expires
        self._challenge: Challenge | None = None
        self._challenge_header = "Authorization"
        self._nc = 0
        self._answered_challenge = False
        self._interval = T1
        self._timers: dict[str, Timer] = {}
        self._retry = RETRY_FIRST
        self.state = RegState.IDLE
        self.status: int | None = None
        self.granted: int | None = None

    def start(self) -> None:
        """Register (again)."""
        self._answered_challenge = False
        self._send_register(self._expires)
        self._set_state(RegState.REGISTERING)

    def stop(self) -> None:
        """Stop refreshing; remove the binding if there is one (best effort)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self.state is RegState.REGISTERED:
            self._send_register(0, retransmit=False)
        self.state = RegState.IDLE

    @property
    def uri(self) -> str:
        """Return the Request-URI: the registrar's domain."""
        return f"sip:{self._account.domain}"

    def _set_state(self, state: RegState) -> None:
        if state is not self.state:
            self.state = state
            self._on_state(state)

    def _send_register(self, expires: int, *, retransmit: bool = True) -> None:
        account = self._account
        self._cseq += 1
        self._branch = new_branch()
        aor = f"<sip:{account.user}@{account.domain}>"
        headers = [
            ("Via", f"SIP/2.0/UDP {self._via_host};branch={self._branch};rport"),
            ("Max-Forwards", "70"),
            ("From", f"{aor};tag={self._from_tag}"),
            ("To", aor),
            ("Call-ID", self._call_id),
            ("CSeq", f"{self._cseq} REGISTER"),
            ("Contact", self._contact),
            ("Expires", str(expires)),
            ("Allow", ALLOW),
            ("User-Agent", USER_AGENT),
        ]
        if self._challenge is not None:
            self._nc += 1
            headers.append(
                (
                    self._challenge_header,
                    authorization(
                        self._challenge,
                        method="REGISTER",
                        uri=self.uri,
                        username=account.auth_user or account.user,
                        password=account.password,
                        nc=self._nc,
                    ),
                )
            )
        self._request = serialize(f"REGISTER {self.uri} SIP/2.0", headers)
        self._ua.send(self._request, account.registrar)
        self._cancel("E", "F")
        if retransmit:
            self._interval = T1
            self._timers["E"] = self._ua.call_later(self._interval, self._timer_e)
            self._timers["F"] = self._ua.call_later(TIMER_F, self._timer_f)

    def _cancel(self, *names: str) -> None:
        for name in names:
            if (timer := self._timers.pop(name, None)) is not None:
                timer.cancel()

    def _timer_e(self) -> None:
        self._ua.send(self._request, self._account.registrar)
        self._interval = min(2 * self._interval, T2)
        self._timers["E"] = self._ua.call_later(self._interval, self._timer_e)

    def _timer_f(self) -> None:
        self._cancel("E", "F")
        self.status = None
        self._failed(RegState.UNREACHABLE)

    def _failed(self, state: RegState) -> None:
        self._set_state(state)
        self._timers["retry"] = self._ua.call_later(self._retry, self._retry_now)
        self._retry = min(2 * self._retry, RETRY_MAX)

    def _retry_now(self) -> None:
        self._timers.pop("retry", None)
        self.start()

    def response(self, response: SipMessage) -> None:
        """Take a response; only those to the REGISTER in flight count."""
        if (
            response.call_id != self._call_id
            or response.branch != self._branch
            or response.cseq != (self._cseq, "REGISTER")
        ):
            return
        status = response.status
        if status < 200:
            return
        self._cancel("E", "F")
        self.status = status
        if status in (401, 407):
            self._challenged(response)
        elif 200 <= status < 300:
            self._registered(response)
        elif (
            status == 423
            and (minimum := ascii_uint(response.get("min-expires") or "")) is not None
        ):
            self._expires = minimum
            self._send_register(self._expires)
        elif status == 403:
            self._failed(RegState.AUTH_FAILED)
        else:
            self._failed(RegState.FAILED)

    def _challenged(self, response: SipMessage) -> None:
        name = "www-authenticate" if response.status == 401 else "proxy-authenticate"
        try:
            challenge = best_challenge(
                [
                    value
                    for value in response.get_all(name)
                    if len(value) <= MAX_CHALLENGE
                ]
            )
        except DigestError as err:
            _LOGGER.debug("SIP: cannot answer the registrar: %s", err)
            self._failed(RegState.AUTH_FAILED)
            return
        if self._answered_challenge and not challenge.stale:
            # The registrar refused the credentials it asked for.
            self._challenge = None
            self._failed(RegState.AUTH_FAILED)
            return
        self._answered_challenge = True
        self._challenge = challenge
        self._challenge_header = (
            "Authorization" if response.status == 401 else "Proxy-Authorization"
        )
        self._nc = 0
        self._send_register(self._expires)

    def _registered(self, response: SipMessage) -> None:
        granted = None
        for contact in response.get_all("contact"):
            if address_uri(contact) == self._contact[1:-1]:
                granted = ascii_uint(header_params(contact).get("expires", ""))
        if granted is None:
            granted = ascii_uint(response.get("expires") or "")
        if granted is None:
            granted = self._expires
        self.granted = granted
        self._retry = RETRY_FIRST
        self._set_state(RegState.REGISTERED)
        self._timers["refresh"] = self._ua.call_later(
            max(1.0, granted * REFRESH_SHARE), self._refresh
        )

    def _refresh(self) -> None:
        self._timers.pop("refresh", None)
        # Reuse the last challenge (next nonce count); a stale one is asked anew.
        self._answered_challenge = False
        self._send_register(self._expires)
