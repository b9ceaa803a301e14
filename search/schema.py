"""The Whoosh schema: the only place index field names are spelled.

One Whoosh document per paragraph: its stored text, its document's metadata as sortable columns,
and `words` (jieba, BM25F) for ranking. Whether a string occurs is decided by the bigram side index
(`search.substring`), and facets are counted from in-memory arrays: both far faster than Whoosh's
pure-Python postings. Side arrays are indexed by Whoosh document number.
"""

from __future__ import annotations

from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from .analysis import WordTokenizer

# Bump when the schema or the side files change incompatibly; an older index is refused clearly.
SCHEMA_VERSION = 4


FACET_FIELDS = ("province", "level", "tier", "type")


def build_schema() -> Schema:
    """The paragraph schema."""
    return Schema(
        id=ID(stored=True, unique=True),
        # Metadata as column-only fields: Whoosh can sort and facet on them, and they cost no
        # postings (indexing them as ID fields doubled the build time).
        doc_id=ID(stored=True),
        ordinal=STORED(),
        text=STORED(),
        section=STORED(),
        title=COLUMN(VarBytesColumn()),
        year=COLUMN(NumericColumn("H")),
        **{name: COLUMN(VarBytesColumn()) for name in FACET_FIELDS},
        # jieba words for BM25F. The tokenizer gives ordinal positions, but phrases are answered by the
        # bigram index, so only frequencies are stored (a fifth less build time).
        words=TEXT(analyzer=WordTokenizer(), phrase=False),
    )
