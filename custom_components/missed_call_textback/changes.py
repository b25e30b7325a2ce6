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
    # Missed calls: today's count, the total, the last one.
    MISSED = 1
    # Texts sent: today's count, the totals (also of each variant), time to text.
    TEXTS = 2
    # The open follow-ups: awaiting and overdue, with their lists.
    LEADS = 4
    # Callers' replies: their count and the reply rates.
    REPLIES = 8
    # Follow-ups done: in time or not, time to follow up.
    FOLLOW_UPS = 16
    # The provider's delivery receipts.
    RECEIPTS = 32
    # The master switch and the mode.
    SWITCHES = 64
    # The options the entities show (the messages) and the test number.
    SETTINGS = 128
    # Open or closed, and the next opening.
    HOURS = 256
    # The source's health (rejected requests, registration).
    SOURCE = 512
    ALL = 1023
