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


# --------------------------------------------------------------------------- field-level detail

from summarizer.evaluation.matching import Role, differences, span_agreement  # noqa: E402

BIDEN = frozenset({"joe biden", "united states"})  # a person and the state they speak for: one side
US = frozenset({"united states"})
POLAND = frozenset({"poland"})


def role(*names_sides: tuple[str, frozenset[str]], many: bool = False) -> Role:
    return Role(tuple(n for n, _ in names_sides), tuple(s for _, s in names_sides), many)


def test_roles_agree_by_side_in_both_directions() -> None:
    assert role(("Joe Biden", BIDEN)).agrees(role(("United States", US)))
    assert not role(("Poland", POLAND)).agrees(role(("United States", US)))
    both = role(("Poland", POLAND), ("United States", US), many=True)
    assert both.agrees(role(("United States", US), ("Poland", POLAND), many=True))  # order does not matter
    assert not both.agrees(role(("Poland", POLAND), many=True))  # one side short
    assert not role(("Poland", POLAND), many=True).agrees(both)  # and the other way round
    assert role(many=True).agrees(role(many=True))  # nobody on either side (raised_by: null)
    assert not role().agrees(role(("Poland", POLAND)))
    assert role(("Poland", POLAND)).value() == "Poland" and role().value() is None
    assert both.value() == ["Poland", "United States"] and role(many=True).value() == []


def test_differences_name_each_disagreeing_attribute_and_role_with_both_values() -> None:
    pred = Item("x", attributes={"status": "accepted", "support_type": "military"},
                roles={"proposer": role(("Joe Biden", BIDEN)), "addressees": role(("Poland", POLAND), many=True)})
    gold = Item("x", attributes={"status": "proposed", "support_type": "military"},
                roles={"proposer": role(("United States", US)), "addressees": role(many=True)})  # fmt: skip
    assert differences(pred, gold) == {"status": ("accepted", "proposed"), "addressees": (["Poland"], [])}
    assert differences(pred, pred) == {}


def test_span_agreement_is_shared_characters_over_characters_either_covers() -> None:
    assert span_agreement([(0, 10)], [(0, 10)]) == 1.0
    assert span_agreement([(0, 10)], [(5, 15)]) == 5 / 15
    assert span_agreement([(0, 10)], [(20, 30)]) == 0.0
    assert span_agreement([], [(0, 10)]) == 0.0 and span_agreement([], []) == 0.0
    # overlapping spans on one side are counted once: covered 0-15 against 0-10 → 10/15
    assert span_agreement([(0, 10), (5, 15)], [(0, 10)]) == 10 / 15
    # adjacent spans merge: 0-5 + 5-10 covers what 0-10 covers
    assert span_agreement([(0, 5), (5, 10)], [(0, 10)]) == 1.0
    assert span_agreement([(0, 4), (6, 10)], [(0, 10)]) == 8 / 10


def test_an_optional_prediction_nothing_matches_is_not_a_false_positive() -> None:
    golds = [item("NATO will send air defence")]
    preds = [item("NATO will send air defence"), item("Poland opens a border crossing", optional=True),
             item("Hungary blocks the sanctions package")]  # fmt: skip
    alignment = align(preds, golds)
    assert count(alignment, golds, preds) == Counts(tp=1, fp=1, fn=0)
    assert count(alignment, golds) == Counts(tp=1, fp=2, fn=0)  # without the flags: a model's predictions
