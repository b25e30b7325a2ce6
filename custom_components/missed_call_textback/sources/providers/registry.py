"""Every provider a webhook line can hear, by kind."""

from __future__ import annotations

from typing import Final

from . import ProviderDescription, ProviderKind, generic, ha_sip, quo, telnyx, twilio

# In the order the setup form offers them.
PROVIDERS: Final[dict[ProviderKind, ProviderDescription]] = {
    description.kind: description
    for description in (
        twilio.DESCRIPTION,
        quo.DESCRIPTION,
        telnyx.DESCRIPTION,
        ha_sip.DESCRIPTION,
        generic.DESCRIPTION,
        twilio.INTEGRATION_DESCRIPTION,
    )
}
