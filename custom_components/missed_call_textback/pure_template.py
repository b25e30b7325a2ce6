"""Which message templates depend on nothing but their variables.

Most messages only place the business's details ("{{ business_name }}",
"{{ response_window }}") into fixed text, so every caller gets the same words
until the settings or the hours change. Such a template is rendered once per
set of the values it reads and the text reused. A template that calls
anything (now(), states(...), a macro), reads a name that is not one of its
variables, or uses a filter or test outside the plain text ones below is
rendered for every text, as before.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, meta, nodes

# Jinja's and Home Assistant's text filters that give the same output for
# the same input. Filters that take another filter or test by name (map,
# select, ...) or read the clock or the state machine are not here.
PURE_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "center",
        "count",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "float",
        "format",
        "indent",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "replace",
        "reverse",
        "round",
        "safe",
        "sort",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
        "wordwrap",
    }
)
PURE_TESTS = frozenset(
    {
        "boolean",
        "defined",
        "divisibleby",
        "eq",
        "equalto",
        "even",
        "false",
        "ge",
        "gt",
        "in",
        "le",
        "lower",
        "lt",
        "ne",
        "none",
        "number",
        "odd",
        "sameas",
        "string",
        "true",
        "undefined",
        "upper",
    }
)
# Statements that bring in other templates or run code.
_IMPURE_NODES = (
    nodes.Call,
    nodes.CallBlock,
    nodes.ExprStmt,
    nodes.Extends,
    nodes.FromImport,
    nodes.Import,
    nodes.Include,
    nodes.Macro,
)

# Parsing only, never rendering (so no escaping to choose): the extensions
# Home Assistant's template environment loads.
_PARSER = Environment(  # noqa: S701
    extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"]
)


def pure_inputs(source: str, variables: Collection[str]) -> tuple[str, ...] | None:
    """Return the variables a template's output depends on, or None if not pure.

    None: the template may give a different text for the same variables
    (or cannot be read here), so it must be rendered every time.
    """
    return _pure_inputs(source, frozenset(variables))


@lru_cache(maxsize=32)
def _pure_inputs(source: str, variables: frozenset[str]) -> tuple[str, ...] | None:
    try:
        tree = _PARSER.parse(source)
    except TemplateSyntaxError:
        return None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, _IMPURE_NODES):
            return None
        if isinstance(node, nodes.Filter) and node.name not in PURE_FILTERS:
            return None
        if isinstance(node, nodes.Test) and node.name not in PURE_TESTS:
            return None
    used = meta.find_undeclared_variables(tree)
    if not used <= variables:
        return None
    return tuple(sorted(used))
