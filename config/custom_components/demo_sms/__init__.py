"""Demo SMS: a fake SMS gateway for the development instance (scripts/develop).

Texts "sent" through notify.demo_sms land in <config>/demo_texts.log, one JSON line
each, and show up as persistent notifications in the UI. Never ship this.
"""
