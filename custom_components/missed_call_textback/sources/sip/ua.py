"""A SIP user agent that lets calls ring and never answers them.

INVITE server transactions (RFC 3261 section 17.2.1): 100 Trying and 180
Ringing; a CANCEL ends the call with 200 to the CANCEL and 487 to the INVITE;
the ring timeout ends it with 480. A final response is retransmitted (Timer
G) until the ACK arrives or Timer H gives up. Retransmitted INVITEs and
CANCELs are answered again and never reported twice.

Optionally it REGISTERs with a registrar (digest auth, re-registering before
the binding expires) so the PBX rings it like any other phone.

No Home Assistant here: the clock and the timer scheduler are injected.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import ipaddress
import logging
from typing import Any, Protocol, cast

from ...calls import Outcome
from .digest import Challenge, DigestError, authorization, best_challenge
from .message import (
    BRANCH_COOKIE,
    SipMessage,
    SipParseError,
    address_uri,
    build_response,
    display_name,
    header_params,
    new_branch,
    new_call_id,
    new_tag,
    parse,
    serialize,
    uri_user,
)

_LOGGER = logging.getLogger(__name__)

T1 = 0.5  # RTT estimate (section 17.1.1.1)
T2 = 4.0  # longest retransmit interval for non-INVITE requests and responses
TIMER_H = 64 * T1  # wait for an ACK
TIMER_F = 64 * T1  # non-INVITE client transaction timeout

MAX_DATAGRAM = 65535
MAX_TRANSACTIONS = 1024
# Final responses of transactions already gone, to answer late retransmissions.
MAX_FINISHED = 4096
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS"
USER_AGENT = "HomeAssistant-MissedCallTextBack"
# Registration retries after a failure: from this, doubling, up to the cap.
RETRY_FIRST = 30.0
RETRY_MAX = 600.0
REFRESH_SHARE = 0.8
# Source addresses whose verdict is remembered (cleared when full: a flood from
# many addresses costs a parse each, never memory).
_KNOWN_HOSTS = 256


class Timer(Protocol):
    """A scheduled callback that can be cancelled."""

    def cancel(self) -> None:
        """Cancel the callback."""


type CallLater = Callable[[float, Callable[[], None]], Timer]
type Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class CallReport:
    """A call that stopped ringing, with its outcome."""

    call_id: str
    number: str | None
    caller_name: str | None
    ring_seconds: float
    outcome: Outcome
    # cancel | cancel_answered | ring_timeout
    ended_by: str


class AllowList:
    """Source addresses (IPs or networks) SIP is accepted from."""

    def __init__(self, entries: list[str]) -> None:
        """Parse entries; raise ValueError on one that is not an IP or a network."""
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = [
            ipaddress.ip_network(entry.strip(), strict=False)
            for entry in entries
            if entry.strip()
        ]

        # Verdicts by source address: a PBX sends from one or two addresses.
        self._known: dict[str, bool] = {}

    def add(self, address: str) -> None:
        """Allow one more address."""
        self.networks.append(ipaddress.ip_network(address, strict=False))
        self._known.clear()

    def allows(self, host: str) -> bool:
        """Return whether a datagram from host is accepted."""
        if (known := self._known.get(host)) is not None:
            return known
        allowed = self._allows(host)
        if len(self._known) >= _KNOWN_HOSTS:
            self._known.clear()
        self._known[host] = allowed
        return allowed

    def _allows(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def classify(reasons: list[str], *, cause26_answered: bool) -> Outcome:
    """Tell from a CANCEL's Reason headers whether the call was answered elsewhere.

    SIP;cause=200 is "call completed elsewhere" (RFC 3326); Q.850 cause 26
    ("non-selected user clearing") is what many PBXs send to the phones that
    lost a ring group race.
    """
    for reason in reasons:
        protocol = reason.split(";", 1)[0].strip().upper()
        cause = header_params(reason).get("cause", "")
        if protocol == "SIP" and cause == "200":
            return Outcome.ANSWERED
        if protocol == "Q.850" and cause == "26" and cause26_answered:
            return Outcome.ANSWERED
    return Outcome.MISSED


def caller_of(invite: SipMessage) -> tuple[str | None, str | None]:
    """Return the caller's number and name: P-Asserted-Identity, else From."""
    identities = invite.get_all("p-asserted-identity")
    # A tel: identity carries the number itself; a sip: one may carry a user.
    identities.sort(key=lambda value: not address_uri(value).lower().startswith("tel:"))
    from_header = invite.get("from") or ""
    for value in [*identities, from_header]:
        number = uri_user(address_uri(value))
        if number:
            return number, display_name(value) or display_name(from_header)
    return None, display_name(from_header)


