"""Fixtures: the providers' APIs on a local server, and HA's shared session."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.missed_call_textback.native import common

from .provider_server import ProviderServer


@pytest.fixture
async def provider(socket_enabled: None) -> AsyncGenerator[ProviderServer]:
    """Play the providers on 127.0.0.1 (the only edge these tests replace)."""
    server = ProviderServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    yield server
    server.release()
    await test_server.close()


@pytest.fixture
async def session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """Home Assistant's shared session, as the line uses it."""
    return async_get_clientsession(hass)


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on an answer after 0.2 s instead of 15 s (the hang tests)."""
    monkeypatch.setattr(common, "REQUEST_TIMEOUT", aiohttp.ClientTimeout(total=0.2))
