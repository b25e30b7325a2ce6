"""The user agent's transactions and registration, on a driven clock.

The UDP transport is a recorder and the clock a list of timers the test runs:
that is the edge (the network and time); the user agent is the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from custom_components.missed_call_textback.calls import Outcome
from custom_components.missed_call_textback.sources.sip.digest import parse_params
from custom_components.missed_call_textback.sources.sip.message import (
    SipMessage,
    parse,
)
from custom_components.missed_call_textback.sources.sip.ua import (
    MAX_FINISHED,
    RETRY_FIRST,
    Account,
    AllowList,
    CallReport,
    Registration,
    RegState,
    SipUserAgent,
    caller_of,
    classify,
)

PBX = ("192.168.1.1", 5060)
STRANGER = ("203.0.113.9", 5060)


@dataclass
class _Timer:
    at: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        """Cancel the timer."""
        self.cancelled = True


@dataclass
class Clock:
    """A loop clock the test moves by hand."""

    now: float = 0.0
    timers: list[_Timer] = field(default_factory=list)

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        """Schedule callback after delay."""
        timer = _Timer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move time on, running the timers due."""
        end = self.now + seconds
        while True:
            due = [t for t in self.timers if not t.cancelled and t.at <= end]
            if not due:
                break
            timer = min(due, key=lambda t: t.at)
            self.timers.remove(timer)
            self.now = timer.at
            timer.callback()
        self.now = end

    @property
    def pending(self) -> int:
        """Return the timers still to run."""
        return sum(not t.cancelled for t in self.timers)


class Transport:
    """Records what the user agent sends."""

    def __init__(self) -> None:
        """Start with nothing sent."""
        self.sent: list[tuple[SipMessage, tuple[str, int]]] = []
        self.closed = False

    def sendto(self, data: bytes, address: tuple[str, int]) -> None:
        """Record a datagram."""
        self.sent.append((parse(data), address))

    def is_closing(self) -> bool:
        """Return whether closed."""
        return self.closed

    def close(self) -> None:
        """Close."""
        self.closed = True

    def statuses(self) -> list[int]:
        """Return the statuses sent."""
        return [message.status for message, _ in self.sent]

    def take(self) -> list[int]:
        """Return the statuses sent and forget them."""
        statuses = self.statuses()
        self.sent.clear()
        return statuses


@pytest.fixture
def clock() -> Clock:
    """Return the driven clock."""
    return Clock()


@pytest.fixture
def reports() -> list[CallReport]:
    """Return the calls the user agent reported."""
    return []


def _ua(
    clock: Clock, reports: list[CallReport], **kwargs: Any
) -> tuple[SipUserAgent, Transport]:
    ua = SipUserAgent(
        on_call=reports.append,
        allowed=AllowList(["192.168.1.0/24", " "]),
        ring_timeout=kwargs.pop("ring_timeout", 30),
        cause26_answered=kwargs.pop("cause26_answered", True),
        now=lambda: clock.now,
        call_later=clock.call_later,
        **kwargs,
    )
    transport = Transport()
    ua.connection_made(transport)  # type: ignore[arg-type]
    return ua, transport


@pytest.fixture
def ua(clock: Clock, reports: list[CallReport]) -> SipUserAgent:
    """Return a user agent that accepts SIP from 192.168.1.0/24."""
    return _ua(clock, reports)[0]


def _transport(ua: SipUserAgent) -> Transport:
    assert isinstance(ua.transport, Transport)
    return ua.transport


