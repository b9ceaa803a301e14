"""Query strings → an engine-neutral tree. Lenient: any input gives a tree and messages, never an exception.

How a query is read (the README's "Query syntax" says the same for users):

- Pieces separated by spaces are ANDed. Each piece is a *term*; in the default exact mode a term is
  matched as one exact string (its normalized text must occur in the paragraph); in words mode an
  unquoted term matches when all of its jieba words occur, anywhere in the paragraph.
- A piece wrapped whole in quotes of any kind ("…", “…”, '…', ‘…’, 「…」) is one exact phrase, spaces
  included, in either mode. A quote *inside* a piece is text: “十四五”规划 finds the string
  “十四五”规划 (quotation marks are folded by the normalization, so straight and curly quotes match).
- AND, OR, NOT (any case: `or` between two terms is OR), && || !, and a leading `-` combine terms;
  parentheses group when they stand at a piece's edge ("(养老 OR 托育)"), and are text inside one
  ("（一）着力扩大内需" is a phrase).
- `field:value` filters on a document field (see `search.fields`: province/省, city/市, level, tier,
  year (2024, 2015-2020, 2015-), type, county, title); the filters are taken out of the tree and
  applied like the page's filters. An unknown field name (`doc:…`) is named in a message and ignored,
  never searched as text; a colon after Chinese text is text ("目标：增长5%"). A filter cannot be
  excluded: `NOT province:江苏` and `-province:江苏` are ignored with a message (`-doc:1` is named as
  an unknown field), never searched as text.

Limits: MAX_QUERY_CHARS characters, MAX_TERMS terms, MAX_DEPTH levels of parentheses; past them the
rest is ignored with a message. Every term is normalized with the same function as the indexed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import settings
from .analysis import segment
from .fields import field_for
from .normalize import normalize

MAX_QUERY_CHARS = int(settings.get("query_chars"))
MAX_TERMS = int(settings.get("max_terms"))
MAX_DEPTH = int(settings.get("max_depth"))

# Delimiters the lexer must see in one form before the pieces are normalized one by one (normalizing
# the whole string first would drop the spaces that separate pieces).
_DELIMITERS = str.maketrans({
    "（": "(", "）": ")", "：": ":", "＂": '"', "＇": "'", "“": '"', "”": '"', "„": '"', "「": '"', "」": '"',
    "‘": "'", "’": "'", "『": "'", "』": "'", "\u3000": " ", "－": "-", "！": "!", "｜": "|", "＆": "&",
})
_OPERATORS = {"and": "and", "&&": "and", "&": "and", "or": "or", "||": "or", "|": "or", "not": "not", "!": "not"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Term:
    """Text to find: `text` normalized; `quoted` when the user put it in quotes (always exact)."""

    text: str
    quoted: bool = False
    words: tuple[str, ...] = ()  # jieba words of `text`, for words mode and the explanation


@dataclass(frozen=True)
class And:
    """All children match."""

    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    """Any child matches."""

    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    """The child does not match."""

    child: "Node"


Node = Term | And | Or | Not


@dataclass
class ParsedQuery:
    """The tree (None when no term is left), its positive and negated terms, typed filters, messages."""

    root: Node | None
    positive: list[Term] = field(default_factory=list)
    negative: list[Term] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)  # (field name, value as typed)
    messages: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)  # AND/OR/NOT as read
    normalized: str = ""


@dataclass
class _Token:
    kind: str  # lparen, rparen, and, or, not, term, field
    value: str = ""
    quoted: bool = False
    name: str = ""  # field name for kind == "field"
    raw: str = ""  # the operator as typed


def _wrapped_end(text: str, start: int) -> int:
    """Index of the quote closing a phrase opened at `start`, or -1: the same quote, then a piece's end."""
    quote = text[start]
    j = text.find(quote, start + 1)
    while j != -1:
        if j + 1 == len(text) or text[j + 1].isspace() or text[j + 1] == ")":
            return j
        j = text.find(quote, j + 1)
    return -1


def _piece_end(text: str, start: int) -> int:
    j = start
    while j < len(text) and not text[j].isspace():
        j += 1
    return j


