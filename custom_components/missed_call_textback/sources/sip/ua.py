"""A SIP user agent that lets calls ring and never answers them.

INVITE server transactions (RFC 3261 section 17.2.1): 180 Ringing at once; a
CANCEL ends the call with 200 to the CANCEL and 487 to the INVITE; the ring
timeout ends it with 480. A final response is retransmitted (Timer G) until
the ACK arrives or Timer H gives up; nothing else is retransmitted, the 180
only answers a retransmitted INVITE. Retransmitted INVITEs and CANCELs are
answered again and never reported twice.

Responses go to the address the request came from (an allowed one), never to
the Via's sent-by, which a sender can point anywhere.

Memory is bounded by bytes as well as by count: a transaction keeps only the
header lines its responses copy (serialised once), never the INVITE, and
INVITEs too large to keep are refused before anything is held.

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
    ascii_uint,
    build_response,
    display_name,
    header_block,
    header_params,
    new_branch,
    new_call_id,
    new_tag,
    parse,
    response_from_block,
    response_headers,
    serialize,
    uri_user,
)

_LOGGER = logging.getLogger(__name__)

T1 = 0.5  # RTT estimate (section 17.1.1.1)
T2 = 4.0  # longest retransmit interval for non-INVITE requests and responses
TIMER_H = 64 * T1  # wait for an ACK
TIMER_F = 64 * T1  # non-INVITE client transaction timeout

MAX_DATAGRAM = 65535
# An INVITE over UDP should stay under 1300 bytes (RFC 3261 section 18.1.1);
# a PBX's, SDP included, is 1 to 3 KiB. Larger ones are answered 513 Message
# Too Large statelessly (section 8.2.7: no transaction, no retransmission,
# nothing kept), not dropped: a real PBX then stops retransmitting at once
# and its log says why, while a spoofed one gets back no more than it sent.
MAX_INVITE = 8192
# Via entries a request may carry. Every response must copy them all, and a
# PBX forking to a phone adds one or two: a request with more is dropped
# without an answer (a 513 would have to echo them all).
MAX_VIA = 10
MAX_TRANSACTIONS = 1024
MAX_TRANSACTION_BYTES = 4 * 2**20
# Final responses of transactions already gone, to answer late retransmissions.
MAX_FINISHED = 4096
MAX_FINISHED_BYTES = 4 * 2**20
# What a transaction and a finished entry hold besides the bytes counted
# (objects, dict slots, a timer), measured with tracemalloc: the byte caps
# count these too, so that many small entries cannot outgrow them either.
TRANSACTION_OVERHEAD = 1000
FINISHED_OVERHEAD = 200
# Digest challenges are parsed character by character; a real one is a few
# hundred characters.
MAX_CHALLENGE = 2048
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
    address: Address
    to_tag: str
    # Via, From, To (with this UA's tag), Call-ID and CSeq header lines of the
    # INVITE: all its responses copy, serialised once. The INVITE is not kept.
    block: bytes
    # Contact and Allow lines of the 180.
    ringing: bytes
    call_id: str
    number: str | None
    caller_name: str | None
    started: float
    # Bytes counted against MAX_TRANSACTION_BYTES (fixed at creation: the
    # final response replaces the block and the 180's lines, never more).
    cost: int
    state: _State = _State.PROCEEDING
    final: bytes = b""
    interval: float = T1
    # Timer H: when an unacknowledged final response is given up.
    deadline: float = 0.0
    # One timer at a time: the ring timeout, then Timer G or Timer H.
    timer: Timer | None = None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _finished_cost(key: str, final: bytes) -> int:
    return FINISHED_OVERHEAD + len(key) + len(final)


def transaction_key(message: SipMessage) -> str:
    """Key an INVITE and its CANCEL and ACK alike (section 17.2.3)."""
    branch = message.branch
    if branch.startswith(BRANCH_COOKIE):
        sent_by = message.top_via.split(";", 1)[0].rsplit(None, 1)[-1:]
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
    # Datagrams over 64 KiB and requests with more than MAX_VIA Vias.
    dropped_oversize: int = 0
    # INVITEs over MAX_INVITE, answered 513.
    refused_oversize: int = 0
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
        self._transaction_bytes = 0
        self._finished: OrderedDict[str, bytes] = OrderedDict()
        self._finished_bytes = 0
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
                self._request(message, address, len(data))
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
            transaction.cancel_timer()
        self._transactions.clear()
        self._transaction_bytes = 0
        if self.transport is not None:
            self.transport.close()

    # --- requests ---------------------------------------------------------------

    def _request(self, request: SipMessage, address: Address, size: int) -> None:
        method = request.method
        if len(request.get_all("via", MAX_VIA + 1)) > MAX_VIA:
            self.stats.dropped_oversize += 1
            return
        if method == "INVITE":
            if size > MAX_INVITE:
                self.stats.refused_oversize += 1
                self.send(
                    build_response(request, 513, "Message Too Large", to_tag=new_tag()),
                    address,
                )
                return
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
            self.send(self._latest(transaction), address)
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
        number, caller_name = caller_of(invite)
        to_tag = new_tag()
        block = header_block(response_headers(invite, to_tag=to_tag))
        ringing = header_block([("Contact", f"<{invite.uri}>"), ("Allow", ALLOW)])
        call_id = invite.call_id
        cost = TRANSACTION_OVERHEAD + sum(
            len(part)
            for part in (key, block, ringing, call_id, number or "", caller_name or "")
        )
        self._make_room(cost)
        transaction = _InviteTransaction(
            key=key,
            address=address,
            to_tag=to_tag,
            block=block,
            ringing=ringing,
            call_id=call_id,
            number=number,
            caller_name=caller_name,
            started=self._now(),
            cost=cost,
        )
        self._transactions[key] = transaction
        self._transaction_bytes += cost
        self.stats.calls += 1
        # No 100 Trying: the 180 goes out at once, and section 17.2.1 asks for
        # a 100 only when no provisional response follows within 200 ms.
        self.send(self._latest(transaction), address)
        transaction.timer = self._call_later(
            self._ring_timeout, lambda: self._ring_timed_out(transaction)
        )

    def _make_room(self, cost: int) -> None:
        # Oldest first, ringing or not: a flood of new calls from an allowed
        # address can push out real ones, but never memory up.
        while self._transactions and (
            len(self._transactions) >= self._max_transactions
            or self._transaction_bytes + cost > MAX_TRANSACTION_BYTES
        ):
            _, oldest = self._transactions.popitem(last=False)
            self._transaction_bytes -= oldest.cost
            oldest.cancel_timer()
            if oldest.state is _State.COMPLETED:
                self._remember(oldest)
            self.stats.evicted += 1

    @staticmethod
    def _latest(transaction: _InviteTransaction) -> bytes:
        if transaction.state is _State.COMPLETED:
            return transaction.final
        # Built again for each INVITE retransmission rather than kept: those
        # are rare, and keeping it would double what a ringing call holds.
        return response_from_block(
            180, "Ringing", transaction.block + transaction.ringing
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
        # Only a ringing call has this timer: a final response replaces it.
        transaction.timer = None
        self._finish(transaction, 480, "Temporarily Unavailable")
        self._report(transaction, Outcome.MISSED, "ring_timeout")

    def _finish(
        self, transaction: _InviteTransaction, status: int, reason: str
    ) -> None:
        transaction.cancel_timer()
        transaction.state = _State.COMPLETED
        transaction.final = response_from_block(status, reason, transaction.block)
        transaction.block = transaction.ringing = b""
        self.send(transaction.final, transaction.address)
        transaction.deadline = self._now() + TIMER_H
        self._next_retransmission(transaction)

    def _next_retransmission(self, transaction: _InviteTransaction) -> None:
        # Timer G (T1, doubling up to T2) while it comes before Timer H; then
        # Timer H, which gives up: 10 retransmissions at most (section 17.2.1).
        left = transaction.deadline - self._now()
        if transaction.interval < left:
            transaction.timer = self._call_later(
                transaction.interval, lambda: self._timer_g(transaction)
            )
        else:
            transaction.timer = self._call_later(
                max(left, 0.0), lambda: self._drop(transaction)
            )

    def _timer_g(self, transaction: _InviteTransaction) -> None:
        # The ACK drops the transaction and cancels this timer with it.
        self.send(transaction.final, transaction.address)
        transaction.interval = min(2 * transaction.interval, T2)
        self._next_retransmission(transaction)

    def _drop(self, transaction: _InviteTransaction) -> None:
        # Only a held transaction has a timer or is found by its ACK: an
        # evicted one had its timer cancelled and is in the dict no more.
        transaction.cancel_timer()
        del self._transactions[transaction.key]
        self._transaction_bytes -= transaction.cost
        self._remember(transaction)

    def _remember(self, transaction: _InviteTransaction) -> None:
        # Each key once: an INVITE whose key is here is answered from here and
        # never opens a transaction that could be remembered again.
        self._finished[transaction.key] = transaction.final
        self._finished_bytes += _finished_cost(transaction.key, transaction.final)
        while (
            len(self._finished) > MAX_FINISHED
            or self._finished_bytes > MAX_FINISHED_BYTES
        ):
            key, final = self._finished.popitem(last=False)
            self._finished_bytes -= _finished_cost(key, final)

    def _report(
        self, transaction: _InviteTransaction, outcome: Outcome, ended_by: str
    ) -> None:
        self.stats.reports += 1
        report = CallReport(
            call_id=transaction.call_id,
            number=transaction.number,
            caller_name=transaction.caller_name,
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
    password: str = field(repr=False)
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
