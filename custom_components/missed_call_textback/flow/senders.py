"""Steps of the native senders: Twilio, Telnyx and Quo send texts directly.

The texting step leads here when the owner picks one: a form per provider
takes the credentials and the number texts come from, and the provider checks
them before the line is saved. The same forms serve the options flow, the
reconfigure step and the reauth step a refused send (HTTP 401) starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import phonenumbers

from ..compat import vol
from ..const import (
    CONF_COUNTRY,
    CONF_CREDENTIALS,
    CONF_RECEIPT_URL,
    CONF_RECEIPT_WEBHOOK_ID,
    CONF_SENDER,
    CONF_SOURCE,
    SenderKind,
    SourceKind,
)
from ..native import NATIVE_SENDERS, CredentialError, build_api
from ..native.common import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_FROM_NUMBER,
    CONF_MESSAGING_PROFILE_ID,
    CONF_MESSAGING_SERVICE_SID,
    CONF_PUBLIC_KEY,
    CONF_SIGNING_KEY,
)
from ..public_url import PublicUrl, async_public_webhook_url
from ..sources.providers import ProviderKind
from ..sources.providers.quo import decode_key
from ..sources.providers.telnyx import load_public_key
from ..sources.sip.const import CONF_MODE, SipMode
from ..sources.webhook_config import CONF_PROVIDER, CONF_PUBLIC_URL, CONF_WEBHOOK_ID
from .config import ConfigSteps
from .errors import FlowError
from .timing import TimingOptionsFlow

# The webhook provider whose lines hear their calls with the same account.
_SAME_PROVIDER: Final = {
    SenderKind.TWILIO: ProviderKind.TWILIO,
    SenderKind.TELNYX: ProviderKind.TELNYX,
    SenderKind.QUO: ProviderKind.QUO,
}
_NAMES: Final = {
    SenderKind.TWILIO: "Twilio",
    SenderKind.TELNYX: "Telnyx",
    SenderKind.QUO: "Quo",
}
# Quo names its numbers by id (PN...) as well as by E.164.
_QUO_NUMBER_ID: Final = "PN"


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    # Never shown again once stored; left empty, the stored one stays.
    secret: bool = False
    number: bool = False
    required: bool = False


_FORMS: Final[dict[SenderKind, tuple[_Field, ...]]] = {
    SenderKind.TWILIO: (
        _Field(CONF_ACCOUNT_SID, required=True),
        _Field(CONF_AUTH_TOKEN, secret=True),
        _Field(CONF_API_KEY_SID),
        _Field(CONF_API_KEY_SECRET, secret=True),
        _Field(CONF_FROM_NUMBER, number=True),
        _Field(CONF_MESSAGING_SERVICE_SID),
    ),
    SenderKind.TELNYX: (
        _Field(CONF_API_KEY, secret=True, required=True),
        _Field(CONF_FROM_NUMBER, number=True),
        _Field(CONF_MESSAGING_PROFILE_ID),
        _Field(CONF_PUBLIC_KEY),
    ),
    SenderKind.QUO: (
        _Field(CONF_API_KEY, secret=True, required=True),
        _Field(CONF_FROM_NUMBER, number=True, required=True),
        _Field(CONF_SIGNING_KEY, secret=True),
    ),
}
# The field a refused check points at; the others show above the form.
_ERROR_FIELDS: Final[dict[SenderKind, dict[str, str]]] = {
    SenderKind.TWILIO: {
        "number_not_on_account": CONF_FROM_NUMBER,
        "messaging_service_not_found": CONF_MESSAGING_SERVICE_SID,
    },
    SenderKind.TELNYX: {
        "number_not_on_account": CONF_FROM_NUMBER,
        "messaging_service_not_found": CONF_MESSAGING_PROFILE_ID,
    },
    SenderKind.QUO: {"number_not_on_account": CONF_FROM_NUMBER},
}


def is_native(sender: object) -> bool:
    """Return whether a sender choice sends through a provider's own API."""
    return sender in NATIVE_SENDERS


