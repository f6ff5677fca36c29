"""Pure matching functions on hand-built pairs, and the assignment against brute force."""

import itertools
import random
from dataclasses import asdict

import pytest

from summarizer.evaluation.matching import (
    NEGATION_PENALTY,
    THRESHOLD,
    Counts,
    Item,
    Role,
    align,
    assign,
    count,
    differences,
    evidence_overlap,
    similarity,
    span_agreement,
    text_similarity,
)
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
    assert asdict(Scores.of(Counts(tp=0, fp=0, fn=3))) == {"tp": 0, "fp": 0, "fn": 3, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert Scores.of(Counts(tp=2, fp=1, fn=1)).f1 == round(4 / 6, 4)


def test_unrelated_items_stay_unmatched() -> None:
    alignment = align([item("pipeline to Italy")], [item("ceasefire in Gaza")])
    assert alignment.pairs == [] and alignment.spurious == [0] and alignment.missed == [0]


def test_curly_and_straight_apostrophes_are_the_same_word() -> None:
    assert text_similarity("NATO’s air defence", "NATO's air defence") == 1.0


@pytest.mark.parametrize("negated", ["NATO doesn’t participate", "NATO doesn't participate", "NATO does not participate"])
def test_a_contracted_negation_is_a_negation_whatever_its_apostrophe(negated: str) -> None:
    assert text_similarity(negated, "NATO does participate") == NEGATION_PENALTY  # same words, one side negated


def test_words_sharing_their_first_six_letters_are_one_word() -> None:
    assert text_similarity("aid to Ukraine", "Ukrainian aid") == 1.0
    assert text_similarity("air defence systems", "air defence systematically") == 1.0


def test_similarity_is_the_dice_coefficient_of_content_words() -> None:
    assert text_similarity("the defence of Poland", "defence Poland") == 1.0  # stop words do not count
    assert text_similarity("air defence for Poland", "air defence for Romania") == pytest.approx(2 * 2 / (3 + 3))
    assert text_similarity("missiles over Poland", "drones over Romania") == 0.0


def test_a_text_without_content_words_matches_nothing() -> None:
    assert text_similarity("", "aid to Ukraine") == 0.0
    assert text_similarity("it is all it was", "it is all it was") == 0.0  # stop words only
    assert similarity(item("it is"), item("it is")) == 0.0


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ([(150, 170)], [(100, 200)], 1.0),  # the shorter span inside the longer
        ([(100, 200)], [(150, 170)], 1.0),
        ([(100, 200)], [(150, 250)], 0.5),  # 50 shared characters of the shorter 100
        ([(0, 4)], [(3, 10)], 0.25),  # one shared character of 4
        ([(5, 6)], [(0, 10)], 1.0),  # a one-character span inside another
        ([(0, 10)], [(10, 20)], 0.0),  # touching is not overlapping
        ([(0, 10), (100, 110)], [(105, 120)], 0.5),  # the best pair counts
        ([], [(0, 10)], 0.0),
    ],
)
def test_evidence_overlap_is_shared_characters_over_the_shorter_span(a, b, overlap: float) -> None:
    assert evidence_overlap(a, b) == overlap


def test_similarity_is_half_text_and_half_evidence() -> None:
    same_place, elsewhere = ((100, 200),), ((500, 600),)
    gold = item("missiles Poland", spans=same_place)
    assert similarity(item("missiles Romania", spans=same_place), gold) == 0.5 * 0.5 + 0.5 * 1.0
    assert similarity(item("missiles Romania", spans=elsewhere), gold) == 0.5 * 0.5
    assert similarity(item("missiles Poland", spans=elsewhere), gold) == 0.5


def test_conditional_support_is_support_and_never_matches_opposition() -> None:
    assert similarity(item("shooting down missiles", stance="conditional"), item("shooting down missiles", stance="oppose")) == 0.0
    assert similarity(item("shooting down missiles", stance="oppose"), item("shooting down missiles", stance="conditional")) == 0.0


@pytest.mark.parametrize("gold_stance", ["considering", "neutral", "an unknown stance"])
@pytest.mark.parametrize("pred_stance", ["support", "oppose", "conditional", "considering", "an unknown stance"])
def test_a_stance_without_polarity_matches_any_stance(pred_stance: str, gold_stance: str) -> None:
    pred, gold = item("shooting down missiles", stance=pred_stance), item("shooting down missiles", stance=gold_stance)
    assert similarity(pred, gold) == similarity(gold, pred) == 1.0


def test_an_item_without_actor_roles_is_held_to_no_actor() -> None:
    assert similarity(item("send air defence", actors=()), item("send air defence", actors=(UKRAINE,))) == 1.0


def test_a_pair_scoring_exactly_the_threshold_is_matched_and_one_below_is_not() -> None:
    gold = item("alpha bravo charlie delta echo", spans=((0, 10),))
    at = item("alpha bravo charlie foxtrot golf", spans=((50, 60),))  # Dice 0.6, no overlap: 0.3
    below = item("alpha bravo charlie foxtrot golf hotel", spans=((50, 60),))  # Dice 6/11: 0.27
    assert similarity(at, gold) == THRESHOLD == 0.3
    assert align([at], [gold]).pairs == [(0, 0, 0.3)]
    assert align([below], [gold]).pairs == []


def test_predictions_without_gold_are_spurious_and_gold_without_predictions_missed() -> None:
    alignment = align([item("pipeline to Italy"), item("ceasefire in Gaza")], [])
    assert (alignment.pairs, alignment.spurious, alignment.missed) == ([], [0, 1], [])
    alignment = align([], [item("pipeline to Italy")])
    assert (alignment.pairs, alignment.spurious, alignment.missed) == ([], [], [0])
    assert assign([[], []]) == []


def test_counts_are_matched_unmatched_and_missed_gold() -> None:
    golds = [item("arms deliveries to Ukraine"), item("sanctions on Russian banks"), item("ceasefire in Gaza"),
             item("humanitarian corridors opened", optional=True), item("pipeline to Italy", optional=True)]  # fmt: skip
    preds = [item("arms deliveries to Ukraine"), item("grain exports from Odesa"), item("humanitarian corridors opened"),
             item("sanctions on Russian banks")]  # fmt: skip
    c = count(align(preds, golds), golds)
    assert (c.tp, c.fp, c.fn) == (2, 1, 1)  # optional gold matched: no tp; optional gold missed: no fn


def test_counts_add_up() -> None:
    total = Counts(tp=1, fp=2, fn=3)
    total += Counts(tp=10, fp=20, fn=30)
    assert (total.tp, total.fp, total.fn) == (11, 22, 33)


@pytest.mark.parametrize("value", [0.0, 0.3, 0.5, 1.0])
def test_equally_good_pairs_are_taken_in_order(value: float) -> None:
    # identical predictions against identical gold items pair first with first: a stable report
    for rows in range(1, 7):
        for cols in range(1, 7):
            assert assign([[value] * cols for _ in range(rows)]) == [(i, i) for i in range(min(rows, cols))]


# --------------------------------------------------------------------------- field-level detail


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
