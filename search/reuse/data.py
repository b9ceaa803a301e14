"""A generation's reuse folder opened for serving: small arrays in memory, loaded once per generation.

Only the tables the pages need are read (paragraphs, passages, near-identical pairs); fingerprints
stay on disk for the next build. Dead reports and formula paragraphs are dropped here, and the pair
table (how much of each report lies in passages shared with another) is derived from the passages.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import passages as pas
from . import storage as st


@dataclass
class Pairs:
    """Per pair of reports sharing passages (a = the later-indexed report, b the other; by report number)."""

    a: np.ndarray
    b: np.ndarray
    cover_a: np.ndarray  # characters of a inside passages shared with b
    cover_b: np.ndarray
    passages: np.ndarray  # passages shared


class ReuseData:
    """The reuse data of one generation."""

    def __init__(self, folder: Path):
        state = st.read_state(folder)
        if state is None:
            raise FileNotFoundError(f"no reuse data in {folder}")
        self.folder = folder
        self.settings = state.settings
        self.doc_id = {int(info["num"]): doc_id for doc_id, info in state.docs.items()}
        self.num_of = {doc_id: int(info["num"]) for doc_id, info in state.docs.items()}
        size = state.next_doc
        self.live = np.zeros(size, dtype=bool)
        self.chars = np.zeros(size, dtype=np.int64)
        for doc_id, info in state.docs.items():
            self.live[int(info["num"])] = True
            self.chars[int(info["num"])] = int(info["chars"])
        paras = [st.load(folder / p / st.PARAS_FILE, st.PARA_DTYPE, mmap=False) for p in state.parts]
        rows = np.concatenate(paras) if paras else np.zeros(0, dtype=st.PARA_DTYPE)
        rows = rows[self.live[rows["doc"]]]
        self.paras = rows[np.argsort(rows["num"])]
        self.row_by_num = np.full(state.next_para, -1, dtype=np.int64)  # paragraph number → row of `paras`
        self.row_by_num[self.paras["num"]] = np.arange(self.paras.size)
        keys = self._keys(self.paras["doc"], self.paras["dup"], self.paras["pid"])
        self._key_order = np.argsort(keys)
        self._keys_sorted = keys[self._key_order]
        nums = self.paras["num"].astype(np.int64)
        ok = np.zeros(state.next_para, dtype=bool)
        ok[nums[self.paras["formula"] == 0]] = True  # live and not a formula
        self.formula_count = int((self.paras["formula"] > 0).sum())

        found = [st.load(folder / p / st.PASSAGES_FILE, pas.PASSAGE_DTYPE, mmap=False) for p in state.parts]
        p = np.concatenate(found) if found else np.zeros(0, dtype=pas.PASSAGE_DTYPE)
        p = p[ok[p["pa"]] & ok[p["pb"]]]
        # sorted by report pair, so the passages of two reports are one slice
        key = (self.para_doc(p["pa"]) << 32) | self.para_doc(p["pb"])
        order = np.argsort(key, kind="stable")
        self.passages, self.passage_pair = p[order], key[order]
        near = [st.load(folder / p_ / st.NEAR_FILE, st.NEAR_DTYPE, mmap=False) for p_ in state.parts]
        n = np.concatenate(near) if near else np.zeros(0, dtype=st.NEAR_DTYPE)
        n = n[ok[n["a"]] & ok[n["b"]]]
        # a heading repeated elsewhere ("二、今年的主要任务") is structure, not a copied paragraph
        heading = np.zeros(state.next_para, dtype=bool)
        heading[nums[self.paras["kind"] == st.KINDS.index("heading")]] = True
        n = n[~heading[n["a"]] & ~heading[n["b"]]]
        # both directions, sorted by the first paragraph: the near-identical paragraphs of one are a slice
        src = np.concatenate([n["a"], n["b"]]).astype(np.int64)
        dst = np.concatenate([n["b"], n["a"]]).astype(np.int64)
        sim = np.concatenate([n["similarity"], n["similarity"]])
        order = np.argsort(src, kind="stable")
        self.near_src, self.near_dst, self.near_sim = src[order], dst[order], sim[order]
        self.pairs = self._pairs()
        self.lock = threading.Lock()

    @staticmethod
    def _keys(doc: np.ndarray, dup: np.ndarray, pid: np.ndarray) -> np.ndarray:
        return (doc.astype(np.int64) << 48) | (dup.astype(np.int64) << 32) | pid.astype(np.int64)

    def para_doc(self, nums: np.ndarray) -> np.ndarray:
        """Report numbers of paragraph numbers."""
        return self.paras["doc"][self.row_by_num[np.asarray(nums, dtype=np.int64)]].astype(np.int64)

    def between(self, a: int, b: int) -> np.ndarray:
        """The passages shared by reports a and b (numbers), pa in the later-numbered one."""
        key = (max(a, b) << 32) | min(a, b)
        lo = int(np.searchsorted(self.passage_pair, key, side="left"))
        hi = int(np.searchsorted(self.passage_pair, key, side="right"))
        return self.passages[lo:hi]

    def row_of(self, paragraph_id: str) -> int | None:
        """The row in `paras` of a paragraph id, or None when it has no reuse data."""
        doc_id = paragraph_id.partition("-")[0]
        num = self.num_of.get(doc_id)
        parts = st.parse_paragraph_id(paragraph_id, doc_id) if num is not None else None
        if parts is None:
            return None
        key = (num << 48) | (parts[1] << 32) | parts[0]
        i = int(np.searchsorted(self._keys_sorted, key))
        if i < self._keys_sorted.size and int(self._keys_sorted[i]) == key:
            return int(self._key_order[i])
        return None

    def paragraph_id(self, row: int) -> str:
        """The id of a row of `paras`."""
        r = self.paras[row]
        return st.paragraph_id(self.doc_id[int(r["doc"])], int(r["pid"]), int(r["dup"]))

    def row_of_num(self, nums: np.ndarray) -> np.ndarray:
        """Rows of `paras` of paragraph numbers."""
        return self.row_by_num[np.asarray(nums, dtype=np.int64)]

    def near_of(self, num: int) -> tuple[np.ndarray, np.ndarray]:
        """Numbers and similarities of the paragraphs near-identical to paragraph `num`."""
        lo = int(np.searchsorted(self.near_src, num, side="left"))
        hi = int(np.searchsorted(self.near_src, num, side="right"))
        return self.near_dst[lo:hi], self.near_sim[lo:hi]

    def _pairs(self) -> Pairs:
        p = self.passages
        if p.size == 0:
            z = np.zeros(0, dtype=np.int64)
            return Pairs(z, z, z, z, z)
        pair = self.passage_pair
        cover_a = self._cover(pair, p["pa"], p["a0"], p["a1"])
        cover_b = self._cover(pair, p["pb"], p["b0"], p["b1"])
        uniq, counts = np.unique(pair, return_counts=True)
        return Pairs(uniq >> 32, uniq & 0xFFFFFFFF, cover_a, cover_b, counts.astype(np.int64))

    @staticmethod
    def _cover(pair: np.ndarray, para: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Per distinct pair (in sorted order): characters inside the union of its spans, paragraph by paragraph."""
        order = np.lexsort((start, para, pair))
        pair_o, para_o = pair[order], para[order]
        new_para = np.r_[True, (pair_o[1:] != pair_o[:-1]) | (para_o[1:] != para_o[:-1])]
        per_para = pas.covered(start[order], end[order], np.cumsum(new_para) - 1)
        new_pair = np.r_[True, pair_o[1:] != pair_o[:-1]][new_para]
        return np.bincount(np.cumsum(new_pair) - 1, weights=per_para).astype(np.int64)


_CACHE: dict[str, ReuseData] = {}
_LOCK = threading.Lock()


def open_data(folder: Path | None) -> ReuseData | None:
    """The loaded reuse data of a folder (cached: the folder belongs to one generation and never changes)."""
    if folder is None:
        return None
    key = str(folder.resolve())
    data = _CACHE.get(key)
    if data is not None:
        return data
    with _LOCK:
        data = _CACHE.get(key)
        if data is None:
            try:
                data = ReuseData(folder)
            except (FileNotFoundError, OSError, ValueError):
                return None
            _CACHE.clear()  # one generation at a time: the previous one is no longer served
            _CACHE[key] = data
        return data