def _request(
    method: str,
    *,
    branch: str = "z9hG4bK-1",
    call_id: str = "call-1",
    cseq: int = 1,
    number: str = "+16502530000",
    to_tag: str = "",
    extra: str = "",
) -> bytes:
    cseq_method = method
    to = "<sip:620@pbx>" + (f";tag={to_tag}" if to_tag else "")
    return (
        f"{method} sip:620@192.168.1.2:5062 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 192.168.1.1:5060;branch={branch}\r\n"
        f'From: "Jane" <sip:{number}@pbx>;tag=from1\r\n'
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {cseq_method}\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def test_an_invite_is_answered_180_at_once_and_never_200(ua: SipUserAgent) -> None:
    ua.datagram_received(_request("INVITE"), PBX)

    # No 100 Trying: RFC 3261 section 17.2.1 needs none when a 180 follows at once.
    sent = _transport(ua).sent
    assert [m.status for m, _ in sent] == [180]
    assert all(address == PBX for _, address in sent)
    assert ";tag=" in sent[0][0].get("to")
    assert sent[0][0].get("contact") == "<sip:620@192.168.1.2:5062>"
    assert ua.transactions == 1


def test_a_cancel_gets_200_the_invite_487_and_the_call_is_reported_missed(
    ua: SipUserAgent, clock: Clock, reports: list[CallReport]
) -> None:
    ua.datagram_received(_request("INVITE"), PBX)
    clock.advance(4)
    _transport(ua).take()

    ua.datagram_received(_request("CANCEL"), PBX)

    sent = _transport(ua).sent
    assert [(m.status, m.cseq[1]) for m, _ in sent] == [
        (200, "CANCEL"),
        (487, "INVITE"),
    ]
    # One To tag for the whole call.
    assert sent[0][0].get("to") == sent[1][0].get("to")
    assert reports == [
        CallReport(
            call_id="call-1",
            number="+16502530000",
            caller_name="Jane",
            ring_seconds=4,
            outcome=Outcome.MISSED,
            ended_by="cancel",
        )
    ]


def test_retransmissions_are_answered_again_and_reported_once(
    ua: SipUserAgent, clock: Clock, reports: list[CallReport]
) -> None:
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("INVITE"), PBX)
    assert _transport(ua).take() == [180, 180]

    ua.datagram_received(_request("CANCEL"), PBX)
    ua.datagram_received(_request("CANCEL"), PBX)
    ua.datagram_received(_request("INVITE"), PBX)
    assert _transport(ua).take() == [200, 487, 200, 487]
    assert len(reports) == 1

    ua.datagram_received(_request("ACK"), PBX)
    ua.datagram_received(_request("ACK"), PBX)
    # A late INVITE retransmission still gets the final answer, not a new call.
    ua.datagram_received(_request("INVITE"), PBX)
    assert _transport(ua).take() == [487]
    assert len(reports) == 1
    assert ua.transactions == 0
    assert ua.stats.calls == 1


def test_the_487_is_retransmitted_with_timer_g_until_the_ack(
    ua: SipUserAgent, clock: Clock
) -> None:
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("CANCEL"), PBX)
    _transport(ua).take()

    times = []
    for _ in range(60):
        clock.advance(0.25)
        if _transport(ua).take():
            times.append(clock.now)
        if clock.now >= 12:
            break
    # T1 = 0.5 s doubling up to T2 = 4 s.
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5]

    ua.datagram_received(_request("ACK"), PBX)
    clock.advance(40)
    assert _transport(ua).take() == []
    assert clock.pending == 0


def test_without_an_ack_the_transaction_is_dropped_after_timer_h(
    ua: SipUserAgent, clock: Clock
) -> None:
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("CANCEL"), PBX)

    clock.advance(31.9)
    assert ua.transactions == 1
    clock.advance(0.2)
    assert ua.transactions == 0
    assert clock.pending == 0
    _transport(ua).take()
    clock.advance(60)
    assert _transport(ua).take() == []


