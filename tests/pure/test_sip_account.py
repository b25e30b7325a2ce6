"""The SIP account a registration signs in with."""

from __future__ import annotations

from custom_components.missed_call_textback.sources.sip.register import Account

PASSWORD = "fritz-Pa55word-9c1e"  # noqa: S105


def test_the_password_never_shows_in_a_repr() -> None:
    # A repr lands in tracebacks and debug logs, which owners paste into issues.
    account = Account(
        registrar=("192.168.178.1", 5060),
        domain="fritz.box",
        user="620",
        password=PASSWORD,
        auth_user="textback",
    )

    assert PASSWORD not in repr(account)
    assert PASSWORD not in repr([account])
    assert "user='620'" in repr(account)
    assert account.password == PASSWORD
