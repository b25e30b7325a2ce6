"""The pure modules need no Home Assistant: skip starting one for each test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the parent fixture: nothing to load."""


@pytest.fixture(autouse=True)
def us_home() -> None:
    """Override the parent fixture: no Home Assistant to configure."""