def test_the_ring_timeout_answers_480_and_reports_missed(
    clock: Clock, reports: list[CallReport]
) -> None:
    ua, transport = _ua(clock, reports, ring_timeout=20)
    ua.datagram_received(_request("INVITE"), PBX)
    transport.take()

    clock.advance(20)

    assert transport.take() == [480]
    assert [(r.outcome, r.ended_by, r.ring_seconds) for r in reports] == [
        (Outcome.MISSED, "ring_timeout", 20)
    ]
    # A CANCEL that crosses the 480 is answered but changes nothing.
    ua.datagram_received(_request("CANCEL"), PBX)
    assert transport.take() == [200]
    assert len(reports) == 1


@pytest.mark.parametrize(
    ("reason", "cause26_answered", "outcome"),
    [
        ("", True, Outcome.MISSED),
        ("Reason: Q.850;cause=16\r\n", True, Outcome.MISSED),
        (
            'Reason: SIP;cause=200;text="Call completed elsewhere"\r\n',
            True,
            Outcome.ANSWERED,
        ),
        ("Reason: SIP ;cause=200\r\n", True, Outcome.ANSWERED),
        ("Reason: SIP;cause=487\r\n", True, Outcome.MISSED),
        ("Reason: Q.850;cause=26\r\n", True, Outcome.ANSWERED),
        ("Reason: Q.850;cause=26\r\n", False, Outcome.MISSED),
        ("Reason: Q.850;cause=16, SIP;cause=200\r\n", False, Outcome.ANSWERED),
        ("Reason: q.850;cause=26\r\n", True, Outcome.ANSWERED),
    ],
)
def test_the_cancel_reason_tells_missed_from_answered_elsewhere(
    clock: Clock,
    reports: list[CallReport],
    reason: str,
    cause26_answered: bool,
    outcome: Outcome,
) -> None:
    ua, _ = _ua(clock, reports, cause26_answered=cause26_answered)
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("CANCEL", extra=reason), PBX)

    assert [r.outcome for r in reports] == [outcome]
    assert classify([], cause26_answered=True) is Outcome.MISSED


def test_the_caller_comes_from_p_asserted_identity_before_from() -> None:
    def invite(extra: str, number: str = "anonymous") -> SipMessage:
        return parse(_request("INVITE", number=number, extra=extra))

    assert caller_of(
        invite(
            'P-Asserted-Identity: "Bob" <sip:+12125550123@pbx>, <tel:+12125550124>\r\n'
        )
    ) == ("+12125550124", "Jane")
    assert caller_of(invite("P-Asserted-Identity: <sip:+12125550123@pbx>\r\n")) == (
        "+12125550123",
        "Jane",
    )
    assert caller_of(invite("P-Asserted-Identity: <sip:pbx>\r\n", "555")) == (
        "555",
        "Jane",
    )
    assert caller_of(invite("")) == ("anonymous", "Jane")
    no_user = parse(_request("INVITE").replace(b"<sip:+16502530000@pbx>", b"<sip:pbx>"))
    assert caller_of(no_user) == (None, "Jane")


def test_sip_from_other_addresses_is_dropped_silently(
    ua: SipUserAgent, reports: list[CallReport]
) -> None:
    ua.datagram_received(_request("INVITE"), STRANGER)
    ua.datagram_received(_request("INVITE"), ("not-an-ip", 5060))

    assert _transport(ua).sent == []
    assert ua.stats.dropped_source == 2
    assert ua.transactions == 0


def test_allow_lists_take_ips_networks_and_mapped_ipv6() -> None:
    allowed = AllowList(["10.0.0.1", "192.168.0.0/16"])
    allowed.add("2001:db8::1")

    assert allowed.allows("10.0.0.1")
    assert allowed.allows("192.168.200.3")
    assert allowed.allows("::ffff:10.0.0.1")
    assert allowed.allows("2001:db8::1%eth0")
    assert not allowed.allows("10.0.0.2")
    with pytest.raises(ValueError, match="does not appear"):
        AllowList(["pbx.local"])


