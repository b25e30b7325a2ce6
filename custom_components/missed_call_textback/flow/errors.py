"""The one error a flow's checks raise."""

from __future__ import annotations


class FlowError(Exception):
    """A field the owner has to correct; key is a translation key.

    detail fills the form's placeholder (the wrong entry, or what was wrong
    with it), so the owner sees which of many values to fix.
    """

    def __init__(self, field: str, key: str, detail: str = "") -> None:
        """Name the field, the error and what was wrong."""
        super().__init__(key)
        self.field = field
        self.key = key
        self.detail = detail
