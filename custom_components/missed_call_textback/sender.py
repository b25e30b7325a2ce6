"""Senders: hand a text to a legacy notify service or to the owner's actions.

Senders that call a provider's messaging API directly live in native/.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceNotFound
from homeassistant.helpers.script import SCRIPT_MODE_PARALLEL, Script

from .compat import vol
from .const import DOMAIN, LOGGER

NOTIFY_DOMAIN = "notify"


class SendErrorKind(StrEnum):
    """What a failed send means for the text and for the number."""

    RETRY = "retry"  # try again later (429, 5xx, timeouts, unreachable)
    PERMANENT = "permanent"  # the same text would fail the same way
    AUTH = "auth"  # the credentials were refused: the owner must act
    LANDLINE = "landline"  # the number cannot take texts
    FILTERED = "filtered"  # carrier filtering or unregistered A2P traffic
    OPTED_OUT = "opted_out"  # the recipient opted out at the provider


class SendError(Exception):
    """A text could not be handed over; translation_key names the cause."""

    def __init__(
        self,
        translation_key: str,
        detail: str,
        *,
        permanent: bool = False,
        kind: SendErrorKind | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Initialize with a translation key and a technical detail.

        kind defaults to PERMANENT or RETRY after `permanent`; every kind but
        RETRY is permanent: the same text would fail the same way. code is the
        provider's error code, retry_after the seconds the provider asked to
        wait before the next attempt.
        """
        super().__init__(detail)
        if kind is None:
            kind = SendErrorKind.PERMANENT if permanent else SendErrorKind.RETRY
        self.translation_key = translation_key
        self.detail = detail
        self.kind = kind
        self.permanent = kind is not SendErrorKind.RETRY
        self.code = code
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends one text."""

    async def async_send(
        self,
        *,
        number: str,
        message: str,
        caller_name: str | None,
        line_name: str,
        context: Context | None,
    ) -> str | None:
        """Send the text or raise SendError; return the provider's message id.

        Senders that hand the text to Home Assistant (notify, actions) learn no
        message id and return None.
        """


class NotifySender:
    """A legacy notify service that accepts `target` (twilio_sms, sinch, ...)."""

    def __init__(self, hass: HomeAssistant, service: str) -> None:
        """Initialize with the service name inside the notify domain."""
        self._hass = hass
        self.service = service

    @property
    def available(self) -> bool:
        """Return whether the notify service exists right now."""
        return self._hass.services.has_service(NOTIFY_DOMAIN, self.service)

    async def async_send(
        self,
        *,
        number: str,
        message: str,
        caller_name: str | None,  # noqa: ARG002
        line_name: str,  # noqa: ARG002
        context: Context | None,
    ) -> str | None:
        """Call notify.<service> with the number as a one-element target list."""
        try:
            await self._hass.services.async_call(
                NOTIFY_DOMAIN,
                self.service,
                # A list keeps the number a string; a bare "+1555..." template
                # result would be turned into an int and lose its '+'.
                {"message": message, "target": [number]},
                blocking=True,
                context=context,
            )
        except ServiceNotFound as err:
            raise SendError("notify_missing", str(err)) from err
        except vol.Invalid as err:
            # The platform's schema refused our data (e.g. a notify service that
            # takes no target): every retry would be refused the same way.
            raise SendError("invalid_data", str(err), permanent=True) from err
        except (HomeAssistantError, ValueError, TypeError, OSError) as err:
            raise SendError("send_failed", str(err) or type(err).__name__) from err
        return None


class ActionSender:
    """Runs the owner's action sequence with number, message and names."""

    def __init__(
        self, hass: HomeAssistant, actions: list[dict[str, Any]], line_name: str
    ) -> None:
        """Initialize with a validated action sequence."""
        self._hass = hass
        self._script = Script(
            hass,
            actions,
            f"{line_name} text-back",
            DOMAIN,
            logger=LOGGER,
            # Calls overlap; every text must run, none may wait or be dropped.
            script_mode=SCRIPT_MODE_PARALLEL,
            max_runs=1000,
            log_exceptions=False,
        )
        self._name = line_name

    async def async_send(
        self,
        *,
        number: str,
        message: str,
        caller_name: str | None,
        line_name: str,
        context: Context | None,
    ) -> str | None:
        """Run the actions; any error they raise fails this text."""
        try:
            result = await self._script.async_run(
                run_variables={
                    "number": number,
                    "message": message,
                    "caller_name": caller_name,
                    "line_name": line_name,
                },
                context=context or Context(),
            )
        except vol.Invalid as err:
            raise SendError("invalid_data", str(err), permanent=True) from err
        except (HomeAssistantError, ValueError, TypeError, OSError) as err:
            raise SendError("action_failed", str(err) or type(err).__name__) from err
        if result is None:
            # The script did not run (its run limit was reached): not sent.
            raise SendError("action_failed", "the actions did not run")
        return None

    async def async_stop(self) -> None:
        """Stop runs in progress (the line is unloading)."""
        await self._script.async_stop()
