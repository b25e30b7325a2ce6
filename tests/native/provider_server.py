"""A local HTTP server that plays Twilio's, Telnyx's and Quo's messaging APIs.

The senders are tested against real HTTP: this aiohttp application answers the
requests the providers' references document (paths, auth, bodies), with the
answers shaped like their documented examples. Each test can queue its own
answers per route (an error, a Retry-After, a body that is not JSON, an answer
that never comes) and read every request the server got.
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict, deque
from dataclasses import dataclass, field
import itertools
import json
from typing import Any

from aiohttp import web

# Credentials and numbers the server knows. Test-only values.
TWILIO_ACCOUNT_SID = "AC" + "1" * 32
TWILIO_AUTH_TOKEN = "twilio-auth-token-0123456789abcd"  # noqa: S105 - test value
TWILIO_API_KEY_SID = "SK" + "2" * 32
TWILIO_API_KEY_SECRET = "twilio-api-key-secret-012345678"  # noqa: S105 - test value
TWILIO_SERVICE_SID = "MG" + "3" * 32
TELNYX_API_KEY = "KEY0123456789ABCDEF_telnyxsecret"
TELNYX_PROFILE_ID = "40017f8e-49bd-4f16-9e3d-ef103f916228"
QUO_API_KEY = "quo-api-key-0123456789abcdefghij"
QUO_NUMBER_ID = "PNlja6rrtI"
# The business's own number on every provider, and the caller texted back.
FROM_NUMBER = "+15557654321"
CALLER = "+15551234567"


@dataclass(frozen=True)
class Reply:
    """An answer a test queues for one route."""

    status: int = 200
    body: Any = None  # JSON document
    text: str | None = None  # a raw body instead (e.g. not JSON)
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the test ends)


@dataclass(frozen=True)
class Request:
    """A request the server got."""

    route: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] | None
    json: Any


def twilio_error(status: int, code: int, message: str) -> Reply:
    """Return Twilio's error answer (its documented JSON error shape)."""
    return Reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def telnyx_error(status: int, code: str, title: str, detail: str) -> Reply:
    """Return Telnyx's error answer ({"errors": [{code, title, detail}]})."""
    return Reply(
        status,
        {
            "errors": [
                {
                    "code": code,
                    "title": title,
                    "detail": detail,
                    "meta": {
                        "url": f"https://developers.telnyx.com/docs/overview/errors/{code}"
                    },
                }
            ]
        },
    )


def quo_error(status: int, code: str, title: str, message: str) -> Reply:
    """Return Quo's v1 error answer ({message, code, status, docs, title})."""
    return Reply(
        status,
        {
            "message": message,
            "code": code,
            "status": status,
            "docs": "https://quo.com/docs",
            "title": title,
            "trace": "6897907457496870895",
        },
    )


