"""SIP messages (RFC 3261 section 7): parse and build the subset a ringing UA needs.

Pure: no sockets, no Home Assistant. Anything that is not a well-formed SIP
message raises SipParseError; nothing else escapes the parser.

Every datagram comes from the network, so every path here is linear in the
datagram, and where a datagram can be large the work per byte happens in C
(str methods, re): a 64 KiB datagram built for the worst case parses in about
0.3 ms on a small box, a real INVITE in 0.01 ms. Python loops run per header
line (at most MAX_LINES), per list item (at most MAX_LIST_ITEMS) or per
parameter (at most MAX_PARAMS); items and parameters beyond are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
import re
import secrets

SIP_VERSION = "SIP/2.0"
# RFC 3261 section 8.1.1.7: branches of RFC 3261 peers start with this cookie.
BRANCH_COOKIE = "z9hG4bK"

# RFC 3261 section 7.3.3 and the IANA registry: compact header forms.
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}
# Headers whose values may be comma-separated lists (RFC 3261 section 7.3.1).
_LIST_HEADERS = frozenset(
    {
        "via",
        "contact",
        "route",
        "record-route",
        "p-asserted-identity",
        "allow",
        "reason",
    }
)
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
_MAX_HEADERS = 256
# Lines of the header section, folded continuations included: each costs a
# turn of a Python loop, so their number is bounded before any is looked at.
MAX_LINES = 2 * _MAX_HEADERS
# Values read from one header list (get_all) and parameters from one value.
# Real messages carry a handful; beyond these a list or parameter is ignored.
MAX_LIST_ITEMS = 64
MAX_PARAMS = 32
# RFC 3261 numbers (CSeq, Content-Length, Expires) fit 32 bits: 10 digits.
_MAX_DIGITS = 10
# One list item: quoted strings and <URIs> may hold commas. It starts with a
# plain character class so that re skips separators at C speed (a class, not
# a group, is what its search can scan for); the lookbehinds then carry on
# into a quoted string or a <URI> that first character opened. Every part
# matches at least one character or is optional, and nothing follows the
# loop: a match never fails, so it never backtracks, and the cost is linear.
_LIST_ITEM = re.compile(
    r'[^\s,](?:(?<=")(?:[^"\\]+|\\.)*"?|(?<=<)[^>]*>?)?'
    r'(?:[^,"<]+|"(?:[^"\\]+|\\.)*"?|<[^>]*>?)*'
)


class SipParseError(ValueError):
    """A datagram that is not a SIP message this UA can read."""


@dataclass(slots=True)
class SipMessage:
    """A SIP request or response."""

    # Requests: method and uri; responses: status and reason.
    method: str = ""
    uri: str = ""
    status: int = 0
    reason: str = ""
    # Header names in lower case, long form; values as sent (unfolded).
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        """Return whether this is a request."""
        return self.status == 0

    def get(self, name: str) -> str | None:
        """Return the first value of a header (compact or long name)."""
        key = _long_name(name)
        for header, value in self.headers:
            if header == key:
                return value
        return None

    def get_all(self, name: str, limit: int = MAX_LIST_ITEMS) -> list[str]:
        """Return the values of a header, comma-separated lists split.

        At most limit values: a caller that must copy every one (Via, in a
        response) checks that there are no more before it relies on them.
        """
        key = _long_name(name)
        values: list[str] = []
        for header, value in self.headers:
            if header == key:
                if key in _LIST_HEADERS:
                    values.extend(split_list(value, limit - len(values)))
                else:
                    values.append(value.strip())
                if len(values) >= limit:
                    return values[:limit]
        return values

    @property
    def call_id(self) -> str:
        """Return the Call-ID."""
        return self.get("call-id") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        """Return the CSeq number and method."""
        return parse_cseq(self.get("cseq") or "")

    @property
    def top_via(self) -> str:
        """Return the topmost Via value."""
        vias = self.get_all("via", 1)
        return vias[0] if vias else ""

    @property
    def branch(self) -> str:
        """Return the branch of the topmost Via."""
        return header_params(self.top_via).get("branch", "")


# Header names as sent -> long lower-case form; bounded in entries and in the
# length of each name, so junk names cost a little time each but never memory.
_NAMES: dict[str, str] = {}
_MAX_NAMES = 1024
_MAX_NAME_CACHED = 40


def _long_name(name: str) -> str:
    if (known := _NAMES.get(name)) is not None:
        return known
    lower = name.strip().lower()
    long_name = COMPACT_FORMS.get(lower, lower)
    if len(_NAMES) < _MAX_NAMES and len(name) <= _MAX_NAME_CACHED:
        _NAMES[name] = long_name
    return long_name


def ascii_uint(value: str) -> int | None:
    """Return a number of 1 to 10 ASCII digits, else None.

    str.isdigit() alone also takes superscripts, which int() then refuses, and
    other scripts' digits, which it reads as a number no peer meant; and int()
    of thousands of digits raises.
    """
    if 0 < len(value) <= _MAX_DIGITS and value.isascii() and value.isdigit():
        return int(value)
    return None


def split_list(value: str, limit: int = MAX_LIST_ITEMS) -> list[str]:
    """Split a header value on commas outside quotes and angle brackets.

    At most limit items: the regular expression finds them one by one, so
    the rest of a list of 30000 commas is never looked at.
    """
    if "," not in value:
        item = value.strip()
        return [item] if item and limit > 0 else []
    return [
        match.group().strip()
        for match in islice(_LIST_ITEM.finditer(value), max(limit, 0))
    ]


def parse_cseq(value: str) -> tuple[int, str]:
    """Parse a CSeq value into its number and method."""
    parts = value.split(None, 2)
    number = ascii_uint(parts[0]) if parts else None
    if len(parts) != 2 or number is None or not _TOKEN.match(parts[1]):
        raise SipParseError("bad CSeq")
    if number >= 2**31:
        raise SipParseError("CSeq out of range")
    return number, parts[1].upper()


def header_params(value: str) -> dict[str, str]:
    """Return the ;name=value parameters after a header's main part.

    For name-addr forms (<uri>;tag=...) only the parameters after the closing
    angle bracket count: the URI's own parameters belong to the URI. Only the
    first MAX_PARAMS are read.
    """
    rest = value.rsplit(">", 1)[1] if ">" in value else value
    params: dict[str, str] = {}
    for part in rest.split(";", MAX_PARAMS + 1)[1 : MAX_PARAMS + 1]:
        name, _, param = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = param.strip().strip('"')
    return params


def parse(data: bytes) -> SipMessage:
    """Parse one datagram into a SIP message."""
    # RFC 3261 section 7.5: ignore empty lines before the start line, even
    # a CRLF CRLF keep-alive the message follows (it would end the header
    # section). Found in one pass: dropping them one at a time was quadratic.
    blank = len(data) - len(data.lstrip(b" \t\r\n"))
    data = data[data.rfind(b"\n", 0, blank) + 1 :]
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SipParseError("not UTF-8") from err
    # Lines blank in Unicode's sense only (no-break spaces...) count as empty too.
    first = len(text) - len(text.lstrip())
    if first == len(text):
        raise SipParseError("empty")
    text = text[text.rfind("\n", 0, first) + 1 :]
    lines = text.replace("\r\n", "\n").split("\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        raise SipParseError("too many header lines")
    message = _start_line(lines[0])
    headers = _headers(lines[1:])
    message.headers = headers
    length = message.get("content-length")
    if length is not None:
        size = ascii_uint(length)
        if size is None or size > len(body):
            raise SipParseError("bad Content-Length")
        body = body[:size]
    message.body = body
    if message.is_request:
        _check_request(message)
    else:
        message.cseq  # noqa: B018 - raises on a bad CSeq
    return message


def _headers(lines: list[str]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    # Pieces of the last header's folded value, joined once: appending to the
    # value line by line copied it each time (quadratic in the folding).
    folded: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            # Folded continuation of the previous header (section 7.3.1).
            if not headers:
                raise SipParseError("continuation without a header")
            folded.append(line.strip())
            continue
        if folded:
            _unfold(headers, folded)
            folded = []
        headers.append(_header(line))
        if len(headers) > _MAX_HEADERS:
            raise SipParseError("too many headers")
    if folded:
        _unfold(headers, folded)
    return headers


def _unfold(headers: list[tuple[str, str]], folded: list[str]) -> None:
    name, value = headers[-1]
    headers[-1] = (name, " ".join([value, *folded]))


def _header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon:
        raise SipParseError("bad header line")
    if (long_name := _NAMES.get(name)) is None:
        if not _TOKEN.match(name.strip()):
            raise SipParseError("bad header line")
        long_name = _long_name(name)
    return long_name, value.strip()


def _start_line(line: str) -> SipMessage:
    if line.startswith(f"{SIP_VERSION} "):
        code, _, reason = line[len(SIP_VERSION) + 1 :].partition(" ")
        status = ascii_uint(code) if len(code) == 3 else None
        if status is None or not 100 <= status <= 699:
            raise SipParseError("bad status code")
        return SipMessage(status=status, reason=reason.strip())
    parts = line.split(" ", 3)
    if len(parts) != 3 or parts[2] != SIP_VERSION or not _TOKEN.match(parts[0]):
        raise SipParseError("bad start line")
    if ":" not in parts[1]:
        raise SipParseError("bad request URI")
    return SipMessage(method=parts[0].upper(), uri=parts[1])


def _check_request(message: SipMessage) -> None:
    for name in ("via", "from", "to", "call-id", "cseq"):
        if not message.get(name):
            raise SipParseError(f"missing {name}")
    _, method = message.cseq
    if method != message.method:
        raise SipParseError("CSeq method differs from the request method")


# --- addresses ---------------------------------------------------------------

_URI = re.compile(r"(?:sips?|tel):[^\s;>,]*", re.IGNORECASE)


def address_uri(value: str) -> str:
    """Return the URI of a From/To/Contact/P-Asserted-Identity value."""
    if "<" in value:
        start = value.index("<") + 1
        end = value.find(">", start)
        return value[start:end] if end != -1 else value[start:]
    match = _URI.search(value)
    return match.group(0) if match else value.split(";", 1)[0].strip()


def display_name(value: str) -> str | None:
    """Return the display name of a name-addr, if any."""
    if "<" not in value:
        return None
    name = value[: value.index("<")].strip()
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return name or None


def uri_user(uri: str) -> str | None:
    """Return the user part of a sip:/sips:/tel: URI (the phone number)."""
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return None
    scheme = scheme.strip().lower()
    if scheme == "tel":
        user = rest.split(";", 1)[0]
    elif scheme in ("sip", "sips"):
        if "@" not in rest:
            return None
        user = rest.split("@", 1)[0].split(";", 1)[0].split(":", 1)[0]
    else:
        return None
    user = user.strip()
    return user or None


# --- building ----------------------------------------------------------------


def new_tag() -> str:
    """Return a fresh From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """Return a fresh Via branch (RFC 3261 magic cookie first)."""
    return f"{BRANCH_COOKIE}{secrets.token_hex(8)}"


