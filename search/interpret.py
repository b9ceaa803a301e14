"""A parsed query in a mode → the match trees the engines answer, the strings to mark, and how it was read.

Exact mode (the default): every term is one exact string. Words mode: an unquoted term matches when
each of its jieba words occurs (anywhere in the paragraph, as a string); quoted terms stay exact.
Words are matched as strings, not as jieba tokens of the paragraph, so a words-mode answer always
contains the exact one (segmenting the same text in context can cut it differently: 养老服务 inside
综合养老服务中心 is 养老/服务中心), and both engines answer both modes from one per-character index.

In words mode the service orders paragraphs holding the whole term before those holding its words
apart: `tier` is the same tree with every positive unquoted term exact (a subset of the words tree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .backends.base import MatchNode, Phrase
from .models import QueryInfo, TermInfo
from .query import And, Not, Or, ParsedQuery, Term


@dataclass
class Interpretation:
    """What the engines are asked, and what the user is told."""

    tree: MatchNode | None  # the query in the requested mode
    tier: MatchNode | None  # words mode: the whole-term version ranked first; None otherwise
    loose: MatchNode | None  # exact mode: the words-mode tree, when it differs (for "N more")
    needles: list[str] = field(default_factory=list)  # strings to mark, longest first
    info: QueryInfo = field(default_factory=lambda: QueryInfo(""))


def _loosens(term: Term) -> bool:
    """Whether words mode would read this term differently from exact mode."""
    return not term.quoted and tuple(term.words) != (term.text,) and bool(term.words)


def _convert(node, mode: str, negated: bool = False, whole: bool = False) -> MatchNode | None:
    """`whole`: positive unquoted terms exact even in words mode (the tier tree)."""
    if node is None:
        return None
    if isinstance(node, Term):
        if node.quoted or mode == "exact" or not node.words or (whole and not negated):
            return Phrase(node.text)
        phrases = tuple(Phrase(w) for w in dict.fromkeys(node.words))
        return phrases[0] if len(phrases) == 1 else And(phrases)
    if isinstance(node, Not):
        child = _convert(node.child, mode, not negated, whole)
        return Not(child) if child is not None else None
    children = tuple(c for c in (_convert(ch, mode, negated, whole) for ch in node.children) if c is not None)
    if not children:
        return None
    return children[0] if len(children) == 1 else type(node)(children)


def interpret(parsed: ParsedQuery, mode: str) -> Interpretation:
    """Match trees, highlight strings and the explanation of a parsed query in `mode`."""
    tree = _convert(parsed.root, mode)
    loosening = any(_loosens(t) for t in parsed.positive + parsed.negative)
    tier = _convert(parsed.root, mode, whole=True) if mode == "words" and loosening else None
    loose = _convert(parsed.root, "words") if mode == "exact" and any(_loosens(t) for t in parsed.positive) else None
    if tier == tree:
        tier = None
    needles: list[str] = []
    for term in parsed.positive:
        needles.append(term.text)
        if mode == "words" and not term.quoted:
            needles.extend(w for w in term.words if len(w) > 1 or len(term.text) == 1)
    info = QueryInfo(
        text=parsed.normalized,
        mode=mode,
        terms=[TermInfo(t.text, t.quoted or mode == "exact", list(t.words), t.quoted) for t in parsed.positive],
        excluded=[t.text for t in parsed.negative],
        operators=list(dict.fromkeys(parsed.operators)),
        filters={},
        messages=list(parsed.messages),
        structure=describe(parsed.root) if _has_or(parsed.root) else "",
    )
    for name, value in parsed.filters:
        info.filters.setdefault(name, []).append(value)
    return Interpretation(tree, tier, loose, sorted(set(needles), key=len, reverse=True), info)


def exclude(tree: MatchNode | None, other: MatchNode) -> MatchNode:
    """`tree` AND NOT `other`."""
    return And((tree, Not(other))) if tree is not None else Not(other)


__all__ = ["Interpretation", "interpret", "exclude", "And", "Or", "Not", "Phrase"]


def _has_or(node) -> bool:
    if isinstance(node, Or):
        return True
    if isinstance(node, And):
        return any(_has_or(c) for c in node.children)
    return isinstance(node, Not) and _has_or(node.child)


def describe(node, top: bool = True) -> str:
    """The parsed query in words: terms in quotes, 且 / 或 / 非, groups in parentheses."""
    if node is None:
        return ""
    if isinstance(node, Term):
        return f"“{node.text}”"
    if isinstance(node, Not):
        return "非 " + describe(node.child, False)
    joined = (" 且 " if isinstance(node, And) else " 或 ").join(describe(c, False) for c in node.children)
    return joined if top else f"（{joined}）"