class ProviderServer:
    """The three providers' APIs, on one local server."""

    def __init__(self) -> None:
        """Start with one account per provider holding FROM_NUMBER."""
        self.base = ""  # set once the server listens
        self.requests: list[Request] = []
        self.twilio_numbers = [FROM_NUMBER]
        self.twilio_services = {TWILIO_SERVICE_SID}
        self.telnyx_numbers = [FROM_NUMBER]
        self.telnyx_profiles = {TELNYX_PROFILE_ID}
        self.quo_numbers = [{"id": QUO_NUMBER_ID, "number": FROM_NUMBER}]
        self._queued: dict[str, deque[Reply]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._released = asyncio.Event()

    def queue(self, route: str, *replies: Reply) -> None:
        """Answer the next requests to route with replies, in order."""
        self._queued[route].extend(replies)

    def release(self) -> None:
        """Let every hanging answer end (the test is over)."""
        self._released.set()

    def sent(self, route: str) -> list[Request]:
        """Return the requests the server got on route."""
        return [request for request in self.requests if request.route == route]

    def app(self) -> web.Application:
        """Return the aiohttp application."""
        app = web.Application()
        twilio = "/2010-04-01/Accounts/{account}"
        app.router.add_get(twilio + ".json", self._twilio_account)
        app.router.add_get(twilio + "/IncomingPhoneNumbers.json", self._twilio_numbers)
        app.router.add_post(twilio + "/Messages.json", self._twilio_send)
        app.router.add_get("/v1/Services/{sid}", self._twilio_service)
        app.router.add_get("/v2/phone_numbers", self._telnyx_numbers)
        app.router.add_get("/v2/messaging_profiles/{id}", self._telnyx_profile)
        app.router.add_post("/v2/messages", self._telnyx_send)
        app.router.add_get("/v1/phone-numbers", self._quo_numbers)
        app.router.add_post("/v1/messages", self._quo_send)
        return app

    # The plumbing every route shares.

    async def _record(self, route: str, request: web.Request) -> Request:
        raw = await request.read()
        form: dict[str, str] | None = None
        document: Any = None
        if request.content_type == "application/x-www-form-urlencoded":
            form = {key: str(value) for key, value in (await request.post()).items()}
        elif request.content_type == "application/json":
            document = json.loads(raw)
        recorded = Request(
            route,
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            form,
            document,
        )
        self.requests.append(recorded)
        return recorded

    async def _queued_reply(self, route: str) -> web.Response | None:
        if not self._queued[route]:
            return None
        reply = self._queued[route].popleft()
        if reply.hang:
            await self._released.wait()
        if reply.text is not None:
            return web.Response(
                status=reply.status, text=reply.text, headers=reply.headers
            )
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    @staticmethod
    def _reply(reply: Reply) -> web.Response:
        return web.json_response(reply.body, status=reply.status)

    # Twilio: basic auth with the account SID and auth token, or an API key.

    def _twilio_authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) in {
            (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN),
            (TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET),
        }

    async def _twilio_guard(
        self, route: str, request: web.Request
    ) -> web.Response | None:
        await self._record(route, request)
        if (queued := await self._queued_reply(route)) is not None:
            return queued
        if not self._twilio_authorized(request):
            return self._reply(twilio_error(401, 20003, "Authenticate"))
        account = request.match_info.get("account", TWILIO_ACCOUNT_SID)
        if account != TWILIO_ACCOUNT_SID:
            return self._reply(
                twilio_error(
                    404,
                    20404,
                    f"The requested resource {request.path} was not found",
                )
            )
        return None

    async def _twilio_account(self, request: web.Request) -> web.Response:
        if (refused := await self._twilio_guard("twilio.account", request)) is not None:
            return refused
        return web.json_response(
            {
                "auth_token": TWILIO_AUTH_TOKEN,
                "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
                "friendly_name": "Acme Plumbing",
                "owner_account_sid": TWILIO_ACCOUNT_SID,
                "sid": TWILIO_ACCOUNT_SID,
                "status": "active",
                "type": "Full",
                "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}.json",
            }
        )

    async def _twilio_numbers(self, request: web.Request) -> web.Response:
        if (refused := await self._twilio_guard("twilio.numbers", request)) is not None:
            return refused
        wanted = request.query.get("PhoneNumber")
        numbers = [
            {
                "account_sid": TWILIO_ACCOUNT_SID,
                "capabilities": {"mms": True, "sms": True, "voice": True},
                "phone_number": number,
                "sid": "PN" + str(index).rjust(32, "0"),
            }
            for index, number in enumerate(self.twilio_numbers)
            if wanted is None or number == wanted
        ]
        return web.json_response(
            {
                "end": max(len(numbers) - 1, 0),
                "first_page_uri": request.path_qs,
                "incoming_phone_numbers": numbers,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": request.path_qs,
            }
        )

    async def _twilio_service(self, request: web.Request) -> web.Response:
        if (refused := await self._twilio_guard("twilio.service", request)) is not None:
            return refused
        sid = request.match_info["sid"]
        if sid not in self.twilio_services:
            return self._reply(
                twilio_error(
                    404, 20404, f"The requested resource /Services/{sid} was not found"
                )
            )
        return web.json_response(
            {"account_sid": TWILIO_ACCOUNT_SID, "friendly_name": "Texts", "sid": sid}
        )

    async def _twilio_send(self, request: web.Request) -> web.Response:
        if (refused := await self._twilio_guard("twilio.send", request)) is not None:
            return refused
        form = self.requests[-1].form or {}
        sid = "SM" + str(next(self._ids)).rjust(32, "0")
        return web.json_response(
            {
                "account_sid": TWILIO_ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": form.get("Body"),
                "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
                "date_sent": None,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "to": form.get("To"),
                "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json",
            },
            status=201,
        )

    # Telnyx: a bearer API key.

    async def _telnyx_guard(
        self, route: str, request: web.Request
    ) -> web.Response | None:
        await self._record(route, request)
        if (queued := await self._queued_reply(route)) is not None:
            return queued
        if request.headers.get("Authorization") != f"Bearer {TELNYX_API_KEY}":
            return self._reply(
                telnyx_error(
                    401,
                    "10009",
                    "Authentication failed",
                    "The required authentication headers were either invalid "
                    "or not included in the request.",
                )
            )
        return None

    async def _telnyx_numbers(self, request: web.Request) -> web.Response:
        if (refused := await self._telnyx_guard("telnyx.numbers", request)) is not None:
            return refused
        wanted = request.query.get("filter[phone_number]", "")
        # Telnyx: "Non-numerical characters will result in no values being
        # returned"; the filter matches part of a number.
        numbers = [
            number
            for number in self.telnyx_numbers
            if wanted.isdecimal() and wanted in number
        ]
        return web.json_response(
            {
                "data": [
                    {
                        "id": str(1293384261075731499 + index),
                        "messaging_profile_id": TELNYX_PROFILE_ID,
                        "phone_number": number,
                        "record_type": "phone_number",
                        "status": "active",
                    }
                    for index, number in enumerate(numbers)
                ],
                "meta": {
                    "page_number": 1,
                    "page_size": 20,
                    "total_pages": 1,
                    "total_results": len(numbers),
                },
            }
        )

    async def _telnyx_profile(self, request: web.Request) -> web.Response:
        if (refused := await self._telnyx_guard("telnyx.profile", request)) is not None:
            return refused
        profile_id = request.match_info["id"]
        if profile_id not in self.telnyx_profiles:
            return self._reply(
                telnyx_error(
                    404,
                    "10005",
                    "Resource not found",
                    "The requested resource or URL could not be found.",
                )
            )
        return web.json_response(
            {
                "data": {
                    "enabled": True,
                    "id": profile_id,
                    "name": "Texts",
                    "record_type": "messaging_profile",
                }
            }
        )

    async def _telnyx_send(self, request: web.Request) -> web.Response:
        if (refused := await self._telnyx_guard("telnyx.send", request)) is not None:
            return refused
        sent = self.requests[-1].json or {}
        return web.json_response(
            {
                "data": {
                    "direction": "outbound",
                    "encoding": "GSM-7",
                    "errors": [],
                    "from": {
                        "carrier": "TELNYX LLC",
                        "line_type": "VoIP",
                        "phone_number": sent.get("from"),
                    },
                    "id": f"40385f64-5717-4562-b3fc-2c963f66a{next(self._ids):03d}",
                    "messaging_profile_id": sent.get(
                        "messaging_profile_id", TELNYX_PROFILE_ID
                    ),
                    "parts": 1,
                    "record_type": "message",
                    "text": sent.get("text"),
                    "to": [
                        {
                            "carrier": "T-MOBILE USA, INC.",
                            "line_type": "Wireless",
                            "phone_number": sent.get("to"),
                            "status": "queued",
                        }
                    ],
                    "type": "SMS",
                    "webhook_url": sent.get("webhook_url"),
                }
            }
        )

    # Quo: the API key as the whole Authorization header.

    async def _quo_guard(self, route: str, request: web.Request) -> web.Response | None:
        await self._record(route, request)
        if (queued := await self._queued_reply(route)) is not None:
            return queued
        if request.headers.get("Authorization") != QUO_API_KEY:
            return self._reply(
                quo_error(401, "0200401", "Unauthorized", "Unauthorized")
            )
        return None

    async def _quo_numbers(self, request: web.Request) -> web.Response:
        if (refused := await self._quo_guard("quo.numbers", request)) is not None:
            return refused
        return web.json_response(
            {
                "data": [
                    {
                        "createdAt": "2022-01-01T00:00:00Z",
                        "formattedNumber": "(555) 765-4321",
                        "forward": None,
                        "groupId": "GRcei8k90o",
                        "id": entry["id"],
                        "name": "Main line",
                        "number": entry["number"],
                        "portRequestId": None,
                        "portingStatus": None,
                        "symbol": None,
                        "updatedAt": "2022-01-01T00:00:00Z",
                        "users": [],
                    }
                    for entry in self.quo_numbers
                ]
            }
        )

    async def _quo_send(self, request: web.Request) -> web.Response:
        if (refused := await self._quo_guard("quo.send", request)) is not None:
            return refused
        sent = self.requests[-1].json or {}
        return web.json_response(
            {
                "data": {
                    "conversationId": "CN123abc",
                    "createdAt": "2022-01-01T00:00:00Z",
                    "direction": "outgoing",
                    "from": sent.get("from"),
                    "id": f"AC{next(self._ids):06d}",
                    "phoneNumberId": QUO_NUMBER_ID,
                    "status": "queued",
                    "text": sent.get("content"),
                    "to": sent.get("to"),
                    "updatedAt": "2022-01-01T00:00:00Z",
                    "userId": "US123abc",
                }
            },
            status=202,
        )