class _State(StrEnum):
    PROCEEDING = "proceeding"
    COMPLETED = "completed"


@dataclass(slots=True)
class _InviteTransaction:
    key: str
    invite: SipMessage
    address: Address
    to_tag: str
    started: float
    last: bytes = b""
    state: _State = _State.PROCEEDING
    interval: float = T1
    timers: dict[str, Timer] = field(default_factory=dict)

    def cancel_timers(self) -> None:
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()


def transaction_key(message: SipMessage) -> str:
    """Key an INVITE and its CANCEL and ACK alike (section 17.2.3)."""
    branch = message.branch
    if branch.startswith(BRANCH_COOKIE):
        sent_by = message.top_via.split(";", 1)[0].split()[-1:]
        return f"{branch}|{''.join(sent_by).lower()}"
    # RFC 2543 peers: Call-ID, CSeq number and the From tag identify it.
    from_tag = header_params(message.get("from") or "").get("tag", "")
    return f"2543|{message.call_id}|{message.cseq[0]}|{from_tag}"


@dataclass(slots=True)
class Stats:
    """Counters a benchmark or diagnostics can read."""

    received: int = 0
    dropped_source: int = 0
    dropped_malformed: int = 0
    dropped_oversize: int = 0
    evicted: int = 0
    calls: int = 0
    reports: int = 0