def test_garbage_and_keepalives_are_dropped_and_never_raise(
    ua: SipUserAgent,
) -> None:
    for data in (b"\r\n\r\n", b"garbage", b"\x00" * 10, b"x" * 70000):
        ua.datagram_received(data, PBX)
    # A parsed request whose CSeq only breaks when read later.
    ua.datagram_received(_request("OPTIONS").replace(b"1 OPTIONS", b"1 OPTIONS"), PBX)

    assert _transport(ua).statuses() == [200]
    assert ua.stats.dropped_malformed == 2
    assert ua.stats.dropped_oversize == 1


@pytest.mark.parametrize(
    ("method", "status"),
    [("OPTIONS", 200), ("BYE", 481), ("REGISTER", 405), ("INFO", 405)],
)
def test_other_requests_get_a_sensible_answer(
    ua: SipUserAgent, method: str, status: int
) -> None:
    ua.datagram_received(_request(method), PBX)

    [(response, _)] = _transport(ua).sent
    assert response.status == status
    if status in (200, 405):
        assert "INVITE" in (response.get("allow") or "")


def test_a_re_invite_or_a_stray_cancel_finds_no_call(ua: SipUserAgent) -> None:
    ua.datagram_received(_request("INVITE", to_tag="x"), PBX)
    ua.datagram_received(_request("CANCEL", branch="z9hG4bK-other"), PBX)
    ua.datagram_received(_request("ACK", branch="z9hG4bK-other"), PBX)

    assert _transport(ua).statuses() == [481, 481]
    assert ua.transactions == 0


def test_rfc_2543_peers_are_matched_by_call_id_cseq_and_from_tag(
    ua: SipUserAgent, reports: list[CallReport]
) -> None:
    ua.datagram_received(_request("INVITE", branch="old1"), PBX)
    ua.datagram_received(_request("CANCEL", branch="old2"), PBX)

    assert _transport(ua).statuses() == [180, 200, 487]
    assert len(reports) == 1


def test_a_flood_of_calls_keeps_memory_bounded(
    clock: Clock, reports: list[CallReport]
) -> None:
    ua, transport = _ua(clock, reports, max_transactions=10)
    for index in range(50):
        ua.datagram_received(
            _request("INVITE", branch=f"z9hG4bK{index}", call_id=f"c{index}"), PBX
        )
    transport.take()

    assert ua.transactions == 10
    assert ua.stats.evicted == 40
    # The newest calls are still there and end normally.
    ua.datagram_received(_request("CANCEL", branch="z9hG4bK49", call_id="c49"), PBX)
    assert transport.take() == [200, 487]
    ua.close()
    assert clock.pending == 0
    assert transport.closed


def test_finished_calls_remembered_are_bounded(ua: SipUserAgent, clock: Clock) -> None:
    for index in range(MAX_FINISHED + 5):
        ua.datagram_received(
            _request("INVITE", branch=f"z9hG4bK{index}", call_id=f"c{index}"), PBX
        )
        ua.datagram_received(
            _request("CANCEL", branch=f"z9hG4bK{index}", call_id=f"c{index}"), PBX
        )
        ua.datagram_received(
            _request("ACK", branch=f"z9hG4bK{index}", call_id=f"c{index}"), PBX
        )

    assert len(ua._finished) == MAX_FINISHED
    assert ua.transactions == 0


def test_a_failing_report_is_logged_not_raised(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def _boom(_report: CallReport) -> None:
        raise RuntimeError("sink broke")

    ua = SipUserAgent(
        on_call=_boom,
        allowed=AllowList(["192.168.1.1"]),
        ring_timeout=30,
        cause26_answered=True,
        now=lambda: clock.now,
        call_later=clock.call_later,
    )
    ua.connection_made(Transport())  # type: ignore[arg-type]
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("CANCEL"), PBX)

    assert "the call report failed" in caplog.text


