"""HTTP digest authentication for SIP (RFC 3261 section 22, RFC 7616, RFC 8760).

Pure: reads a WWW-Authenticate / Proxy-Authenticate challenge and computes the
Authorization answer. MD5 and SHA-256 (and their -sess forms); qop=auth, or no
qop for old registrars (RFC 2069 style). auth-int is never chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import hashlib
import secrets

# Strongest first: RFC 8760 asks clients to prefer SHA-256 over MD5.
_HASHES: dict[str, Callable[[bytes], str]] = {
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "MD5": lambda data: hashlib.md5(data).hexdigest(),  # noqa: S324 - the protocol's
}


class DigestError(ValueError):
    """A challenge this client cannot answer."""


@dataclass(frozen=True, slots=True)
class Challenge:
    """One digest challenge."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False

    @property
    def supported(self) -> bool:
        """Return whether this client can answer the challenge."""
        return self.algorithm.removesuffix("-SESS") in _HASHES and (
            not self.qop or "auth" in self.qop
        )


def parse_params(text: str) -> dict[str, str]:
    """Parse comma-separated name=value pairs, values quoted or not."""
    params: dict[str, str] = {}
    index = 0
    length = len(text)
    while index < length:
        while index < length and text[index] in " \t,":
            index += 1
        start = index
        while index < length and text[index] not in "=,":
            index += 1
        name = text[start:index].strip().lower()
        if index >= length or text[index] != "=":
            if name:
                params[name] = ""
            continue
        value, index = _value(text, index + 1)
        params[name] = value
    return params


def _value(text: str, index: int) -> tuple[str, int]:
    """Read a quoted or plain value from index; return it and where it ended."""
    length = len(text)
    while index < length and text[index] in " \t":
        index += 1
    if index < length and text[index] == '"':
        index += 1
        value: list[str] = []
        while index < length and text[index] != '"':
            if text[index] == "\\" and index + 1 < length:
                index += 1
            value.append(text[index])
            index += 1
        return "".join(value), index + 1
    start = index
    while index < length and text[index] != ",":
        index += 1
    return text[start:index].strip(), index


def parse_challenge(value: str) -> Challenge:
    """Parse a WWW-Authenticate or Proxy-Authenticate value."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"scheme {scheme} is not Digest")
    params = parse_params(rest)
    if "realm" not in params or not params.get("nonce"):
        raise DigestError("challenge without realm or nonce")
    offered = params.get("qop", "").split(",")
    qop = tuple(part.strip().lower() for part in offered if part.strip())
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        algorithm=(params.get("algorithm") or "MD5").upper(),
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
    )


def best_challenge(values: list[str]) -> Challenge:
    """Pick the strongest challenge this client can answer among several."""
    challenges: list[Challenge] = []
    for value in values:
        try:
            challenge = parse_challenge(value)
        except DigestError:
            continue
        if challenge.supported:
            challenges.append(challenge)
    if not challenges:
        raise DigestError("no challenge this client can answer")
    order = list(_HASHES)
    return min(challenges, key=lambda c: order.index(c.algorithm.removesuffix("-SESS")))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def authorization(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """Return the Authorization / Proxy-Authorization value for a request."""
    if not challenge.supported:
        raise DigestError(f"algorithm {challenge.algorithm} is not supported")
    digest = _HASHES[challenge.algorithm.removesuffix("-SESS")]
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = digest(f"{username}:{challenge.realm}:{password}".encode())
    if challenge.algorithm.endswith("-SESS"):
        ha1 = digest(f"{ha1}:{challenge.nonce}:{cnonce}".encode())
    ha2 = digest(f"{method}:{uri}".encode())
    fields = [
        f"username={_quote(username)}",
        f"realm={_quote(challenge.realm)}",
        f"nonce={_quote(challenge.nonce)}",
        f"uri={_quote(uri)}",
    ]
    if challenge.qop:
        count = f"{nc:08x}"
        response = digest(
            f"{ha1}:{challenge.nonce}:{count}:{cnonce}:auth:{ha2}".encode()
        )
        fields.extend(
            [
                f"response={_quote(response)}",
                f"algorithm={challenge.algorithm}",
                f"cnonce={_quote(cnonce)}",
                "qop=auth",
                f"nc={count}",
            ]
        )
    else:
        response = digest(f"{ha1}:{challenge.nonce}:{ha2}".encode())
        fields.extend(
            [f"response={_quote(response)}", f"algorithm={challenge.algorithm}"]
        )
    if challenge.opaque is not None:
        fields.append(f"opaque={_quote(challenge.opaque)}")
    return "Digest " + ", ".join(fields)
