"""Digest authentication against the RFCs' own examples."""

from __future__ import annotations

import hashlib

import pytest

from custom_components.missed_call_textback.sources.sip.digest import (
    Challenge,
    DigestError,
    authorization,
    best_challenge,
    parse_challenge,
    parse_params,
)

# RFC 7616 section 3.9.1.
RFC7616 = {
    "realm": "http-auth@example.org",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
}


def _response(header: str) -> str:
    return parse_params(header.removeprefix("Digest "))["response"]


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_the_rfc_7616_examples_give_the_rfc_responses(
    algorithm: str, expected: str
) -> None:
    challenge = parse_challenge(
        f'Digest realm="{RFC7616["realm"]}", qop="auth, auth-int", '
        f'algorithm={algorithm}, nonce="{RFC7616["nonce"]}", '
        f'opaque="{RFC7616["opaque"]}"'
    )

    header = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle of Life",  # noqa: S106
        cnonce=RFC7616["cnonce"],
    )

    assert _response(header) == expected
    params = parse_params(header.removeprefix("Digest "))
    assert params["qop"] == "auth"
    assert params["nc"] == "00000001"
    assert params["opaque"] == RFC7616["opaque"]
    assert params["algorithm"] == algorithm


def test_the_rfc_2617_example_gives_the_rfc_response() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )

    header = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",  # noqa: S106
        cnonce="0a4f113b",
    )

    assert _response(header) == "6629fae49393a05397450978507c4ef1"


def test_without_qop_the_old_rfc_2069_digest_is_sent() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n"')

    header = authorization(
        challenge,
        method="REGISTER",
        uri="sip:h",
        username="u",
        password="p",  # noqa: S106
    )

    ha1 = hashlib.md5(b"u:r:p").hexdigest()  # noqa: S324
    ha2 = hashlib.md5(b"REGISTER:sip:h").hexdigest()  # noqa: S324
    assert _response(header) == hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()  # noqa: S324
    assert "qop" not in header
    assert "opaque" not in header


def test_sess_algorithms_hash_the_nonces_into_ha1() -> None:
    challenge = parse_challenge(
        'Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256-sess'
    )

    header = authorization(
        challenge,
        method="REGISTER",
        uri="sip:h",
        username="u",
        password="p",  # noqa: S106
        cnonce="c",
        nc=2,
    )

    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    ha1 = sha(f"{sha('u:r:p')}:n:c")
    assert _response(header) == sha(f"{ha1}:n:00000002:c:auth:{sha('REGISTER:sip:h')}")


def test_quotes_in_user_names_are_escaped() -> None:
    challenge = Challenge(realm="r", nonce="n")

    header = authorization(
        challenge,
        method="M",
        uri="u",
        username='a"b\\',
        password="p",  # noqa: S106
    )

    assert parse_params(header.removeprefix("Digest "))["username"] == 'a"b\\'


def test_sha_256_is_preferred_over_md5() -> None:
    challenge = best_challenge(
        [
            'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
            'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
            "Basic realm=r",
            'Digest realm="r", nonce="3", algorithm=SHA-512-256',
        ]
    )

    assert challenge.nonce == "2"


@pytest.mark.parametrize(
    "values",
    [
        [],
        ["Basic realm=x"],
        ['Digest nonce="n"'],
        ['Digest realm="r"'],
        ['Digest realm="r", nonce="n", algorithm=SHA-512-256'],
        ['Digest realm="r", nonce="n", qop="auth-int"'],
    ],
)
def test_challenges_it_cannot_answer_are_refused(values: list[str]) -> None:
    with pytest.raises(DigestError):
        best_challenge(values)


def test_an_unsupported_challenge_cannot_be_answered() -> None:
    with pytest.raises(DigestError):
        authorization(
            Challenge(realm="r", nonce="n", algorithm="SHA-512"),
            method="M",
            uri="u",
            username="a",
            password="p",  # noqa: S106
        )


def test_stale_and_bare_parameters_are_read() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", stale=TRUE, domain')

    assert challenge.stale
    assert parse_params('a="x\\"y", b=plain , c') == {"a": 'x"y', "b": "plain", "c": ""}