def test_a_bug_in_handling_is_logged_and_the_endpoint_lives_on(
    ua: SipUserAgent, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def _broken(*_args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ua, "_invite", _broken)
    ua.datagram_received(_request("INVITE"), PBX)
    ua.datagram_received(_request("OPTIONS"), PBX)

    assert "could not be handled" in caplog.text
    assert _transport(ua).statuses() == [200]


def test_many_source_addresses_cost_no_memory(ua: SipUserAgent) -> None:
    for index in range(600):
        ua.datagram_received(b"x", (f"10.1.{index // 250}.{index % 250}", 5060))

    assert ua.stats.dropped_source == 600
    assert len(ua.allowed._known) <= 256
    assert ua.allowed.allows("192.168.1.77")


def test_nothing_is_sent_once_closed(ua: SipUserAgent) -> None:
    ua.error_received(OSError("port unreachable"))
    ua.close()
    ua.datagram_received(_request("OPTIONS"), PBX)

    assert _transport(ua).sent == []


# --- registration ---------------------------------------------------------------

REGISTRAR = ("192.168.1.1", 5060)
CHALLENGE = 'Digest realm="fritz.box", nonce="abc", qop="auth", algorithm=MD5'


@pytest.fixture
def states() -> list[RegState]:
    """Return the registration states in order."""
    return []


def _registration(
    ua: SipUserAgent, states: list[RegState], **account: Any
) -> Registration:
    registration = Registration(
        ua,
        Account(
            registrar=REGISTRAR,
            domain="fritz.box",
            user="620",
            password="secret",  # noqa: S106
            **account,
        ),
        "192.168.1.2",
        5062,
        on_state=states.append,
    )
    ua.registration = registration
    return registration


def _last_request(ua: SipUserAgent) -> SipMessage:
    request, address = _transport(ua).sent[-1]
    assert address == REGISTRAR
    assert request.method == "REGISTER"
    return request


def _answer(
    ua: SipUserAgent, status: int, *headers: str, request: SipMessage | None = None
) -> None:
    request = request or _last_request(ua)
    lines = [f"SIP/2.0 {status} Reason"]
    lines += [f"Via: {via}" for via in request.get_all("via")]
    lines += [
        f"From: {request.get('from')}",
        f"To: {request.get('to')};tag=reg",
        f"Call-ID: {request.call_id}",
        f"CSeq: {request.get('cseq')}",
        *headers,
        "Content-Length: 0",
    ]
    ua.datagram_received(("\r\n".join(lines) + "\r\n\r\n").encode(), REGISTRAR)


def test_registration_answers_the_challenge_and_refreshes_at_80_percent(
    ua: SipUserAgent, clock: Clock, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    first = _last_request(ua)
    assert first.uri == "sip:fritz.box"
    assert first.get("contact") == "<sip:620@192.168.1.2:5062>"
    assert first.get("expires") == "300"
    assert first.get("authorization") is None

    _answer(ua, 100)
    _answer(ua, 401, f"WWW-Authenticate: {CHALLENGE}")
    second = _last_request(ua)
    auth = parse_params(second.get("authorization").removeprefix("Digest "))
    assert auth["username"] == "620"
    assert auth["uri"] == "sip:fritz.box"
    assert second.cseq[0] == first.cseq[0] + 1
    assert second.call_id == first.call_id
    assert second.branch != first.branch

    _answer(
        ua,
        200,
        "Contact: <sip:620@192.168.1.2:5062>;expires=120, <sip:620@x>;expires=9",
    )
    assert states == [RegState.REGISTERING, RegState.REGISTERED]
    assert registration.granted == 120

    _transport(ua).take()
    clock.advance(95.9)
    assert _transport(ua).sent == []
    clock.advance(0.2)
    refresh = _last_request(ua)
    refresh_auth = parse_params(refresh.get("authorization").removeprefix("Digest "))
    assert refresh_auth["nc"] == "00000002"  # the same nonce, counted on
    _answer(ua, 200, "Expires: 100")
    assert registration.granted == 100
    assert states == [RegState.REGISTERING, RegState.REGISTERED]


def test_a_proxy_challenge_is_answered_with_proxy_authorization(
    ua: SipUserAgent, states: list[RegState]
) -> None:
    registration = _registration(ua, states, auth_user="auth620")
    registration.start()
    _answer(ua, 407, f"Proxy-Authenticate: {CHALLENGE}")

    request = _last_request(ua)
    assert request.get("authorization") is None
    auth = parse_params(request.get("proxy-authorization").removeprefix("Digest "))
    assert auth["username"] == "auth620"
    _answer(ua, 200)
    assert registration.granted == 300


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ([(403, ())], RegState.AUTH_FAILED),
        ([(401, (f"WWW-Authenticate: {CHALLENGE}",))] * 2, RegState.AUTH_FAILED),
        ([(401, ("WWW-Authenticate: Basic realm=x",))], RegState.AUTH_FAILED),
        ([(404, ())], RegState.FAILED),
        ([(503, ())], RegState.FAILED),
    ],
)
def test_refusals_are_reported_and_retried_later(
    ua: SipUserAgent,
    clock: Clock,
    states: list[RegState],
    answers: list[tuple[int, tuple[str, ...]]],
    state: RegState,
) -> None:
    registration = _registration(ua, states)
    registration.start()
    for status, headers in answers:
        _answer(ua, status, *headers)

    assert registration.state is state
    assert states[-1] is state
    _transport(ua).take()
    clock.advance(RETRY_FIRST - 1)
    assert _transport(ua).sent == []
    clock.advance(1)
    assert _last_request(ua).get("authorization") is None or answers[0][0] == 401
    assert registration.state is RegState.REGISTERING


