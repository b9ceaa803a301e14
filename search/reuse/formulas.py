"""Formula shapes: the opening and thanks paragraphs every report words in its own way.

A paragraph is a formula when most of its fingerprints are phrases found in many reports (build.py).
A place's own variant of the opening line ("现在，我代表市第十六届人民政府，向大会报告工作，请予审议，
并请各位政协委员、列席代表提出意见") or of the thanks paragraph is found in few, so it would be listed
as reuse of the same place's earlier reports year after year. A paragraph of at most
`reuse_formula_shape_chars` characters (0: off) holding one of these keywords is a formula too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import settings
from ..normalize import normalize

# The opening ("…向大会报告工作，请予审议") and the thanks ("…表示衷心的感谢/致以崇高的敬意").
KEYWORDS: tuple[str, ...] = ("请予审议", "向大会报告", "向大会作报告", "衷心的感谢", "衷心感谢", "崇高的敬意", "诚挚的谢意")
_SHAPE = re.compile("|".join(re.escape(normalize(k)) for k in KEYWORDS))


def shaped(texts: Iterable[str]) -> list[bool]:
    """For each normalized paragraph text, whether it has a formula's shape."""
    limit = int(settings.get("reuse_formula_shape_chars"))
    return [0 < len(t) <= limit and _SHAPE.search(t) is not None for t in texts]