def new_call_id(host: str) -> str:
    """Return a fresh Call-ID."""
    return f"{secrets.token_hex(10)}@{host}"


def serialize(
    start_line: str, headers: list[tuple[str, str]], body: bytes = b""
) -> bytes:
    """Serialise a message; Content-Length is added here."""
    lines = [start_line]
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def response_headers(
    request: SipMessage, *, to_tag: str | None = None
) -> list[tuple[str, str]]:
    """Return what a response copies from its request (section 8.2.6.2).

    Via, From, To (with to_tag unless it has a tag), Call-ID and CSeq; every
    Via up to MAX_LIST_ITEMS, so a caller refuses requests with more first.
    """
    headers: list[tuple[str, str]] = [("Via", via) for via in request.get_all("via")]
    headers.append(("From", request.get("from") or ""))
    to = request.get("to") or ""
    if to_tag and "tag" not in header_params(to):
        to = f"{to};tag={to_tag}"
    headers.append(("To", to))
    headers.append(("Call-ID", request.call_id))
    headers.append(("CSeq", request.get("cseq") or ""))
    return headers


def header_block(headers: list[tuple[str, str]]) -> bytes:
    """Serialise header lines, each ending in CRLF, to reuse in several messages."""
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode()


def response_from_block(status: int, reason: str, block: bytes) -> bytes:
    """Build a body-less response from header lines made by header_block."""
    return (
        f"{SIP_VERSION} {status} {reason}\r\n".encode()
        + block
        + b"Content-Length: 0\r\n\r\n"
    )


def build_response(
    request: SipMessage,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """Build a response to a request (section 8.2.6: copy Via, From, To...)."""
    headers = response_headers(request, to_tag=to_tag)
    headers.extend(extra or [])
    return serialize(f"{SIP_VERSION} {status} {reason}", headers)