class SipUserAgent(asyncio.DatagramProtocol):
    """The UDP endpoint: rings, never answers, reports how each call ended."""

    def __init__(
        self,
        *,
        on_call: Callable[[CallReport], None],
        allowed: AllowList,
        ring_timeout: float,
        cause26_answered: bool,
        now: Callable[[], float],
        call_later: CallLater,
        max_transactions: int = MAX_TRANSACTIONS,
    ) -> None:
        """Initialize the user agent."""
        self._on_call = on_call
        self.allowed = allowed
        self._ring_timeout = ring_timeout
        self._cause26_answered = cause26_answered
        self._now = now
        self._call_later = call_later
        self._max_transactions = max_transactions
        self._transactions: OrderedDict[str, _InviteTransaction] = OrderedDict()
        self._finished: OrderedDict[str, bytes] = OrderedDict()
        self.transport: asyncio.DatagramTransport | None = None
        self.registration: Registration | None = None
        self.stats = Stats()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run callback after delay seconds (the injected scheduler)."""
        return self._call_later(delay, callback)

    @property
    def transactions(self) -> int:
        """Return the number of INVITE transactions held."""
        return len(self._transactions)

    # --- asyncio.DatagramProtocol ---------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = cast("asyncio.DatagramTransport", transport)

    def error_received(self, exc: Exception) -> None:
        """Note an ICMP error for something sent (a peer went away)."""
        _LOGGER.debug("SIP: send error: %s", exc)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """Take one datagram; never raise."""
        self.stats.received += 1
        address: Address = (str(addr[0]), int(addr[1]))
        if not self.allowed.allows(address[0]):
            self.stats.dropped_source += 1
            if self.stats.dropped_source % 1000 == 1:
                _LOGGER.debug(
                    "SIP: dropped %s datagrams from addresses not allowed (last %s)",
                    self.stats.dropped_source,
                    address[0],
                )
            return
        if len(data) > MAX_DATAGRAM:
            self.stats.dropped_oversize += 1
            return
        if not data.strip():
            return  # a CRLF keep-alive (RFC 5626)
        try:
            message = parse(data)
        except SipParseError as err:
            self.stats.dropped_malformed += 1
            _LOGGER.debug("SIP: dropped a malformed datagram: %s", err)
            return
        try:
            if message.is_request:
                self._request(message, address)
            elif self.registration is not None:
                self.registration.response(message)
        except Exception:
            # An exception escaping here would make asyncio close the endpoint.
            _LOGGER.exception("SIP: a message could not be handled")

    # --- sending ----------------------------------------------------------------

    def send(self, data: bytes, address: Address) -> None:
        """Send one datagram if the endpoint is open."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, address)

    def close(self) -> None:
        """Cancel every timer and close the endpoint."""
        if self.registration is not None:
            self.registration.stop()
        for transaction in self._transactions.values():
            transaction.cancel_timers()
        self._transactions.clear()
        if self.transport is not None:
            self.transport.close()

    # --- requests ---------------------------------------------------------------

    def _request(self, request: SipMessage, address: Address) -> None:
        method = request.method
        if method == "INVITE":
            self._invite(request, address)
        elif method == "CANCEL":
            self._cancel(request, address)
        elif method == "ACK":
            self._ack(request)
        elif method == "OPTIONS":
            self.send(
                build_response(
                    request, 200, "OK", to_tag=new_tag(), extra=[("Allow", ALLOW)]
                ),
                address,
            )
        elif method == "BYE":
            # It never answers, so there is never a dialog to end.
            self.send(
                build_response(
                    request, 481, "Call/Transaction Does Not Exist", to_tag=new_tag()
                ),
                address,
            )
        else:
            self.send(
                build_response(
                    request,
                    405,
                    "Method Not Allowed",
                    to_tag=new_tag(),
                    extra=[("Allow", ALLOW)],
                ),
                address,
            )

    def _invite(self, invite: SipMessage, address: Address) -> None:
        key = transaction_key(invite)
        if (transaction := self._transactions.get(key)) is not None:
            # A retransmission: repeat the latest response (section 17.2.1).
            self.send(transaction.last, address)
            return
        if (final := self._finished.get(key)) is not None:
            self.send(final, address)
            return
        if "tag" in header_params(invite.get("to") or ""):
            # A re-INVITE for a dialog this UA never had.
            self.send(
                build_response(invite, 481, "Call/Transaction Does Not Exist"), address
            )
            return
        if len(self._transactions) >= self._max_transactions:
            _, oldest = self._transactions.popitem(last=False)
            oldest.cancel_timers()
            self.stats.evicted += 1
        transaction = _InviteTransaction(
            key=key,
            invite=invite,
            address=address,
            to_tag=new_tag(),
            started=self._now(),
        )
        self._transactions[key] = transaction
        self.stats.calls += 1
        # No 100 Trying: the 180 goes out at once, and section 17.2.1 asks for
        # a 100 only when no provisional response follows within 200 ms.
        transaction.last = build_response(
            invite,
            180,
            "Ringing",
            to_tag=transaction.to_tag,
            extra=[("Contact", f"<{invite.uri}>"), ("Allow", ALLOW)],
        )
        self.send(transaction.last, address)
        transaction.timers["ring"] = self._call_later(
            self._ring_timeout, lambda: self._ring_timed_out(transaction)
        )

    def _cancel(self, cancel: SipMessage, address: Address) -> None:
        transaction = self._transactions.get(transaction_key(cancel))
        if transaction is None:
            self.send(
                build_response(cancel, 481, "Call/Transaction Does Not Exist"), address
            )
            return
        self.send(build_response(cancel, 200, "OK", to_tag=transaction.to_tag), address)
        if transaction.state is not _State.PROCEEDING:
            return  # a retransmitted CANCEL: answered again, reported once
        outcome = classify(
            cancel.get_all("reason"), cause26_answered=self._cause26_answered
        )
        self._finish(transaction, 487, "Request Terminated")
        self._report(
            transaction,
            outcome,
            "cancel" if outcome is Outcome.MISSED else "cancel_answered",
        )

    def _ack(self, ack: SipMessage) -> None:
        transaction = self._transactions.get(transaction_key(ack))
        if transaction is None or transaction.state is not _State.COMPLETED:
            return
        # Confirmed (section 17.2.1): only ACK retransmissions can follow, and
        # those find nothing to do; the final response stays to answer a late
        # INVITE retransmission.
        self._drop(transaction)

    def _ring_timed_out(self, transaction: _InviteTransaction) -> None:
        # Only a ringing call has this timer: a final response cancels it.
        transaction.timers.pop("ring", None)
        self._finish(transaction, 480, "Temporarily Unavailable")
        self._report(transaction, Outcome.MISSED, "ring_timeout")

    def _finish(
        self, transaction: _InviteTransaction, status: int, reason: str
    ) -> None:
        transaction.cancel_timers()
        transaction.state = _State.COMPLETED
        transaction.last = build_response(
            transaction.invite, status, reason, to_tag=transaction.to_tag
        )
        self.send(transaction.last, transaction.address)
        transaction.timers["G"] = self._call_later(
            transaction.interval, lambda: self._timer_g(transaction)
        )
        transaction.timers["H"] = self._call_later(
            TIMER_H, lambda: self._drop(transaction)
        )

    def _timer_g(self, transaction: _InviteTransaction) -> None:
        # The ACK drops the transaction and cancels this timer with it.
        self.send(transaction.last, transaction.address)
        transaction.interval = min(2 * transaction.interval, T2)
        transaction.timers["G"] = self._call_later(
            transaction.interval, lambda: self._timer_g(transaction)
        )

    def _drop(self, transaction: _InviteTransaction) -> None:
        transaction.cancel_timers()
        if self._transactions.get(transaction.key) is transaction:
            del self._transactions[transaction.key]
        self._finished[transaction.key] = transaction.last
        while len(self._finished) > MAX_FINISHED:
            self._finished.popitem(last=False)

    def _report(
        self, transaction: _InviteTransaction, outcome: Outcome, ended_by: str
    ) -> None:
        number, name = caller_of(transaction.invite)
        self.stats.reports += 1
        report = CallReport(
            call_id=transaction.invite.call_id,
            number=number,
            caller_name=name,
            ring_seconds=max(0.0, self._now() - transaction.started),
            outcome=outcome,
            ended_by=ended_by,
        )
        try:
            self._on_call(report)
        except Exception:
            _LOGGER.exception("SIP: the call report failed")


# --- registration ---------------------------------------------------------------


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
    password: str
    auth_user: str = ""
    expires: int = 300


class Registration:
    """A REGISTER client: one binding, refreshed before it expires."""

    def __init__(
        self,
        ua: SipUserAgent,
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
        elif status == 423 and (minimum := response.get("min-expires") or "").isdigit():
            self._expires = int(minimum)
            self._send_register(self._expires)
        elif status == 403:
            self._failed(RegState.AUTH_FAILED)
        else:
            self._failed(RegState.FAILED)

    def _challenged(self, response: SipMessage) -> None:
        name = "www-authenticate" if response.status == 401 else "proxy-authenticate"
        try:
            challenge = best_challenge(response.get_all(name))
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
                value = header_params(contact).get("expires", "")
                granted = int(value) if value.isdigit() else None
        if granted is None:
            value = response.get("expires") or ""
            granted = int(value) if value.isdigit() else self._expires
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
