"""Schema library of the running Home Assistant.

Home Assistant 2026.10 validates with probatio, which keeps voluptuous's API;
older releases use voluptuous. Both accept the same schemas at runtime, but
the type annotations of each release name its own library.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    try:
        import probatio as vol
    except ImportError:  # Home Assistant before probatio, on Python 3.14
        import voluptuous as vol  # type: ignore[no-redef]
else:
    import voluptuous as vol

__all__ = ["vol"]
