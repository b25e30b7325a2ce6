"""Repairs about a line's sending, raised and cleared in one place.

A notify service that is missing, a refused payload, a send given up on, a cap
that held texts back; cleared once a text gets through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.const import EVENT_SERVICE_REGISTERED
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback

from . import repairs
from .phone import scrub_numbers
from .sender import NOTIFY_DOMAIN, NotifySender, Sender, SendError


def _nothing_to_stop() -> None:
    """Stop nothing: the sender is not a notify service, nothing was listened to."""


class SendRepairs:
    """Raises and clears the repairs of one line's sender."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        line_name: Callable[[], str],
        sender: Callable[[], Sender],
    ) -> None:
        """Initialize; sender returns the line's sender once it is built."""
        self._hass = hass
        self._entry_id = entry_id
        self._line_name = line_name
        self._sender = sender

    def _notify_service(self) -> str | None:
        """Return the sender's notify service, when it sends through one."""
        sender = self._sender()
        return sender.service if isinstance(sender, NotifySender) else None

    @callback
    def async_watch(self) -> CALLBACK_TYPE:
        """Clear the missing-service repair once the notify service registers."""
        if (service := self._notify_service()) is None:
            return _nothing_to_stop

        @callback
        def _is_ours(data: Mapping[str, Any]) -> bool:
            return bool(data["domain"] == NOTIFY_DOMAIN and data["service"] == service)

        @callback
        def _registered(_event: Event[Mapping[str, Any]]) -> None:
            repairs.clear_notify_missing(self._hass, self._entry_id)

        return self._hass.bus.async_listen(
            EVENT_SERVICE_REGISTERED, _registered, event_filter=_is_ours
        )

    @callback
    def async_check(self) -> None:
        """Raise a repair if the notify service is not there (yet)."""
        sender = self._sender()
        if isinstance(sender, NotifySender) and not sender.available:
            self.notify_missing()

    @callback
    def notify_missing(self) -> None:
        """Raise the repair for a notify service that does not exist."""
        if (service := self._notify_service()) is not None:
            repairs.raise_notify_missing(
                self._hass,
                self._entry_id,
                self._line_name(),
                f"{NOTIFY_DOMAIN}.{service}",
            )

    @callback
    def gave_up(self, error: SendError) -> None:
        """Raise the repair for a text given up on: refused payload or failure."""
        detail = scrub_numbers(error.detail)
        if error.translation_key != "invalid_data":
            repairs.raise_send_failed(
                self._hass, self._entry_id, self._line_name(), detail
            )
            return
        service = self._notify_service()
        repairs.raise_invalid_data(
            self._hass,
            self._entry_id,
            self._line_name(),
            f"{NOTIFY_DOMAIN}.{service}" if service is not None else self._line_name(),
            detail,
        )

    @callback
    def rate_capped(self) -> None:
        """Raise the repair for a text the hourly or daily cap held back."""
        repairs.raise_rate_capped(self._hass, self._entry_id, self._line_name())

    @callback
    def sent(self) -> None:
        """Clear the send problems: a text got through."""
        repairs.clear_send_problems(self._hass, self._entry_id)
