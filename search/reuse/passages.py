"""Shared passages from shared fingerprints: seeds, chained along the diagonal, become passages.

A *seed* says: the k-gram at offset s of paragraph x is also at offset t of paragraph y. Copied text
gives seeds with the same diagonal s - t, one every few characters; a changed character removes
the k-grams over it (a gap), an inserted or dropped one shifts the diagonal by one. So seeds of one
paragraph pair, in offset order, belong to one passage while the diagonal moves by at most
DIAG_SLACK from one seed to the next and the gap stays under GAP; a reordered sentence is simply another passage. A
passage shorter than MIN_CHARS is a common phrase, not a copy. Everything is numpy over all seeds.
"""

from __future__ import annotations

import numpy as np

GAP = 48  # characters between consecutive seeds of one passage: one edit removes K seeds, the next comes within W
DIAG_SLACK = 4  # characters inserted or dropped between two seeds of one passage
MIN_CHARS = 15  # a passage must span this many normalized characters on both sides (a short sentence)
REACH = 24  # characters a chain may grow at each end over equal text (more than a window's worth)
SKIPS = 2  # changed characters a chain may grow over at each end (a light edit near a copy's end) …
CONFIRM = 5  # … when this many characters beyond the changed one are equal again

SEED_DTYPE = np.dtype([
    ("xp", "<u4"), ("xs", "<u4"), ("xe", "<u4"), ("yp", "<u4"), ("ys", "<u4"), ("ye", "<u4"), ("df", "<u4"),
])
PASSAGE_DTYPE = np.dtype([
    ("pa", "<u4"), ("a0", "<u4"), ("a1", "<u4"), ("pb", "<u4"), ("b0", "<u4"), ("b1", "<u4"), ("seeds", "<u4"),
])


def group_pairs(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j), i < j, of positions with equal sorted `groups` values (all pairs inside each group)."""
    n = groups.size
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    counts = np.diff(np.r_[starts, n])
    local = np.arange(n) - np.repeat(starts, counts)
    after = np.repeat(counts, counts) - 1 - local  # partners after each position in its group
    i = np.repeat(np.arange(n), after)
    step = np.arange(i.size) - np.repeat(np.cumsum(after) - after, after) + 1
    return i, i + step


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q, t) for every q and every t in [lo[q], hi[q])."""
    counts = hi - lo
    q = np.repeat(np.arange(lo.size), counts)
    t = np.repeat(lo, counts) + (np.arange(q.size) - np.repeat(np.cumsum(counts) - counts, counts))
    return q, t


def chain(seeds: np.ndarray) -> np.ndarray:
    """Chains of seeds (PASSAGE_DTYPE, pa = xp), before `extend`; a lone seed only when no third paragraph has it.

    One shared k-gram that other paragraphs have too is a common phrase met by chance, not a copy.
    """
    if seeds.size == 0:
        return np.zeros(0, dtype=PASSAGE_DTYPE)
    xp = seeds["xp"].astype(np.int64)
    yp = seeds["yp"].astype(np.int64)
    xs = seeds["xs"].astype(np.int64)
    diag = xs - seeds["ys"].astype(np.int64)
    pair = (xp << 32) | yp
    del xp, yp
    # in x order: a copy's seeds follow one another there, whichever way its diagonal drifts
    order = _chain_order(pair, xs, diag)
    pair, diag, xs = pair[order], diag[order], xs[order]
    brk = np.ones(pair.size, dtype=bool)
    # a new chain: another paragraph pair, a diagonal moved too far (other text), or a gap too long
    brk[1:] = (pair[1:] != pair[:-1]) | (np.abs(diag[1:] - diag[:-1]) > DIAG_SLACK) | (xs[1:] - xs[:-1] > GAP)
    starts = np.flatnonzero(brk)
    out = np.empty(starts.size, dtype=PASSAGE_DTYPE)
    out["pa"] = pair[starts] >> 32
    out["pb"] = pair[starts] & 0xFFFFFFFF
    out["a0"] = xs[starts]  # seeds run in x order within a chain
    del pair, diag, xs
    out["a1"] = np.maximum.reduceat(seeds["xe"][order], starts)
    out["b0"] = np.minimum.reduceat(seeds["ys"][order], starts)
    out["b1"] = np.maximum.reduceat(seeds["ye"][order], starts)
    out["seeds"] = np.diff(np.r_[starts, order.size])
    lone_ok = np.minimum.reduceat(seeds["df"][order], starts) <= 2
    return out[(out["seeds"] >= 2) | lone_ok]


