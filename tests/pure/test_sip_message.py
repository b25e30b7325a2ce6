"""SIP message parsing and building: the wire format, and garbage must not crash."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.missed_call_textback.sources.sip.message import (
    SipParseError,
    address_uri,
    build_response,
    display_name,
    header_params,
    new_branch,
    new_call_id,
    parse,
    parse_cseq,
    serialize,
    split_list,
    uri_user,
)

INVITE = (
    b"INVITE sip:620@192.168.1.2:5062 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.168.1.1:5060;branch=z9hG4bKabc;rport\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKdef\r\n"
    b'From: "Jane \\"JD\\" Doe" <sip:+16502530000@pbx.local;user=phone>;tag=f1\r\n'
    b"To: <sip:620@pbx.local>\r\n"
    b"Call-ID: abc@pbx\r\n"
    b"CSeq: 101 INVITE\r\n"
    b"Subject: a folded\r\n"
    b"  header\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\nEXTRA"
)


def test_a_request_is_parsed_with_its_headers_unfolded() -> None:
    message = parse(INVITE)

    assert message.is_request
    assert message.method == "INVITE"
    assert message.uri == "sip:620@192.168.1.2:5062"
    assert message.call_id == "abc@pbx"
    assert message.cseq == (101, "INVITE")
    assert message.branch == "z9hG4bKabc"
    assert message.get("Subject") == "a folded header"
    assert len(message.get_all("via")) == 2
    assert message.body == b"v=0\n"  # Content-Length cuts the body


def test_compact_header_forms_read_as_the_long_ones() -> None:
    message = parse(
        b"CANCEL sip:620@h SIP/2.0\r\n"
        b"v: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK2\r\n"
        b"f: <sip:1@h>;tag=a\r\nt: <sip:2@h>\r\ni: cid\r\n"
        b"CSeq: 1 CANCEL\r\nl: 0\r\n\r\n"
    )

    assert message.call_id == "cid"
    assert message.get("from") == "<sip:1@h>;tag=a"
    assert message.get("f") == "<sip:1@h>;tag=a"
    assert message.get_all("v") == [
        "SIP/2.0/UDP h;branch=z9hG4bK1",
        "SIP/2.0/UDP g;branch=z9hG4bK2",
    ]


def test_a_response_is_parsed_and_bare_newlines_are_accepted() -> None:
    message = parse(
        b"\r\nSIP/2.0 401 Unauthorized\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
        b"Call-ID: x\nCSeq: 2 REGISTER\n\n"
    )

    assert not message.is_request
    assert (message.status, message.reason) == (401, "Unauthorized")
    assert message.cseq == (2, "REGISTER")
    assert message.get("www-authenticate") is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"\xff\xfe",
        b"HELLO",
        b"INVITE sip:x SIP/3.0\r\n\r\n",
        b"INVITE nouri SIP/2.0\r\n\r\n",
        b"IN VITE sip:x SIP/2.0\r\n\r\n",
        b"SIP/2.0 99 Low\r\n\r\n",
        b"SIP/2.0 abc OK\r\n\r\n",
        b"SIP/2.0 200 OK\r\nCSeq: x\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\n folded first\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\nno colon here\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\nVia: v\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\n" + b"X: y\r\n" * 300 + b"\r\n",
        (
            b"INVITE sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
            b"CSeq: 1 BYE\r\n\r\n"
        ),
        (
            b"INVITE sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
            b"CSeq: 99999999999 INVITE\r\n\r\n"
        ),
        (
            b"INVITE sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
            b"CSeq: 1 INVITE\r\nContent-Length: 10\r\n\r\nshort"
        ),
        (
            b"INVITE sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
            b"CSeq: 1 INVITE\r\nContent-Length: -1\r\n\r\n"
        ),
    ],
)
def test_malformed_messages_raise_a_parse_error(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse(data)


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_anything_but_a_parse_error(data: bytes) -> None:
    with contextlib.suppress(SipParseError):
        parse(data)


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "INVITE sip:a@b SIP/2.0",
                "SIP/2.0 180 Ringing",
                "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                "v: x",
                "From: <sip:1@h>;tag=1",
                "To: <sip:2@h>",
                "Call-ID: c",
                "CSeq: 1 INVITE",
                "CSeq: x",
                "Content-Length: 3",
                " folded",
                "",
                "junk",
                "l: 99",
            ]
        ),
        max_size=12,
    )
)
def test_shuffled_sip_lines_never_raise_anything_but_a_parse_error(
    lines: list[str],
) -> None:
    with contextlib.suppress(SipParseError):
        parse("\r\n".join(lines).encode())


def test_a_response_copies_the_request_headers_and_adds_the_to_tag() -> None:
    invite = parse(INVITE)

    ringing = parse(build_response(invite, 180, "Ringing", to_tag="t1"))
    trying = parse(build_response(invite, 100, "Trying"))

    assert (ringing.status, ringing.reason) == (180, "Ringing")
    assert ringing.get_all("via") == invite.get_all("via")
    assert ringing.get("from") == invite.get("from")
    assert ringing.get("to") == "<sip:620@pbx.local>;tag=t1"
    assert ringing.call_id == "abc@pbx"
    assert ringing.cseq == (101, "INVITE")
    assert trying.get("to") == "<sip:620@pbx.local>"
    assert trying.get("content-length") == "0"


def test_a_to_tag_already_there_is_kept() -> None:
    invite = parse(INVITE.replace(b"To: <sip:620@pbx.local>", b"To: <sip:6@p>;tag=x"))

    response = parse(build_response(invite, 481, "No", to_tag="new"))

    assert response.get("to") == "<sip:6@p>;tag=x"


def test_serialize_adds_the_content_length() -> None:
    data = serialize("OPTIONS sip:x SIP/2.0", [("Via", "v")], b"body")

    assert data.endswith(b"Content-Length: 4\r\n\r\nbody")


@pytest.mark.parametrize(
    ("value", "uri", "name", "user"),
    [
        (
            '"Jane" <sip:+16502530000@pbx;user=phone>;tag=1',
            "sip:+16502530000@pbx;user=phone",
            "Jane",
            "+16502530000",
        ),
        (
            "Jane Doe <sip:0301234567@pbx:5060>",
            "sip:0301234567@pbx:5060",
            "Jane Doe",
            "0301234567",
        ),
        (
            "<tel:+16502530000;phone-context=x>",
            "tel:+16502530000;phone-context=x",
            None,
            "+16502530000",
        ),
        ("sip:100@pbx;tag=abc", "sip:100@pbx", None, "100"),
        ("<sip:pbx.local>", "sip:pbx.local", None, None),
        ("<mailto:a@b>", "mailto:a@b", None, None),
        ("<sip:@pbx>", "sip:@pbx", None, None),
        ('"" <sip:1@h', "sip:1@h", None, "1"),
        ("junk", "junk", None, None),
    ],
)
def test_addresses_give_their_uri_display_name_and_user(
    value: str, uri: str, name: str | None, user: str | None
) -> None:
    assert address_uri(value) == uri
    assert display_name(value) == name
    assert uri_user(address_uri(value)) == user


def test_lists_split_outside_quotes_and_brackets() -> None:
    assert split_list('"a, b" <sip:x@y>, <sip:1,2@h>, "q\\"," <tel:1>') == [
        '"a, b" <sip:x@y>',
        "<sip:1,2@h>",
        '"q\\"," <tel:1>',
    ]


def test_header_params_skip_the_uri_params() -> None:
    assert header_params("<sip:a@b;transport=udp>;tag=x;expires=60") == {
        "tag": "x",
        "expires": "60",
    }
    assert header_params('SIP;cause=200;text="Call completed elsewhere"') == {
        "cause": "200",
        "text": "Call completed elsewhere",
    }
    assert header_params("SIP/2.0/UDP h;;rport") == {"rport": ""}


def test_cseq_must_be_number_and_method() -> None:
    assert parse_cseq("7 register") == (7, "REGISTER")
    with pytest.raises(SipParseError):
        parse_cseq("7")


def test_generated_branches_and_call_ids_are_fresh() -> None:
    assert new_branch().startswith("z9hG4bK")
    assert new_branch() != new_branch()
    assert new_call_id("h").endswith("@h")
