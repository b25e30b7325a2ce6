"""One INVITE server transaction: its key, what it holds, who calls.

And what a CANCEL says of how the call ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ...calls import Outcome
from .endpoint import T1, Address, Timer
from .message import (
    BRANCH_COOKIE,
    SipMessage,
    address_uri,
    display_name,
    header_params,
    uri_user,
)


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


class State(StrEnum):
    """Where an INVITE server transaction stands (section 17.2.1)."""

    PROCEEDING = "proceeding"
    COMPLETED = "completed"


@dataclass(slots=True)
class InviteTransaction:
    """An INVITE the user agent rings for, until its final response is done."""

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
    state: State = State.PROCEEDING
    final: bytes = b""
    interval: float = T1
    # Timer H: when an unacknowledged final response is given up.
    deadline: float = 0.0
    # One timer at a time: the ring timeout, then Timer G or Timer H.
    timer: Timer | None = None

    def cancel_timer(self) -> None:
        """Cancel the one timer the transaction has, if any."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def transaction_key(message: SipMessage) -> str:
    """Key an INVITE and its CANCEL and ACK alike (section 17.2.3)."""
    branch = message.branch
    if branch.startswith(BRANCH_COOKIE):
        sent_by = message.top_via.split(";", 1)[0].rsplit(None, 1)[-1:]
        return f"{branch}|{''.join(sent_by).lower()}"
    # RFC 2543 peers: Call-ID, CSeq number and the From tag identify it.
    from_tag = header_params(message.get("from") or "").get("tag", "")
    return f"2543|{message.call_id}|{message.cseq[0]}|{from_tag}"
