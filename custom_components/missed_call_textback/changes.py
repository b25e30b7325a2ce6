"""What changed on a line, so only the entities showing it redraw.

Every change the line announces names its topics; every entity names the
topics it shows. A change without topics is everything (a new day, a stage
that does not say), so nothing is ever missed.
"""

from __future__ import annotations

from enum import IntFlag


class Change(IntFlag):
    """The parts of a line its entities show."""

    NONE = 0
    # Missed calls and texts: today's counts, the totals, the last missed call.
    COUNTS = 1
    # Open and overdue follow-ups, replies and the conversion analytics.
    LEADS = 2
    # The provider's delivery receipts.
    RECEIPTS = 4
    # The master switch and the mode.
    SWITCHES = 8
    # The options the entities show (the messages) and the test number.
    SETTINGS = 16
    # Open or closed, and the next opening.
    HOURS = 32
    # The source's health (rejected requests, registration).
    SOURCE = 64
    ALL = 127