def _split_parens(piece: str) -> tuple[int, str, int]:
    """(group openers, inner text, group closers): parentheses at a piece's edge group, others are text."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    unmatched_close: list[int] = []
    for i, c in enumerate(piece):
        if c == "(":
            stack.append(i)
        elif c == ")":
            if stack:
                pairs[stack.pop()] = i
            else:
                unmatched_close.append(i)
    unmatched_open = set(stack)
    opens = 0
    while opens < len(piece) and piece[opens] == "(" and opens in unmatched_open:
        opens += 1
    closes = 0
    end = len(piece)
    while closes < end - opens and piece[end - 1 - closes] == ")" and (end - 1 - closes) in unmatched_close:
        closes += 1
    inner = piece[opens:end - closes]
    # A pair wrapping the whole rest is a group too: "(养老)".
    while len(inner) > 2 and inner[0] == "(" and pairs.get(opens) == end - closes - 1:
        opens += 1
        closes += 1
        inner = inner[1:-1]
    return opens, inner, closes


class _Lexer:
    def __init__(self, text: str, messages: list[str]):
        self.text = text
        self.messages = messages
        self.tokens: list[_Token] = []

    def note(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def run(self) -> list[_Token]:
        text = self.text
        i = 0
        while i < len(text):
            if text[i].isspace():
                i += 1
                continue
            i = self.piece(i)
        return self.tokens

    def quoted_phrase(self, i: int, negate: bool = False) -> int | None:
        """Lex a phrase wrapped in quotes starting at i; None when the quote is text, not a wrapper."""
        text = self.text
        end = _wrapped_end(text, i)
        if end == -1:
            if text.find(text[i], i + 1) != -1:
                return None  # the quote closes inside a piece: “十四五”规划 is text with quotes in it
            self.note("引号没有闭合，已按到结尾为止的短语处理")
            end = len(text)
        if negate:
            self.tokens.append(_Token("not", raw="-"))
        self.tokens.append(_Token("term", text[i + 1:end], quoted=True))
        # closing parentheses right after the phrase group
        j = end + 1
        while j < len(text) and text[j] == ")":
            self.tokens.append(_Token("rparen"))
            j += 1
        return j

    def piece(self, i: int) -> int:
        text = self.text
        if text[i] in "\"'":
            j = self.quoted_phrase(i)
            if j is not None:
                return j
        if text[i] == "-" and i + 1 < len(text) and text[i + 1] in "\"'":
            j = self.quoted_phrase(i + 1, negate=True)
            if j is not None:
                return j
        end = _piece_end(text, i)
        piece = text[i:end]
        opens, inner, closes = _split_parens(piece)
        self.tokens.extend(_Token("lparen") for _ in range(opens))
        if inner:
            # "(\"新质生产力\"" and "title:\"常州 市\"": a quote after the openers may wrap a phrase with spaces
            start = i + opens
            if inner[0] in "\"'" and (j := self.quoted_phrase(start)) is not None:
                return j
            colon = inner.find(":")
            dashes = len(inner) - len(inner.lstrip("-"))  # "-province:江苏" is a field under a minus
            if colon > dashes and (j := self.field(inner, start, colon, dashes)) is not None:
                self.tokens.extend(_Token("rparen") for _ in range(closes))
                return j if j > end else end
            self.word(inner)
        self.tokens.extend(_Token("rparen") for _ in range(closes))
        return end

    def field(self, inner: str, start: int, colon: int, dashes: int = 0) -> int | None:
        """A field filter `name:value` after `dashes` leading minus signs; None when the colon is just text.

        Under an odd number of minus signs a known field is ignored with the same message as under NOT
        (excluding a filter is not supported); an unknown one is named like any unknown field. Either
        way the piece is never searched as text.
        """
        name = inner[dashes:colon]
        known = field_for(name)
        if known is None:
            if _IDENTIFIER.match(name):
                self.note(f"不认识的筛选字段“{name}”，“{inner[:40]}”已忽略（可用：省份 province、城市 city、级别 level、"
                          "行政层级 tier、年份 year、类型 type、区县 county、标题 title）")
                return start + len(inner)
            return None
        value_start = start + colon + 1
        text = self.text
        if value_start < len(text) and text[value_start] in "\"'":
            end = _wrapped_end(text, value_start)
            if end == -1:
                self.note("引号没有闭合，已按到结尾为止的短语处理")
                end = len(text)
            value, after = text[value_start + 1:end], end + 1
        else:
            value, after = inner[colon + 1:], start + len(inner)
        if not value.strip():
            self.note(f"筛选条件 {name}: 没有值，已忽略")
            return after
        if dashes % 2:  # "--x" is x again, as for a word
            self.note(f"不支持排除筛选条件（-{known.name}:{value.strip()}），已忽略")
            return after
        self.tokens.append(_Token("field", value.strip(), name=known.name))
        return after

    def word(self, piece: str) -> None:
        op = _OPERATORS.get(piece.lower())
        if op is not None:
            if piece not in ("AND", "OR", "NOT", "&&", "||", "!"):
                self.note(f"“{piece}”已按运算符 {op.upper()} 处理；如要检索这个词，请加引号：\"{piece}\"")
            self.tokens.append(_Token(op, raw=piece))
            return
        rest = piece.lstrip("-")
        if rest and len(rest) < len(piece):
            if (len(piece) - len(rest)) % 2:  # "--x" is x again
                self.tokens.append(_Token("not", raw="-"))
            piece = rest
        self.tokens.append(_Token("term", piece))


class _Parser:
    def __init__(self, tokens: list[_Token], messages: list[str]):
        self.tokens = tokens
        self.i = 0
        self.messages = messages
        self.terms = 0
        self.depth = 0
        self.filters: list[tuple[str, str]] = []
        self.operators: list[str] = []

    def note(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def peek(self) -> str | None:
        return self.tokens[self.i].kind if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        node = self.parse_or()
        while self.i < len(self.tokens):  # a stray ')' or operator: skip it and keep reading
            token = self.tokens[self.i]
            self.i += 1
            self.note("多余的右括号已忽略" if token.kind == "rparen" else f"多余的运算符 {token.raw or token.kind.upper()} 已忽略")
            node = _combine(And, [node, self.parse_or()])
        return node

    def parse_or(self) -> Node | None:
        parts = [self.parse_and()]
        while self.peek() == "or":
            self.i += 1
            self.operators.append("OR")
            parts.append(self.parse_and())
        if len(parts) > 1 and any(p is None for p in parts):
            self.note("OR 两边需要检索词，缺少的一边已忽略")
        return _combine(Or, parts)

    def parse_and(self) -> Node | None:
        parts: list[Node | None] = []
        while True:
            kind = self.peek()
            if kind is None or kind in ("rparen", "or"):
                break
            if kind == "and":
                self.i += 1
                self.operators.append("AND")
                if self.peek() in (None, "rparen", "or", "and"):
                    self.note("AND 后面缺少检索词，已忽略")
                continue
            parts.append(self.parse_unary())
        return _combine(And, parts)

    def parse_unary(self) -> Node | None:
        negations = 0
        while self.peek() == "not":  # a loop, not recursion: "NOT NOT … x" must not exhaust the stack
            self.i += 1
            negations += 1
        if negations:
            self.operators.append("NOT")
            if self.peek() in (None, "rparen", "or", "and"):
                self.note("NOT 后面缺少检索词，已忽略")
                return None
            if self.peek() == "field":
                token = self.tokens[self.i]
                self.i += 1
                self.note(f"不支持排除筛选条件（NOT {token.name}:{token.value}），已忽略")
                return None
            child = self.parse_atom()
            return Not(child) if child is not None and negations % 2 else child
        return self.parse_atom()

    def parse_atom(self) -> Node | None:
        token = self.tokens[self.i]
        self.i += 1
        if token.kind == "lparen":
            if self.depth >= MAX_DEPTH:
                self.note(f"括号嵌套超过 {MAX_DEPTH} 层，多出的括号已忽略")
                return None
            self.depth += 1
            node = self.parse_or()
            self.depth -= 1
            if self.peek() == "rparen":
                self.i += 1
            else:
                self.note("括号没有闭合，已自动补齐")
            return node
        if token.kind == "field":
            if self.depth or self.operators:
                self.note(f"筛选条件 {token.name}:{token.value} 对整个检索生效（与运算符无关）")
            self.filters.append((token.name, token.value))
            return None
        if token.kind == "term":
            return self.term(token.value, token.quoted)
        return None  # an operator where a term was expected: skipped

    def term(self, raw: str, quoted: bool) -> Node | None:
        norm = normalize(raw)
        if not norm:
            return None
        if self.terms >= MAX_TERMS:
            self.note(f"检索词过多，只使用前 {MAX_TERMS} 个")
            return None
        self.terms += 1
        return Term(norm, quoted, tuple(segment(norm)))


def _combine(kind: type, parts: list[Node | None]) -> Node | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return kind(tuple(kept))


def _collect(node: Node | None, positive: list[Term], negative: list[Term], negated: bool = False) -> None:
    if node is None:
        return
    if isinstance(node, Term):
        (negative if negated else positive).append(node)
    elif isinstance(node, Not):
        _collect(node.child, positive, negative, not negated)
    else:
        for child in node.children:
            _collect(child, positive, negative, negated)


def parse_query(text: str | None) -> ParsedQuery:
    """Parse a user's query string; never raises."""
    messages: list[str] = []
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        messages.append(f"检索式过长，只使用前 {MAX_QUERY_CHARS} 个字符")
        text = text[:MAX_QUERY_CHARS]
    text = text.translate(_DELIMITERS)
    tokens = _Lexer(text, messages).run()
    parser = _Parser(tokens, messages)
    root = parser.parse() if tokens else None
    positive: list[Term] = []
    negative: list[Term] = []
    _collect(root, positive, negative)
    if root is not None and not positive and negative:
        messages.append("只有排除条件：检索全部段落中不含这些词的段落")
    return ParsedQuery(root, positive, negative, parser.filters, messages, parser.operators, normalize(text))
