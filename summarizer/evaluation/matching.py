"""Matching: pairing predicted items with gold items, one to one. Pure functions, no I/O.

For each category a similarity matrix is built between predicted and gold items, and an optimal
one-to-one assignment (Hungarian algorithm) keeps the pairs scoring at least ``THRESHOLD``.

Similarity of two items = half text similarity (content words, crude stemming, so "UK" never equals
"Ukraine") and half evidence overlap (how much their located quotes cover each other). A negation on
one side only ("will not participate" vs "will participate") cuts the text similarity to a quarter.

Hard constraints make a pair impossible whatever its score:
- the canonical actor must agree (positions: actor; proposals: proposer; support commitments:
  provider and recipient), where a person and the state or organisation they speak for count as
  the same side and aliases are resolved first;
- for positions, stance polarity must not be opposite (support/conditional vs oppose).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

THRESHOLD = 0.3
NEGATION_PENALTY = 0.25

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NEGATIONS = frozenset({"not", "no", "never", "nor", "without", "cannot", "none", "neither"})
_STOP = frozenset(
    ["a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "but", "with", "by", "from", "at", "as", "is", "are", "was", "were", "be", "been", "being", "that", "this", "these", "those", "it", "its", "their", "his", "her", "they", "he", "she", "we", "our", "will", "would", "should", "could", "may", "might", "can", "has", "have", "had", "do", "does", "did", "over", "into", "about", "than", "such", "which", "who", "whom", "whose", "also", "any", "all", "more", "most", "other", "some"]
)
_POLARITY = {"support": 1, "conditional": 1, "oppose": -1, "considering": 0, "neutral": 0}


@dataclass(frozen=True)
class Role:
    """What one actor-reference field of an item says: the canonical names, and each one's side."""

    names: tuple[str, ...]
    sides: tuple[frozenset[str], ...]
    many: bool = False  # a list field (addressees, affected) rather than a single name

    def agrees(self, other: Role) -> bool:
        """The same actors, where a person and whom they speak for count as the same side."""
        return all(any(a & b for b in other.sides) for a in self.sides) and all(
            any(a & b for a in self.sides) for b in other.sides
        )

    def value(self) -> str | list[str] | None:
        return list(self.names) if self.many else (self.names[0] if self.names else None)


@dataclass(frozen=True)
class Item:
    """One item reduced to what matching needs."""

    text: str
    actors: tuple[frozenset[str], ...] = ()  # per hard-constrained role, the canonical names of its side
    stance: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # stance / status / support_type
    spans: tuple[tuple[int, int], ...] = ()
    optional: bool = False
    # per actor-reference field, the names it gives (canonical, aliases resolved) and each name's side
    roles: dict[str, Role] = field(default_factory=dict)