def _same_provider_webhook(kind: SenderKind, data: Mapping[str, Any]) -> str | None:
    """Return the line's call webhook when the sender's provider calls it."""
    if (
        data.get(CONF_SOURCE) == SourceKind.WEBHOOK
        and data.get(CONF_PROVIDER) == _SAME_PROVIDER[kind]
    ):
        return str(data.get(CONF_WEBHOOK_ID) or "") or None
    return None


def _from_source(kind: SenderKind, data: Mapping[str, Any]) -> dict[str, str]:
    """Return the credentials the line's call webhook already holds.

    Twilio signs with the account's auth token, Telnyx with the account's
    key pair, Quo with a webhook's signing key: the same values the sender
    needs to check its receipts.
    """
    if _same_provider_webhook(kind, data) is None:
        return {}
    keys = {field.key for field in _FORMS[kind]}
    return {
        key: str(value)
        for key, value in data.items()
        if key in keys and isinstance(value, str) and value
    }


def _stored(kind: SenderKind, options: Mapping[str, Any]) -> dict[str, str]:
    """Return the credentials a line keeps for this sender (none for another)."""
    if options.get(CONF_SENDER) != kind:
        return {}
    return dict(options.get(CONF_CREDENTIALS) or {})


def sender_schema(
    kind: SenderKind, defaults: Mapping[str, Any], known: Mapping[str, str]
) -> vol.Schema:
    """Return a provider's form; known holds the values a blank field keeps."""
    schema: dict[Any, Any] = {}
    for field in _FORMS[kind]:
        suggested = None if field.secret else defaults.get(field.key)
        # A field the owner must fill, unless a blank keeps what is known.
        if field.required and not known.get(field.key):
            marker: Any = vol.Required(
                field.key, description={"suggested_value": suggested}
            )
        else:
            marker = vol.Optional(field.key, description={"suggested_value": suggested})
        if field.secret:
            kind_of_text = selector.TextSelectorType.PASSWORD
        elif field.number:
            kind_of_text = selector.TextSelectorType.TEL
        else:
            kind_of_text = selector.TextSelectorType.TEXT
        schema[marker] = selector.TextSelector(
            selector.TextSelectorConfig(type=kind_of_text)
        )
    return vol.Schema(schema)


def _number(kind: SenderKind, raw: str, region: str | None) -> str:
    """Return the business's number in E.164 (or Quo's id of it).

    Only its form is checked here: the provider says whether the account
    holds it, which no number plan can.
    """
    if kind is SenderKind.QUO and raw.startswith(_QUO_NUMBER_ID):
        return raw
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise FlowError(CONF_FROM_NUMBER, "invalid_from_number") from err
    if not phonenumbers.is_possible_number(number):
        raise FlowError(CONF_FROM_NUMBER, "invalid_from_number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_credentials(
    kind: SenderKind,
    user_input: Mapping[str, Any],
    known: Mapping[str, str],
    region: str | None,
) -> dict[str, str]:
    """Return the credentials as stored; raise FlowError for a missing value.

    A blank secret keeps the known one (stored, or the call webhook's).
    """
    values: dict[str, str] = {}
    for field in _FORMS[kind]:
        value = str(user_input.get(field.key) or "").strip()
        if not value and field.secret:
            value = known.get(field.key, "")
        if not value:
            if field.required:
                raise FlowError(field.key, "credential_required")
            continue
        values[field.key] = _number(kind, value, region) if field.number else value
    _check_combination(kind, values)
    return values


def _check_combination(kind: SenderKind, values: Mapping[str, str]) -> None:
    if kind is SenderKind.TWILIO:
        if bool(values.get(CONF_API_KEY_SID)) != bool(values.get(CONF_API_KEY_SECRET)):
            field = (
                CONF_API_KEY_SECRET if CONF_API_KEY_SID in values else CONF_API_KEY_SID
            )
            raise FlowError(field, "api_key_incomplete")
        if not values.get(CONF_AUTH_TOKEN) and not values.get(CONF_API_KEY_SID):
            raise FlowError(CONF_AUTH_TOKEN, "twilio_auth_required")
        if not values.get(CONF_FROM_NUMBER) and not values.get(
            CONF_MESSAGING_SERVICE_SID
        ):
            raise FlowError(CONF_FROM_NUMBER, "from_or_service_required")
    elif kind is SenderKind.TELNYX:
        if not values.get(CONF_FROM_NUMBER) and not values.get(
            CONF_MESSAGING_PROFILE_ID
        ):
            raise FlowError(CONF_FROM_NUMBER, "from_or_profile_required")
        key = values.get(CONF_PUBLIC_KEY)
        if key and load_public_key(key) is None:
            raise FlowError(CONF_PUBLIC_KEY, "invalid_public_key")
    elif (key := values.get(CONF_SIGNING_KEY)) and decode_key(key) is None:
        raise FlowError(CONF_SIGNING_KEY, "invalid_signing_key")


