"""SIP messages (RFC 3261 section 7): parse and build the subset a ringing UA needs.

Pure: no sockets, no Home Assistant. Anything that is not a well-formed SIP
message raises SipParseError; nothing else escapes the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def get_all(self, name: str) -> list[str]:
        """Return every value of a header, comma-separated lists split."""
        key = _long_name(name)
        values: list[str] = []
        for header, value in self.headers:
            if header == key:
                values.extend(
                    split_list(value) if key in _LIST_HEADERS else [value.strip()]
                )
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
        vias = self.get_all("via")
        return vias[0] if vias else ""

    @property
    def branch(self) -> str:
        """Return the branch of the topmost Via."""
        return header_params(self.top_via).get("branch", "")


# Header names as sent -> long lower-case form; bounded, so junk names cost a
# little time each but never memory.
_NAMES: dict[str, str] = {}
_MAX_NAMES = 1024


def _long_name(name: str) -> str:
    if (known := _NAMES.get(name)) is not None:
        return known
    lower = name.strip().lower()
    long_name = COMPACT_FORMS.get(lower, lower)
    if len(_NAMES) < _MAX_NAMES:
        _NAMES[name] = long_name
    return long_name


def split_list(value: str) -> list[str]:
    """Split a header value on commas outside quotes and angle brackets."""
    if "," not in value:
        return [value.strip()] if value.strip() else []
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    angle = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            angle = True
        elif not quoted and char == ">":
            angle = False
        elif char == "," and not quoted and not angle:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def parse_cseq(value: str) -> tuple[int, str]:
    """Parse a CSeq value into its number and method."""
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or not _TOKEN.match(parts[1]):
        raise SipParseError("bad CSeq")
    number = int(parts[0])
    if number >= 2**31:
        raise SipParseError("CSeq out of range")
    return number, parts[1].upper()


def header_params(value: str) -> dict[str, str]:
    """Return the ;name=value parameters after a header's main part.

    For name-addr forms (<uri>;tag=...) only the parameters after the closing
    angle bracket count: the URI's own parameters belong to the URI.
    """
    rest = value.rsplit(">", 1)[1] if ">" in value else value
    params: dict[str, str] = {}
    for part in rest.split(";")[1:]:
        name, _, param = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = param.strip().strip('"')
    return params


def parse(data: bytes) -> SipMessage:
    """Parse one datagram into a SIP message."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SipParseError("not UTF-8") from err
    lines = text.replace("\r\n", "\n").split("\n")
    # RFC 3261 section 7.5: ignore empty lines before the start line.
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise SipParseError("empty")
    message = _start_line(lines[0])
    headers = _headers(lines[1:])
    message.headers = headers
    length = message.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > len(body):
            raise SipParseError("bad Content-Length")
        body = body[: int(length)]
    message.body = body
    if message.is_request:
        _check_request(message)
    else:
        message.cseq  # noqa: B018 - raises on a bad CSeq
    return message


def _headers(lines: list[str]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            # Folded continuation of the previous header (section 7.3.1).
            if not headers:
                raise SipParseError("continuation without a header")
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise SipParseError("bad header line")
        if (long_name := _NAMES.get(name)) is None:
            if not _TOKEN.match(name.strip()):
                raise SipParseError("bad header line")
            long_name = _long_name(name)
        headers.append((long_name, value.strip()))
        if len(headers) > _MAX_HEADERS:
            raise SipParseError("too many headers")
    return headers


def _start_line(line: str) -> SipMessage:
    if line.startswith(f"{SIP_VERSION} "):
        _, _, rest = line.partition(" ")
        code, _, reason = rest.partition(" ")
        if len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 699:
            raise SipParseError("bad status code")
        return SipMessage(status=int(code), reason=reason.strip())
    parts = line.split(" ")
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


def build_response(
    request: SipMessage,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """Build a response to a request (section 8.2.6: copy Via, From, To...)."""
    headers: list[tuple[str, str]] = [("Via", via) for via in request.get_all("via")]
    headers.append(("From", request.get("from") or ""))
    to = request.get("to") or ""
    if to_tag and "tag" not in header_params(to):
        to = f"{to};tag={to_tag}"
    headers.append(("To", to))
    headers.append(("Call-ID", request.call_id))
    headers.append(("CSeq", request.get("cseq") or ""))
    headers.extend(extra or [])
    return serialize(f"{SIP_VERSION} {status} {reason}", headers)
