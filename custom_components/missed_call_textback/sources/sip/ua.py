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

Optionally a Registration (register.py) keeps it registered with a registrar
and takes the responses that come back.

No Home Assistant here: the clock and the timer scheduler are injected.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
import ipaddress
import logging
from typing import TYPE_CHECKING, Any, cast

from ...calls import Outcome
from .endpoint import ALLOW, T1, T2, Address, CallLater, Timer
from .invite import InviteTransaction, State, caller_of, classify, transaction_key
from .message import (
    SipMessage,
    SipParseError,
    build_response,
    header_block,
    header_params,
    new_tag,
    parse,
    response_from_block,
    response_headers,
)

if TYPE_CHECKING:
    from .register import Registration

_LOGGER = logging.getLogger(__name__)

TIMER_H = 64 * T1  # wait for an ACK

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
# Source addresses whose verdict is remembered (cleared when full: a flood from
# many addresses costs a parse each, never memory).
_KNOWN_HOSTS = 256


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


def _finished_cost(key: str, final: bytes) -> int:
    return FINISHED_OVERHEAD + len(key) + len(final)


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
        self._transactions: OrderedDict[str, InviteTransaction] = OrderedDict()
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
        transaction = InviteTransaction(
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
            if oldest.state is State.COMPLETED:
                self._remember(oldest)
            self.stats.evicted += 1

    @staticmethod
    def _latest(transaction: InviteTransaction) -> bytes:
        if transaction.state is State.COMPLETED:
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
        if transaction.state is not State.PROCEEDING:
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
        if transaction is None or transaction.state is not State.COMPLETED:
            return
        # Confirmed (section 17.2.1): only ACK retransmissions can follow, and
        # those find nothing to do; the final response stays to answer a late
        # INVITE retransmission.
        self._drop(transaction)

    def _ring_timed_out(self, transaction: InviteTransaction) -> None:
        # Only a ringing call has this timer: a final response replaces it.
        transaction.timer = None
        self._finish(transaction, 480, "Temporarily Unavailable")
        self._report(transaction, Outcome.MISSED, "ring_timeout")

    def _finish(self, transaction: InviteTransaction, status: int, reason: str) -> None:
        transaction.cancel_timer()
        transaction.state = State.COMPLETED
        transaction.final = response_from_block(status, reason, transaction.block)
        transaction.block = transaction.ringing = b""
        self.send(transaction.final, transaction.address)
        transaction.deadline = self._now() + TIMER_H
        self._next_retransmission(transaction)

    def _next_retransmission(self, transaction: InviteTransaction) -> None:
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

    def _timer_g(self, transaction: InviteTransaction) -> None:
        # The ACK drops the transaction and cancels this timer with it.
        self.send(transaction.final, transaction.address)
        transaction.interval = min(2 * transaction.interval, T2)
        self._next_retransmission(transaction)

    def _drop(self, transaction: InviteTransaction) -> None:
        # Only a held transaction has a timer or is found by its ACK: an
        # evicted one had its timer cancelled and is in the dict no more.
        transaction.cancel_timer()
        del self._transactions[transaction.key]
        self._transaction_bytes -= transaction.cost
        self._remember(transaction)

    def _remember(self, transaction: InviteTransaction) -> None:
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
        self, transaction: InviteTransaction, outcome: Outcome, ended_by: str
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