async def async_check_credentials(
    hass: HomeAssistant, kind: SenderKind, credentials: Mapping[str, str]
) -> dict[str, str]:
    """Ask the provider whether the credentials and the number are good."""
    api = build_api(kind, async_get_clientsession(hass), credentials)
    try:
        await api.async_check()
    except CredentialError as err:
        return {_ERROR_FIELDS[kind].get(err.reason, "base"): err.reason}
    return {}


async def _async_validate(
    hass: HomeAssistant,
    kind: SenderKind,
    user_input: Mapping[str, Any],
    known: Mapping[str, str],
    region: str | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Return (credentials, errors) for a submitted form."""
    try:
        credentials = clean_credentials(kind, user_input, known, region)
    except FlowError as err:
        return {}, {err.field: err.key}
    return credentials, await async_check_credentials(hass, kind, credentials)


async def async_receipt_url(
    hass: HomeAssistant,
    kind: SenderKind,
    data: Mapping[str, Any],
    options: dict[str, Any],
    stored: Mapping[str, Any],
) -> PublicUrl:
    """Choose the webhook receipts and replies arrive on; return its URL.

    A line whose calls come from the same provider's webhook uses that one
    (the provider already calls it and it already checks the signatures);
    any other line keeps a webhook of its own. The id goes into options at
    once, so the URL the form shows is the one saved; a URL once saved is
    kept, so the owner never pastes it twice.
    """
    source_webhook = _same_provider_webhook(kind, data)
    kept = options.get(CONF_RECEIPT_WEBHOOK_ID) or stored.get(CONF_RECEIPT_WEBHOOK_ID)
    if source_webhook:
        webhook_id = source_webhook
    elif kept and kept != data.get(CONF_WEBHOOK_ID):
        webhook_id = str(kept)
    else:
        webhook_id = webhook.async_generate_id()
    options[CONF_RECEIPT_WEBHOOK_ID] = webhook_id
    if stored.get(CONF_RECEIPT_WEBHOOK_ID) == webhook_id and (
        url := stored.get(CONF_RECEIPT_URL)
    ):
        return PublicUrl(url=str(url), reachable=True)
    if source_webhook and (url := data.get(CONF_PUBLIC_URL)):
        # The URL Twilio calls (and signs) the line's webhook at.
        return PublicUrl(url=str(url), reachable=True)
    return await async_public_webhook_url(hass, webhook_id)


async def async_sender_step(
    flow: ConfigFlow | OptionsFlow,
    user_input: dict[str, Any] | None,
    *,
    data: Mapping[str, Any],
    options: dict[str, Any],
    stored: Mapping[str, Any],
    done: Callable[[], ConfigFlowResult],
) -> ConfigFlowResult:
    """Run a provider's credentials step (config, options and reconfigure).

    options is the flow's options in the making (the sender is chosen);
    stored is what the line has saved (empty for a new line).
    """
    kind = SenderKind(options[CONF_SENDER])
    known = {**_from_source(kind, data), **_stored(kind, stored)}
    region = options.get(CONF_COUNTRY) or flow.hass.config.country
    public = await async_receipt_url(flow.hass, kind, data, options, stored)
    errors: dict[str, str] = {}
    if user_input is not None:
        credentials, errors = await _async_validate(
            flow.hass, kind, user_input, known, region
        )
        if not errors:
            options[CONF_CREDENTIALS] = credentials
            if public.reachable:
                options[CONF_RECEIPT_URL] = public.url
            else:
                # Texts go out; the provider is asked for no receipts.
                options.pop(CONF_RECEIPT_URL, None)
            return done()
    elif public.why:
        # Not an error of the owner's: the one place a form shows a warning.
        errors = {"base": public.why}
    return flow.async_show_form(
        step_id=f"sender_{kind}",
        data_schema=sender_schema(kind, user_input or known, known),
        errors=errors,
        description_placeholders={"url": public.url},
    )


async def async_entry_sender_step(
    flow: ConfigFlow | OptionsFlow,
    user_input: dict[str, Any] | None,
    entry: ConfigEntry,
    options: dict[str, Any],
    done: Callable[[], ConfigFlowResult],
) -> ConfigFlowResult:
    """Run the credentials step of a saved line (options and reconfigure)."""
    return await async_sender_step(
        flow,
        user_input,
        data=entry.data,
        options=options,
        stored=entry.options,
        done=done,
    )


class SenderSteps(ConfigSteps):
    """Config flow steps of the native senders: setup, reconfigure, reauth."""

    async def _async_texting_done(self) -> ConfigFlowResult:
        if is_native(self._options[CONF_SENDER]):
            return await self.async_step_sender()
        return await super()._async_texting_done()

    async def async_step_sender(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the provider's credentials and check them."""
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            return await async_entry_sender_step(
                self,
                user_input,
                entry,
                self._options,
                lambda: self.async_update_reload_and_abort(
                    entry, options=self._options, reason="sender_reconfigured"
                ),
            )
        return await async_sender_step(
            self,
            user_input,
            data=self._data,
            options=self._options,
            stored={},
            done=self._async_create,
        )

    # Each provider has a form of its own (its own help); one step reads them.
    async_step_sender_twilio = async_step_sender
    async_step_sender_telnyx = async_step_sender
    async_step_sender_quo = async_step_sender

    async def async_step_reconfigure_sender(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Change the credentials of the line's provider."""
        self._options = dict(self._get_reconfigure_entry().options)
        return await self.async_step_sender()

    async def async_sender_refused(self, entry: ConfigEntry) -> bool:
        """Return whether a reauth is for the sender's credentials.

        A registered SIP line may be asked to sign in again by its registrar
        too: then the provider says whether it still takes the credentials.
        """
        kind = str(entry.options.get(CONF_SENDER))
        if not is_native(kind):
            return False
        if not (
            entry.data.get(CONF_SOURCE) == SourceKind.SIP
            and entry.data.get(CONF_MODE) == SipMode.REGISTER
        ):
            return True
        errors = await async_check_credentials(
            self.hass, SenderKind(kind), entry.options.get(CONF_CREDENTIALS) or {}
        )
        return errors.get("base") == "invalid_auth"

    async def async_step_reauth_sender(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take new credentials after the provider refused the stored ones."""
        entry = self._get_reauth_entry()
        kind = SenderKind(entry.options[CONF_SENDER])
        known = {**_from_source(kind, entry.data), **_stored(kind, entry.options)}
        errors: dict[str, str] = {}
        if user_input is not None:
            region = entry.options.get(CONF_COUNTRY) or self.hass.config.country
            credentials, errors = await _async_validate(
                self.hass, kind, user_input, known, region
            )
            if not errors:
                return self.async_update_reload_and_abort(
                    entry,
                    options={**entry.options, CONF_CREDENTIALS: credentials},
                    reason="reauth_sender_successful",
                )
        return self.async_show_form(
            step_id="reauth_sender",
            data_schema=sender_schema(kind, user_input or known, known),
            errors=errors,
            description_placeholders={"provider": _NAMES[kind]},
        )


class SenderOptionsSteps(TimingOptionsFlow):
    """Options flow steps of the native senders."""

    async def async_step_sender(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the provider's credentials and check them."""
        return await async_entry_sender_step(
            self, user_input, self.config_entry, self._options, self._async_save
        )

    async_step_sender_twilio = async_step_sender
    async_step_sender_telnyx = async_step_sender
    async_step_sender_quo = async_step_sender