def _chain_order(pair: np.ndarray, xs: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """The order of seeds by (paragraph pair, offset in x, diagonal); no two seeds share all three.

    One 64-bit key sorted once (the pairs ranked, offsets and diagonals below 2^20) when it fits,
    else three stable sorts.
    """
    if xs.size and int(xs.max()) < 1 << 20 and int(np.abs(diag).max()) < 1 << 19:
        ranks, rank = np.unique(pair, return_inverse=True)
        if ranks.size < 1 << 23:
            return np.argsort((rank.astype(np.int64) << 40) | (xs << 20) | (diag + (1 << 19)))
    return np.lexsort((diag, xs, pair))


def extend(chains: np.ndarray, texts: dict[int, str], reach: int = REACH) -> np.ndarray:
    """Chains grown over the equal characters around them, then those under MIN_CHARS dropped.

    Winnowing keeps about one k-gram in five, so a chain starts and ends up to W characters inside
    the copied text; the texts themselves say where the copy really starts and ends. A single
    changed character is stepped over when the next CONFIRM characters agree again (SKIPS times).
    """
    nums = np.array(sorted(texts), dtype=np.int64)
    lengths = np.array([len(texts[n]) for n in nums.tolist()], dtype=np.int64)
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    codes = np.empty(int(lengths.sum()), dtype=np.uint32)
    for n, at, size in zip(nums.tolist(), starts.tolist(), lengths.tolist()):
        codes[at:at + size] = np.frombuffer(texts[n].encode("utf-32-le"), dtype=np.uint32)
    return extend_codes(chains, nums, starts, lengths, codes, reach)


def extend_codes(chains: np.ndarray, nums: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                 codes: np.ndarray, reach: int = REACH) -> np.ndarray:
    """`extend` with the texts as code points: paragraph nums[i] (sorted) is codes[starts[i]:starts[i] + lengths[i]]."""
    if chains.size == 0 or nums.size == 0:
        return chains[:0]
    ia = np.searchsorted(nums, chains["pa"].astype(np.int64))
    ib = np.searchsorted(nums, chains["pb"].astype(np.int64))
    known = (nums[np.minimum(ia, nums.size - 1)] == chains["pa"]) & (nums[np.minimum(ib, nums.size - 1)] == chains["pb"])
    ia, ib = np.minimum(ia, nums.size - 1), np.minimum(ib, nums.size - 1)
    base_a, base_b, len_a, len_b = starts[ia], starts[ib], lengths[ia], lengths[ib]
    a0, a1 = chains["a0"].astype(np.int64), np.minimum(chains["a1"].astype(np.int64), len_a)
    b0, b1 = chains["b0"].astype(np.int64), np.minimum(chains["b1"].astype(np.int64), len_b)
    for side in (-1, 1):  # leftwards, then rightwards, each step only over the chains still growing
        active = np.flatnonzero(known)
        for round_ in range(SKIPS + 1):
            stopped = []
            for _ in range(reach):
                if side < 0:
                    active = active[(a0[active] > 0) & (b0[active] > 0)]
                    same = codes[base_a[active] + a0[active] - 1] == codes[base_b[active] + b0[active] - 1]
                    stopped.append(active[~same])
                    active = active[same]
                    a0[active] -= 1
                    b0[active] -= 1
                else:
                    active = active[(a1[active] < len_a[active]) & (b1[active] < len_b[active])]
                    same = codes[base_a[active] + a1[active]] == codes[base_b[active] + b1[active]]
                    stopped.append(active[~same])
                    active = active[same]
                    a1[active] += 1
                    b1[active] += 1
                if active.size == 0:
                    break
            if round_ == SKIPS or not stopped:
                break
            # a changed character: step over it when the CONFIRM characters beyond it are equal again
            cand = np.concatenate(stopped)
            if side < 0:
                cand = cand[(a0[cand] > CONFIRM) & (b0[cand] > CONFIRM)]
                good = np.ones(cand.size, dtype=bool)
                for k in range(2, CONFIRM + 2):
                    good &= codes[base_a[cand] + a0[cand] - k] == codes[base_b[cand] + b0[cand] - k]
                cand = cand[good]
                a0[cand] -= CONFIRM + 1
                b0[cand] -= CONFIRM + 1
            else:
                cand = cand[(a1[cand] + CONFIRM < len_a[cand]) & (b1[cand] + CONFIRM < len_b[cand])]
                good = np.ones(cand.size, dtype=bool)
                for k in range(1, CONFIRM + 1):
                    good &= codes[base_a[cand] + a1[cand] + k] == codes[base_b[cand] + b1[cand] + k]
                cand = cand[good]
                a1[cand] += CONFIRM + 1
                b1[cand] += CONFIRM + 1
            active = cand
            if active.size == 0:
                break
    out = chains.copy()
    out["a0"], out["a1"], out["b0"], out["b1"] = a0, a1, b0, b1
    long = known & ((a1 - a0) >= MIN_CHARS) & ((b1 - b0) >= MIN_CHARS)
    return merge_overlaps(out[long])


def merge_overlaps(passages: np.ndarray) -> np.ndarray:
    """Passages of one paragraph pair that overlap in x, from about the same place in y, become one."""
    if passages.size < 2:
        return passages
    p = passages[np.lexsort((passages["a0"], passages["pb"], passages["pa"]))]
    pair = (p["pa"].astype(np.int64) << 32) | p["pb"].astype(np.int64)
    first = np.r_[True, pair[1:] != pair[:-1]]
    a1 = p["a1"].astype(np.int64)
    offset = np.cumsum(first) * (int(a1.max()) + 1)
    reach = np.maximum.accumulate(a1 + offset) - offset
    diag = p["a0"].astype(np.int64) - p["b0"].astype(np.int64)
    apart = np.abs(diag[1:] - diag[:-1]) > GAP  # overlapping in x but copied from elsewhere in y
    starts = np.flatnonzero(first | np.r_[True, (p["a0"][1:].astype(np.int64) > reach[:-1]) | apart])
    out = p[starts].copy()
    out["a1"] = np.maximum.reduceat(p["a1"], starts)
    out["b0"] = np.minimum.reduceat(p["b0"], starts)
    out["b1"] = np.maximum.reduceat(p["b1"], starts)
    out["seeds"] = np.add.reduceat(p["seeds"], starts)
    return out


def covered(starts: np.ndarray, ends: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per group (sorted by group then start): characters inside the union of its [start, end) spans."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.int64)
    s = starts.astype(np.int64)
    e = ends.astype(np.int64)
    first = np.r_[True, groups[1:] != groups[:-1]]
    # running end within a group: spans are shifted apart per group so the running maximum never crosses
    offset = np.cumsum(first) * (int(e.max()) + 1)
    reach = np.maximum.accumulate(e + offset) - offset
    prev = np.r_[0, reach[:-1]]
    prev[first] = 0
    gain = np.clip(e - np.maximum(s, prev), 0, None)
    gid = np.cumsum(first) - 1
    return np.bincount(gid, weights=gain).astype(np.int64)
