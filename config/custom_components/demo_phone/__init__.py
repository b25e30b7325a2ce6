"""Demo phone line: a fake FRITZ!Box call monitor for the development instance.

sensor.demo_phone_line follows input_select.demo_phone_line (idle/ringing/talking) and
carries the caller from input_text.demo_caller_number / demo_caller_name, with the
attributes fritzbox_callmonitor sets, replaced on every state. A template sensor cannot
do this: templates render "+16502530000" to the int 16502530000. Never ship this.
"""
