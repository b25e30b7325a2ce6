"""The owner's master switch and mode, kept in the line's Store.

A change is on disk before it returns; a write that fails raises a repair and
the change is honoured from memory.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import entity_registry as er, restore_state

from . import repairs
from .const import DOMAIN, LOGGER, Mode
from .ledger import Ledger, StoreWriteError


class OwnerSwitches:
    """Whether and when one line texts back, as the owner set it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        ledger: Ledger,
        line_name: Callable[[], str],
        changed: CALLBACK_TYPE,
    ) -> None:
        """Initialize; changed redraws the line's entities after a change."""
        self._hass = hass
        self._entry_id = entry_id
        self._ledger = ledger
        self._line_name = line_name
        self._changed = changed

    @property
    def enabled(self) -> bool:
        """Return whether the master switch lets the line text back."""
        return self._ledger.enabled is not False

    @property
    def mode(self) -> Mode:
        """Return when the line texts back (always, after hours, ...)."""
        try:
            return Mode(self._ledger.mode or Mode.ALWAYS)
        except ValueError:
            return Mode.ALWAYS

    async def async_set_enabled(self, *, enabled: bool) -> None:
        """Turn texting back on or off; on disk before it returns."""
        self._ledger.enabled = enabled
        await self.async_save_now()
        self._changed()

    async def async_set_mode(self, mode: Mode) -> None:
        """Change the mode; on disk before it returns."""
        self._ledger.mode = mode.value
        await self.async_save_now()
        self._changed()

    async def async_save_now(self) -> None:
        """Write the line's state now; a failure raises a repair, never an error.

        What failed to reach the disk is kept in memory and honoured.
        """
        try:
            await self._ledger.async_save_now()
        except StoreWriteError as err:
            LOGGER.error(
                "%s: could not write the line's state (kept in memory): %s",
                self._line_name(),
                err,
            )
            repairs.raise_store_failed(
                self._hass, self._entry_id, self._line_name(), str(err)
            )
        else:
            repairs.clear_store_failed(self._hass, self._entry_id)

    def adopt_restored(self) -> None:
        """Take the switch and mode from the entities' last states, once.

        Lines set up before the switches lived in the Store kept them only as
        the entities' restored states; they are read before the line starts,
        so a text resumed at start already sees them.
        """
        ledger = self._ledger
        if ledger.enabled is not None and ledger.mode is not None:
            return
        registry = er.async_get(self._hass)
        last_states = restore_state.async_get(self._hass).last_states

        def _last(domain: str, key: str) -> str | None:
            entity_id = registry.async_get_entity_id(
                domain, DOMAIN, f"{self._entry_id}_{key}"
            )
            stored = last_states.get(entity_id) if entity_id else None
            return stored.state.state if stored is not None else None

        if ledger.enabled is None and (state := _last("switch", "text_back")):
            ledger.enabled = state != "off"
        if ledger.mode is None and (state := _last("select", "mode")):
            ledger.mode = state if state in set(Mode) else None
