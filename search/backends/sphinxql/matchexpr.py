"""Match trees → SphinxQL MATCH() expressions.

A `Phrase` becomes a quoted phrase of single-character tokens (one character: the bare token), in
the mapped spelling of `charmap`, so it holds no ASCII punctuation and needs no escaping. Sphinx's
OR binds tighter than its implicit AND, so every group is parenthesized. Sphinx cannot run a NOT
alone: a NOT with no positive sibling is paired with the sentinel every paragraph holds.

Trees are first folded with constants: a phrase with a character no paragraph holds is FALSE, the
empty phrase is TRUE (every paragraph contains it), and the constants propagate through the
operators. The result is `None` for "every paragraph" (no MATCH clause), `FALSE` for "none" (no
query at all), or the expression string.
"""

from __future__ import annotations

from typing import Final

from ...query import And, Not, Or
from ..base import MatchNode, Phrase
from .charmap import SENTINEL, CharMap


class _Const:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


TRUE: Final = _Const("TRUE")
FALSE: Final = _Const("FALSE")


def fold(node: MatchNode | None, charmap: CharMap):  # noqa: ANN201 - a folded node, TRUE or FALSE
    """The tree with impossible and empty phrases replaced by constants, constants propagated."""
    if node is None:
        return TRUE
    if isinstance(node, Phrase):
        if node.text == "":
            return TRUE
        mapped = charmap.query(node.text)
        return FALSE if mapped is None else Phrase(mapped)
    if isinstance(node, Not):
        child = fold(node.child, charmap)
        if child is TRUE:
            return FALSE
        if child is FALSE:
            return TRUE
        return Not(child)
    children = [fold(c, charmap) for c in node.children]
    if isinstance(node, And):
        if any(c is FALSE for c in children):
            return FALSE
        kept = [c for c in children if c is not TRUE]
        if not kept:
            return TRUE
        return kept[0] if len(kept) == 1 else And(tuple(kept))
    if isinstance(node, Or):
        if any(c is TRUE for c in children):
            return TRUE
        kept = [c for c in children if c is not FALSE]
        if not kept:
            return FALSE
        return kept[0] if len(kept) == 1 else Or(tuple(kept))
    raise TypeError(f"unknown node {node!r}")


def _phrase(text: str) -> str:
    return text if len(text) == 1 else f'"{text}"'


def _expr(node) -> str:  # noqa: ANN001 - a folded node (no constants)
    """A node that is not a lone NOT, as an expression."""
    if isinstance(node, Phrase):
        return _phrase(node.text)
    if isinstance(node, Not):
        return f"({SENTINEL} -{_group(node.child)})"
    if isinstance(node, Or):
        return "(" + " | ".join(_expr(c) for c in node.children) + ")"
    positives = [_expr(c) for c in node.children if not isinstance(c, Not)]
    negatives = [f"-{_group(c.child)}" for c in node.children if isinstance(c, Not)]
    if not positives:
        positives = [SENTINEL]
    return "(" + " ".join(positives + negatives) + ")"


def _group(node) -> str:  # noqa: ANN001
    """An operand of NOT: a phrase or a parenthesized group."""
    return _expr(node) if not isinstance(node, Not) else f"({_expr(node)})"


def match_expression(tree: MatchNode | None, charmap: CharMap):  # noqa: ANN201 - str | None | FALSE
    """The MATCH() text of a tree: None = every paragraph, FALSE = no paragraph, else the expression."""
    folded = fold(tree, charmap)
    if folded is TRUE:
        return None
    if folded is FALSE:
        return FALSE
    return _expr(folded)
