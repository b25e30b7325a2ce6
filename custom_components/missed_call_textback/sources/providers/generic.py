"""Any JSON webhook: the owner names where the number and the status are.

Authentication is a shared secret in a header, or an HMAC-SHA256 (hex, an
optional ``sha256=`` prefix) of the raw body in a header.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
import hashlib
import hmac
from typing import Any, Final

from . import (
    CallEnded,
    FieldKind,
    FormErrors,
    FormField,
    InboundRequest,
    MalformedError,
    ProviderDescription,
    ProviderKind,
    ProviderSignal,
    json_object,
    secret_setting,
    text_or_none,
)

CONTENT_TYPE = "application/json"
CONF_NUMBER_PATH: Final = "number_path"
CONF_STATUS_PATH: Final = "status_path"
CONF_MISSED_VALUES: Final = "missed_values"
CONF_NAME_PATH: Final = "name_path"
CONF_CALL_ID_PATH: Final = "call_id_path"
CONF_AUTH_MODE: Final = "auth_mode"
CONF_SECRET_HEADER: Final = "secret_header"  # noqa: S105 - a setting's name
CONF_SECRET: Final = "secret"  # noqa: S105 - a setting's name
DEFAULT_SECRET_HEADER: Final = "X-Webhook-Secret"  # noqa: S105 - a header name
DEFAULT_MISSED_VALUES: Final = ("missed", "no-answer", "busy")
# Deeper than any webhook nests what matters; a longer path finds nothing, so
# a lookup costs at most this many steps whatever the owner typed.
MAX_PATH_PARTS = 32


class AuthMode(StrEnum):
    """How a generic webhook's requests prove where they come from."""

    HEADER = "header"
    HMAC = "hmac"
    NONE = "none"


def lookup(value: object, path: str) -> object:
    """Follow a dotted path (list items by index) into decoded JSON."""
    parts = path.split(".", MAX_PATH_PARTS)
    if len(parts) > MAX_PATH_PARTS:
        return None
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        # isdigit alone takes "²", which int() refuses.
        elif (
            isinstance(value, list)
            and part.isascii()
            and part.isdigit()
            and int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return None
    return value


class GenericProvider:
    """Reads an owner-described JSON webhook for one line."""

    content_type = CONTENT_TYPE

    def __init__(
        self,
        *,
        number_path: str,
        status_path: str,
        missed_values: Iterable[str],
        name_path: str | None,
        call_id_path: str | None,
        auth_mode: AuthMode,
        header: str,
        secret: str,
    ) -> None:
        """Initialize with the owner's paths, missed statuses and secret."""
        self._number_path = number_path
        self._status_path = status_path
        self._missed = frozenset(value.strip().lower() for value in missed_values)
        self._name_path = name_path
        self._call_id_path = call_id_path
        self._auth_mode = auth_mode
        self.signed = auth_mode is not AuthMode.NONE
        self._header = header
        self._secret = secret.encode()

    def verify(self, request: InboundRequest) -> bool:
        """Check the shared secret or the HMAC."""
        if self._auth_mode is AuthMode.NONE:
            return True
        sent = request.header(self._header).strip()
        if not sent or not self._secret:
            return False
        if self._auth_mode is AuthMode.HEADER:
            return hmac.compare_digest(sent.encode(), self._secret)
        expected = hmac.new(self._secret, request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(
            sent.removeprefix("sha256=").lower().encode(), expected.encode()
        )

    def parse(self, request: InboundRequest) -> list[ProviderSignal]:
        """Read one call from the owner's paths."""
        event = json_object(request.body)
        status = text_or_none(lookup(event, self._status_path))
        if status is None:
            raise MalformedError("no status at the status path")
        call_id = (
            text_or_none(lookup(event, self._call_id_path))
            if self._call_id_path
            else None
        )
        if call_id is None:
            # A retried delivery has the same body, so the same id.
            call_id = hashlib.sha256(request.body).hexdigest()[:32]
        name = lookup(event, self._name_path) if self._name_path else None
        return [
            CallEnded(
                call_id=f"generic:{call_id}",
                number=text_or_none(lookup(event, self._number_path)),
                caller_name=text_or_none(name),
                missed=status.lower() in self._missed,
            )
        ]


def _build(data: Mapping[str, Any]) -> GenericProvider:
    secret = secret_setting(data, CONF_SECRET)
    mode = AuthMode(data.get(CONF_AUTH_MODE, AuthMode.HEADER))
    return GenericProvider(
        number_path=str(data[CONF_NUMBER_PATH]),
        status_path=str(data[CONF_STATUS_PATH]),
        missed_values=[str(value) for value in data.get(CONF_MISSED_VALUES, [])],
        name_path=str(data.get(CONF_NAME_PATH) or "") or None,
        call_id_path=str(data.get(CONF_CALL_ID_PATH) or "") or None,
        auth_mode=AuthMode.NONE if secret is None else mode,
        header=str(data.get(CONF_SECRET_HEADER) or ""),
        secret=secret or "",
    )


def _check_form(cleaned: Mapping[str, Any]) -> FormErrors:
    for key in (CONF_NUMBER_PATH, CONF_STATUS_PATH):
        if not cleaned[key]:
            return {key: "path_required"}
    if not cleaned[CONF_MISSED_VALUES]:
        return {CONF_MISSED_VALUES: "missed_values_required"}
    if cleaned[CONF_SECRET] and not cleaned[CONF_SECRET_HEADER]:
        return {CONF_SECRET_HEADER: "header_required"}
    return {}


DESCRIPTION: Final = ProviderDescription(
    kind=ProviderKind.GENERIC,
    translation_key=ProviderKind.GENERIC.value,
    build=_build,
    secret_field=CONF_SECRET,
    fields=(
        FormField(key=CONF_NUMBER_PATH, default="from"),
        FormField(key=CONF_STATUS_PATH, default="status"),
        FormField(
            key=CONF_MISSED_VALUES,
            kind=FieldKind.TEXT_LIST,
            default=DEFAULT_MISSED_VALUES,
        ),
        FormField(key=CONF_NAME_PATH),
        FormField(key=CONF_CALL_ID_PATH),
        FormField(
            key=CONF_AUTH_MODE,
            kind=FieldKind.CHOICE,
            default=AuthMode.HEADER.value,
            choices=(AuthMode.HEADER.value, AuthMode.HMAC.value),
        ),
        FormField(key=CONF_SECRET_HEADER, default=DEFAULT_SECRET_HEADER),
        FormField(key=CONF_SECRET, kind=FieldKind.PASSWORD, secret=True),
    ),
    check_form=_check_form,
)
