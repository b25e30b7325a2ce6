"""Legacy notify platform that pretends to send SMS (see __init__.py)."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.components.notify.const import ATTR_TARGET
from homeassistant.components.notify.legacy import BaseNotificationService

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

LOG_FILE = "demo_texts.log"


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,  # noqa: ARG001 - the platform takes no options
    discovery_info: DiscoveryInfoType | None = None,  # noqa: ARG001
) -> DemoSmsService:
    """Return the demo SMS service."""
    return DemoSmsService(Path(hass.config.path(LOG_FILE)))


def _append_lines(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.writelines(f"{line}\n" for line in lines)


class DemoSmsService(BaseNotificationService):
    """Writes each text to a log file and shows it as a notification."""

    def __init__(self, log_path: Path) -> None:
        """Remember where texts are logged."""
        self._log_path = log_path

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """'Send' the message to every number in target."""
        targets: list[str] = kwargs.get(ATTR_TARGET) or []
        at = datetime.now(UTC).isoformat(timespec="seconds")
        records = [{"to": number, "message": message, "at": at} for number in targets]
        await self.hass.async_add_executor_job(
            _append_lines,
            self._log_path,
            [json.dumps(record, ensure_ascii=False) for record in records],
        )
        for record in records:
            persistent_notification.async_create(
                self.hass, message, title=f"Text to {record['to']}"
            )
