"""The config, reconfigure and options flows, by topic.

config_flow.py composes them into the flow Home Assistant finds: flow.config
has the steps every line shares, flow.webhook and flow.sip build on them, and
flow.options (with flow.timing and flow.messages) edits a line; flow.texting
holds the texting step both use, flow.selectors the fields many forms use.
"""