def test_a_stale_nonce_is_answered_again(
    ua: SipUserAgent, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    _answer(ua, 401, f"WWW-Authenticate: {CHALLENGE}")
    _answer(ua, 401, f"WWW-Authenticate: {CHALLENGE}, stale=true")
    _answer(ua, 200)

    assert registration.state is RegState.REGISTERED


def test_interval_too_brief_asks_again_with_the_minimum(
    ua: SipUserAgent, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    _answer(ua, 423, "Min-Expires: 600")

    assert _last_request(ua).get("expires") == "600"
    _answer(ua, 200)
    assert registration.granted == 600


def test_a_silent_registrar_is_retransmitted_then_unreachable(
    ua: SipUserAgent, clock: Clock, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    sent_at = []
    for _ in range(80):
        before = len(_transport(ua).sent)
        clock.advance(0.5)
        if len(_transport(ua).sent) > before:
            sent_at.append(clock.now)
    assert sent_at[:5] == [0.5, 1.5, 3.5, 7.5, 11.5]
    assert registration.state is RegState.UNREACHABLE
    assert registration.status is None


def test_responses_to_other_requests_are_ignored(
    ua: SipUserAgent, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    request = _last_request(ua)
    other = parse(
        _request("REGISTER", call_id="someone-else").replace(
            b"REGISTER sip:620@192.168.1.2:5062 SIP/2.0", b"REGISTER sip:x SIP/2.0"
        )
    )
    _answer(ua, 200, request=other)

    assert registration.state is RegState.REGISTERING
    assert request.call_id != "someone-else"


def test_stopping_removes_the_binding_and_every_timer(
    ua: SipUserAgent, clock: Clock, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    _answer(ua, 200)
    _transport(ua).take()

    ua.close()

    assert _last_request(ua).get("expires") == "0"
    assert clock.pending == 0
    assert registration.state is RegState.IDLE


def test_stopping_while_not_registered_sends_nothing(
    ua: SipUserAgent, clock: Clock, states: list[RegState]
) -> None:
    registration = _registration(ua, states)
    registration.start()
    _answer(ua, 403)
    _transport(ua).take()

    registration.stop()

    assert _transport(ua).sent == []
    assert clock.pending == 0
