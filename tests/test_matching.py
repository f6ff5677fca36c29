"""Pure matching functions on hand-built pairs, and the assignment against brute force."""

import itertools
import random

import pytest

from summarizer.evaluation.matching import Counts, Item, align, assign, count, similarity, text_similarity
from summarizer.evaluation.report import Scores

NATO = frozenset({"nato"})
UKRAINE = frozenset({"ukraine"})
UK = frozenset({"united kingdom"})


def item(text: str, actors=(NATO,), stance=None, spans=((0, 10),), optional=False) -> Item:
    return Item(text=text, actors=actors, stance=stance, spans=spans, optional=optional)


def test_negation_is_not_fooled() -> None:
    assert text_similarity("NATO will participate in the conflict", "NATO will participate in the conflict") == 1.0
    assert text_similarity("NATO will not participate in the conflict", "NATO will participate in the conflict") < 0.3
    assert text_similarity("NATO won't participate", "NATO will participate") < 0.3


def test_uk_is_not_ukraine() -> None:
    assert text_similarity("military aid to UK", "military aid to Ukraine") < text_similarity("aid to UK", "aid to UK")
    pred = item("send air defence", actors=(UK,))
    gold = item("send air defence", actors=(UKRAINE,))
    assert similarity(pred, gold) == 0.0


def test_actor_must_agree_but_person_and_affiliation_are_one_side() -> None:
    stoltenberg = frozenset({"jens stoltenberg", "nato"})
    assert similarity(item("oppose intercepting missiles", actors=(stoltenberg,)), item("oppose intercepting missiles")) > 0.9
    assert similarity(item("oppose intercepting missiles", actors=(UKRAINE,)), item("oppose intercepting missiles")) == 0.0


def test_opposite_stance_polarity_never_matches_but_considering_can() -> None:
    gold = item("shooting down missiles", stance="support")
    assert similarity(item("shooting down missiles", stance="oppose"), gold) == 0.0
    assert similarity(item("shooting down missiles", stance="considering"), gold) > 0.9
    assert similarity(item("shooting down missiles", stance="conditional"), gold) > 0.9


def test_evidence_overlap_adds_to_text_similarity() -> None:
    gold = item("no-fly zone over western Ukraine", spans=((100, 200),))
    near = item("a no-fly zone in the west", spans=((120, 180),))
    far = item("a no-fly zone in the west", spans=((500, 560),))
    assert similarity(near, gold) > similarity(far, gold)


def test_assignment_is_one_to_one_and_optimal() -> None:
    # greedy would take (0,0)=0.9 and leave row 1 with 0.0; the optimum pairs (0,1) and (1,0)
    assert assign([[0.9, 0.8], [0.85, 0.0]]) == [(0, 1), (1, 0)]
    assert assign([[0.5, 0.2, 0.1]]) == [(0, 0)]
    assert assign([]) == []


def _brute_force_best(matrix: list[list[float]]) -> float:
    rows, cols = len(matrix), len(matrix[0])
    if rows <= cols:
        return max(sum(matrix[i][p[i]] for i in range(rows)) for p in itertools.permutations(range(cols), rows))
    return max(sum(matrix[p[j]][j] for j in range(cols)) for p in itertools.permutations(range(rows), cols))


@pytest.mark.parametrize("values", ["continuous", "ties", "sparse"])
def test_assignment_reaches_the_brute_force_optimum_on_random_matrices(values: str) -> None:
    rng = random.Random(f"assign-{values}")
    for _ in range(700):
        rows, cols = rng.randint(1, 6), rng.randint(1, 6)
        if values == "continuous":
            matrix = [[rng.random() for _ in range(cols)] for _ in range(rows)]
        elif values == "ties":  # few distinct values: many optima
            matrix = [[rng.choice([0.0, 0.25, 0.3, 0.5, 0.5, 1.0]) for _ in range(cols)] for _ in range(rows)]
        else:  # like the eval: most pairs ruled out by hard constraints (0.0)
            matrix = [[round(rng.random(), 2) if rng.random() < 0.3 else 0.0 for _ in range(cols)] for _ in range(rows)]
        pairs = assign(matrix)
        assert len(pairs) == min(rows, cols) and pairs == sorted(pairs)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        assert all(0 <= i < rows and 0 <= j < cols for i, j in pairs)
        assert sum(matrix[i][j] for i, j in pairs) == pytest.approx(_brute_force_best(matrix), abs=1e-9), matrix


def test_optional_gold_is_neither_rewarded_nor_penalised() -> None:
    golds = [item("arms deliveries to Ukraine"), item("humanitarian corridors opened", optional=True),
             item("sanctions on Russian banks", optional=True)]  # fmt: skip
    preds = [item("arms deliveries to Ukraine"), item("humanitarian corridors opened")]
    c = count(align(preds, golds), golds)
    assert (c.tp, c.fp, c.fn) == (1, 0, 0)


def test_both_empty_is_perfect_and_all_wrong_is_zero() -> None:
    assert Scores.of(Counts()).f1 == 1.0
    assert Scores.of(Counts(tp=0, fp=2, fn=0)).f1 == 0.0
    assert Scores.of(Counts(tp=0, fp=0, fn=3)).model_dump() == {"tp": 0, "fp": 0, "fn": 3, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert Scores.of(Counts(tp=2, fp=1, fn=1)).f1 == round(4 / 6, 4)


def test_unrelated_items_stay_unmatched() -> None:
    alignment = align([item("pipeline to Italy")], [item("ceasefire in Gaza")])
    assert alignment.pairs == [] and alignment.spurious == [0] and alignment.missed == [0]