@lru_cache(maxsize=4096)  # each item's text is compared with every item of the other side
def _tokens(text: str) -> tuple[frozenset[str], bool]:
    words = _WORD.findall(text.lower().replace("’", "'").replace("n't", " not"))  # "won’t" too
    negated = any(w in _NEGATIONS for w in words)
    content = frozenset(w[:6] for w in words if w not in _STOP and w not in _NEGATIONS)
    return content, negated


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of stemmed content words, penalised when only one side is negated."""
    ta, na = _tokens(a)
    tb, nb = _tokens(b)
    if not ta or not tb:
        return 0.0
    score = 2 * len(ta & tb) / (len(ta) + len(tb))
    return score * NEGATION_PENALTY if na != nb else score


def evidence_overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> float:
    """Best containment between any two spans: shared characters / length of the shorter span."""
    best = 0.0
    for s1, e1 in a:
        for s2, e2 in b:
            shared = min(e1, e2) - max(s1, s2)
            shortest = min(e1 - s1, e2 - s2)
            if shared > 0 and shortest > 0:
                best = max(best, shared / shortest)
    return best


def _covered(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        elif e > s:
            merged.append((s, e))
    return merged


def span_agreement(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> float:
    """Characters both sides' evidence covers over characters either covers (1.0: the same text;
    0.0 when either side has none)."""
    ca, cb = _covered(a), _covered(b)
    shared = sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in ca for s2, e2 in cb)
    either = sum(e - s for s, e in ca) + sum(e - s for s, e in cb) - shared
    return shared / either if either else 0.0


def compatible(pred: Item, gold: Item) -> bool:
    if any(not (p & g) for p, g in zip(pred.actors, gold.actors, strict=False)):
        return False
    if pred.stance is not None and gold.stance is not None:
        return _POLARITY.get(pred.stance, 0) * _POLARITY.get(gold.stance, 0) >= 0
    return True


def similarity(pred: Item, gold: Item) -> float:
    if not compatible(pred, gold):
        return 0.0
    text = text_similarity(pred.text, gold.text)
    if text == 0.0:
        return 0.0
    return 0.5 * text + 0.5 * evidence_overlap(pred.spans, gold.spans)


def assign(matrix: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one assignment (Hungarian algorithm, O(n³)) on a rows × cols matrix.

    Returns min(rows, cols) (row, col) pairs, sorted, of maximal total weight; where ties allow several
    optima, which one is this code's choice. ``tests/test_matching.py`` checks it against brute force.

    Why not ``scipy.optimize.linear_sum_assignment``: its import is too slow for offline commands, and
    its answer is no better. Measured in this project on its 2-core machine (Python 3.11, scipy 1.17.1
    and numpy 2.4.6 installed only for the measurement with ``uv run --with scipy``; medians of 10 runs
    of subprocesses timed with ``perf_counter``, .pyc cached): ``import scipy.optimize`` takes 375 ms in
    a fresh process (543 ms with the page cache dropped, 1.3 s before any .pyc exists) and adds 277 ms
    on top of the eval modules already imported, against 602 ms for ``import openai``, 913 ms for a
    whole replay ``summarizer eval`` and 759 ms for ``eval --predictions``. That is 0.46× ``import
    openai`` on its own, over the 0.3× budget offline commands are held to, and it would add numpy and
    scipy (~115 MB) to the dependencies. The whole replay eval spends ~2 ms in this function (53
    non-empty matrices, up to 12 × 25). On those matrices scipy gives the same pairs and the eval
    report is identical byte for byte; on 10,000 random 1..8 × 1..8 matrices the total weight always
    agreed (within 4.4e-16) and the pairs differed only where ties allowed several optima (706 cases,
    none without ties; in 10 of them the number of pairs above ``THRESHOLD`` differed, so swapping in
    scipy could move scores on tied inputs).
    """
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    if not rows or not cols:
        return []
    n = max(rows, cols)
    big = max(max(r) for r in matrix) + 1.0
    cost = [[big - (matrix[i][j] if i < rows and j < cols else 0.0) for j in range(n)] for i in range(n)]
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    p = [0] * (n + 1)
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [float("inf")] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], float("inf"), 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return sorted((p[j] - 1, j - 1) for j in range(1, n + 1) if p[j] and p[j] - 1 < rows and j - 1 < cols)


@dataclass(frozen=True)
class Alignment:
    pairs: list[tuple[int, int, float]]  # (pred index, gold index, similarity)
    spurious: list[int]  # pred indices matched to nothing
    missed: list[int]  # gold indices matched to nothing


def align(preds: Sequence[Item], golds: Sequence[Item], threshold: float = THRESHOLD) -> Alignment:
    matrix = [[similarity(p, g) for g in golds] for p in preds]
    pairs = [(i, j, matrix[i][j]) for i, j in assign(matrix) if matrix[i][j] >= threshold]
    matched_p = {i for i, _, _ in pairs}
    matched_g = {j for _, j, _ in pairs}
    return Alignment(
        pairs=pairs,
        spurious=[i for i in range(len(preds)) if i not in matched_p],
        missed=[j for j in range(len(golds)) if j not in matched_g],
    )


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


def count(alignment: Alignment, golds: Sequence[Item], preds: Sequence[Item] = ()) -> Counts:
    """tp/fp/fn where optional gold items are neither rewarded (matched) nor penalised (missed).

    A predicted item marked optional (a second labelling scored as predictions) is likewise not
    penalised when nothing matches it; a model's predictions are never optional.
    """
    tp = sum(1 for _, j, _ in alignment.pairs if not golds[j].optional)
    fn = sum(1 for j in alignment.missed if not golds[j].optional)
    fp = sum(1 for i in alignment.spurious if not (i < len(preds) and preds[i].optional))
    return Counts(tp=tp, fp=fp, fn=fn)


Value = str | list[str] | None


def differences(pred: Item, gold: Item) -> dict[str, tuple[Value, Value]]:
    """The fields of a matched pair that disagree, as (predicted, gold): each categorical attribute
    (stance, status, support_type) compared as text, each actor role compared by side."""
    out: dict[str, tuple[Value, Value]] = {}
    for name, value in pred.attributes.items():
        other = gold.attributes.get(name)
        if other is not None and other != value:
            out[name] = (value, other)
    for name, role in pred.roles.items():
        other_role = gold.roles.get(name)
        if other_role is not None and not role.agrees(other_role):
            out[name] = (role.value(), other_role.value())
    return out

