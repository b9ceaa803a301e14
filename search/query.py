"""Query strings → an engine-neutral tree. Lenient: any input gives a tree and messages, never an exception.

Syntax: terms separated by spaces are ANDed; "…" or “…” is an exact phrase; AND, OR, NOT (upper
case) and a leading '-' combine terms; parentheses group; `field:value` filters on title, province,
city, county, level, tier, type and year (`year:2020-2024`). Every term is normalized with the same
function as the indexed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .analysis import segment
from .normalize import normalize

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# field name (also Chinese aliases) → canonical filter field
FIELD_NAMES: dict[str, str] = {
    "title": "title", "标题": "title",
    "province": "province", "省": "province", "省份": "province",
    "city": "city", "市": "city", "城市": "city",
    "county": "county", "区县": "county",
    "level": "level", "级别": "level", "层级": "level",
    "tier": "tier", "行政级别": "tier",
    "type": "type", "类型": "type",
    "year": "year", "年份": "year", "年": "year",
}


@dataclass(frozen=True)
class Term:
    """Text to find. exact: the normalized string itself; otherwise every jieba word of it."""

    text: str  # normalized
    exact: bool
    words: tuple[str, ...] = ()  # jieba words of `text` (for ranking, and for matching when not exact)


@dataclass(frozen=True)
class Filter:
    """A field filter written in the query, e.g. province:江苏 or year:2020-2024."""

    field: str
    value: str  # normalized; for year "2020" or "2020-2024"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


Node = Term | Filter | And | Or | Not


@dataclass
class ParsedQuery:
    """The tree (None for an empty query), the positive terms for ranking and highlighting, messages."""

    root: Node | None
    positive: list[Term] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    normalized: str = ""


_TOKEN = re.compile(
    r"""
    (?P<lparen>[(（])
  | (?P<rparen>[)）])
  | (?P<fieldq>(?P<fname>[^\s:：()（）"“”]+)[:：]\s*["“](?P<fqval>[^"”]*)(?P<fqend>["”]?))
  | (?P<phrase>["“](?P<pval>[^"”]*)(?P<pend>["”]?))
  | (?P<word>[^\s()（）"“”]+)
    """,
    re.VERBOSE,
)


def _lex(text: str, messages: list[str]) -> list[tuple[str, str, str]]:
    """(kind, value, extra) tokens: lparen, rparen, op, not, field, phrase, word."""
    tokens: list[tuple[str, str, str]] = []
    for m in _TOKEN.finditer(text):
        if m.group("lparen"):
            tokens.append(("lparen", "(", ""))
        elif m.group("rparen"):
            tokens.append(("rparen", ")", ""))
        elif m.group("fieldq"):
            name = m.group("fname")
            canon = FIELD_NAMES.get(name.lower()) or FIELD_NAMES.get(name)
            if not m.group("fqend"):
                messages.append("引号没有闭合，已按到结尾为止的短语处理")
            if canon:
                tokens.append(("field", canon, m.group("fqval")))
            else:
                tokens.append(("word", name, ""))
                tokens.append(("phrase", m.group("fqval"), ""))
        elif m.group("phrase") is not None and m.group("phrase"):
            if not m.group("pend"):
                messages.append("引号没有闭合，已按到结尾为止的短语处理")
            tokens.append(("phrase", m.group("pval"), ""))
        else:
            word = m.group("word")
            if word in ("AND", "&&", "&"):
                tokens.append(("and", word, ""))
            elif word in ("OR", "||", "|"):
                tokens.append(("or", word, ""))
            elif word == "NOT":
                tokens.append(("not", word, ""))
            else:
                fm = re.match(r"^([^:：]+)[:：](.*)$", word)
                canon = None
                if fm:
                    canon = FIELD_NAMES.get(fm.group(1).lower()) or FIELD_NAMES.get(fm.group(1))
                if fm and canon:
                    tokens.append(("field", canon, fm.group(2)))
                elif word.startswith("-") and len(word) > 1:
                    tokens.append(("not", "-", ""))
                    tokens.append(("word", word[1:], ""))
                else:
                    tokens.append(("word", word, ""))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, str]], messages: list[str]):
        self.tokens = tokens
        self.i = 0
        self.messages = messages
        self.terms = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        node = self.parse_or()
        while self.i < len(self.tokens):  # a stray ')' or operator: skip it and keep reading
            kind = self.tokens[self.i][0]
            self.i += 1
            self.messages.append("多余的右括号已忽略" if kind == "rparen" else f"多余的运算符 {self.tokens[self.i - 1][1]} 已忽略")
            more = self.parse_or()
            node = _combine(And, [node, more])
        return node

    def parse_or(self) -> Node | None:
        parts = [self.parse_and()]
        while self.peek() == "or":
            self.i += 1
            parts.append(self.parse_and())
        if len(parts) > 1 and any(p is None for p in parts):
            self.messages.append("OR 两边需要检索词，缺少的一边已忽略")
        return _combine(Or, parts)

    def parse_and(self) -> Node | None:
        parts: list[Node | None] = []
        while True:
            kind = self.peek()
            if kind is None or kind in ("rparen", "or"):
                break
            if kind == "and":
                self.i += 1
                if self.peek() in (None, "rparen", "or", "and"):
                    self.messages.append("AND 后面缺少检索词，已忽略")
                continue
            parts.append(self.parse_unary())
        return _combine(And, parts)

    def parse_unary(self) -> Node | None:
        if self.peek() == "not":
            self.i += 1
            if self.peek() in (None, "rparen", "or", "and"):
                self.messages.append("NOT 后面缺少检索词，已忽略")
                return None
            child = self.parse_unary()
            return Not(child) if child is not None else None
        return self.parse_atom()

    def parse_atom(self) -> Node | None:
        kind, value, extra = self.tokens[self.i]
        self.i += 1
        if kind == "lparen":
            node = self.parse_or()
            if self.peek() == "rparen":
                self.i += 1
            else:
                self.messages.append("括号没有闭合，已自动补齐")
            return node
        if kind == "field":
            norm = normalize(extra)
            if not norm:
                self.messages.append(f"筛选条件 {value}: 没有值，已忽略")
                return None
            if value == "year" and not re.fullmatch(r"\d{4}(-\d{4})?", norm):
                self.messages.append(f"年份应写作 year:2024 或 year:2020-2024，“{extra}”已忽略")
                return None
            return Filter(value, norm)
        return self.term(value, exact=(kind == "phrase"))

    def term(self, raw: str, exact: bool) -> Node | None:
        norm = normalize(raw)
        if not norm or not any(c.isalnum() for c in norm) and not exact:
            return None
        if self.terms >= MAX_TERMS:
            if self.terms == MAX_TERMS:
                self.messages.append(f"检索词过多，只使用前 {MAX_TERMS} 个")
            self.terms += 1
            return None
        self.terms += 1
        words = tuple(segment(norm)) or (norm,)
        return Term(norm, exact, words)


def _combine(kind: type, parts: list[Node | None]) -> Node | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return kind(tuple(kept))


def _collect(node: Node | None, positive: list[Term], filters: list[Filter], negated: bool = False) -> None:
    if node is None:
        return
    if isinstance(node, Term):
        if not negated:
            positive.append(node)
    elif isinstance(node, Filter):
        filters.append(node)
    elif isinstance(node, Not):
        _collect(node.child, positive, filters, not negated)
    else:
        for child in node.children:
            _collect(child, positive, filters, negated)


def parse_query(text: str) -> ParsedQuery:
    """Parse a user's query string; never raises."""
    messages: list[str] = []
    if text is None:
        text = ""
    if len(text) > MAX_QUERY_CHARS:
        messages.append(f"检索式过长，只使用前 {MAX_QUERY_CHARS} 个字符")
        text = text[:MAX_QUERY_CHARS]
    # NFKC folds full-width quotes, brackets and colons into the ASCII ones the lexer knows.
    text = text.replace("＂", '"').replace("＇", "'")
    tokens = _lex(text, messages)
    root = _Parser(tokens, messages).parse() if tokens else None
    positive: list[Term] = []
    filters: list[Filter] = []
    _collect(root, positive, filters)
    return ParsedQuery(root, positive, filters, list(dict.fromkeys(messages)), normalize(text))
