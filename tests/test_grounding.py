from pathlib import Path

import pytest

from summarizer.grounding import FUZZY_MIN_CHARS, locate, normalize

ARTICLE = (
    "NATO Secretary General Jens Stoltenberg has spoken out.\n"
    "“NATO’s policy remains unchanged: we will not participate in this conflict,” he said.\n"
    "Kyiv was urging its European allies — and others – to act…  quickly.\n"
    "The UK and Ukraine signed a deal."
)


def span_text(quote: str) -> tuple[str, str] | None:
    span = locate(quote, ARTICLE)
    return None if span is None else (ARTICLE[span.start : span.end], span.match)


def test_exact_quote_is_located_at_its_offsets() -> None:
    span = locate("we will not participate", ARTICLE)
    assert span is not None and span.match == "exact"
    assert ARTICLE[span.start : span.end] == "we will not participate"


@pytest.mark.parametrize(
    ("quote", "located"),
    [
        ("nato secretary general JENS STOLTENBERG", "NATO Secretary General Jens Stoltenberg"),  # case
        ("has   spoken\nout", "has spoken out"),  # white space
        ("NATO's policy remains unchanged", "NATO’s policy remains unchanged"),  # apostrophe
        ('"NATO\'s policy remains unchanged', "NATO’s policy remains unchanged"),  # wrapping quote mark trimmed
        ("European allies - and others - to act", "European allies — and others – to act"),  # dashes
        ("to act... quickly", "to act…  quickly"),  # ellipsis and double space
        ("…we will not participate in this conflict…", "we will not participate in this conflict"),
    ],
)
def test_normalized_quote_maps_back_to_original_text(quote: str, located: str) -> None:
    assert span_text(quote) == (located, "normalized")


def test_lightly_paraphrased_long_quote_is_located_fuzzily_on_whole_words() -> None:
    found = span_text("Kyiv was urging its European allies - and other - to act")
    assert found is not None and found[1] == "fuzzy"
    assert found[0].startswith("Kyiv was urging its European allies")


def test_negation_flip_is_never_grounded() -> None:
    assert locate("NATO's policy remains unchanged: we will participate in this conflict", ARTICLE) is None


def test_uk_is_not_found_inside_ukraine() -> None:
    assert span_text("uk") == ("UK", "normalized")
    assert locate("UKR", ARTICLE) is None


def test_quote_not_in_text_returns_none() -> None:
    assert locate("Poland will deploy troops to Romania next week", ARTICLE) is None
    assert locate("", ARTICLE) is None
    assert locate("   ", ARTICLE) is None


def test_short_quotes_are_never_matched_fuzzily() -> None:
    assert locate("Jens Stoltenbrg", ARTICLE) is None


def test_normalize_keeps_an_index_into_the_source() -> None:
    text, index = normalize("A  “B”—c…")
    assert text == 'a "b"-c...'
    assert [index[i] for i in range(len(text))] == [0, 1, 3, 4, 5, 6, 7, 8, 8, 8]


def test_a_normalised_quote_keeps_its_closing_punctuation_when_the_article_has_it() -> None:
    article = "NATO said: “We will NOT participate in this conflict.” Then it left."
    span = locate("We will not participate in this conflict.", article)
    assert span is not None and span.match == "normalized"
    assert article[span.start : span.end] == "We will NOT participate in this conflict."
    span = locate('We will not participate in this conflict."', article)  # a straight closing quote
    assert span is not None and article[span.start : span.end] == "We will NOT participate in this conflict.”"


def test_a_span_never_takes_punctuation_the_quote_lacks_or_the_article_lacks() -> None:
    article = "NATO said we will NOT participate in this conflict, then left."
    span = locate("we will not participate in this conflict", article)
    assert span is not None and article[span.start : span.end] == "we will NOT participate in this conflict"
    span = locate("we will not participate in this conflict.", article)  # the article has a comma there
    assert span is not None and article[span.start : span.end] == "we will NOT participate in this conflict"


def test_a_fuzzy_quote_keeps_its_closing_period() -> None:
    article = "The minister said the government would raise the budget for schools next year. Critics objected."
    span = locate("the government would raise the budget for school next year.", article)
    assert span is not None and span.match == "fuzzy"
    assert article[span.start : span.end].endswith("next year.")


@pytest.mark.parametrize("negated", ["didn't", "can't", "doesn't", "won't", "does not"])
def test_contracted_negations_block_a_fuzzy_match(negated: str) -> None:
    article = f"Officials said Ukraine {negated} agree to join the talks next week in Geneva, citing security."
    assert locate("Ukraine did agree to join the talks next week in Geneva, citing security", article) is None


def test_an_exact_quote_must_be_whole_words() -> None:
    assert locate("UK", "UKRAINE said no.") is None
    span = locate("UK", "The UK said no.")
    assert span is not None and (span.start, span.end, span.match) == (4, 6, "exact")


SEED_TEXT = (Path(__file__).resolve().parent.parent / "seeds" / "nato_rejects_missile_interception.txt").read_text()


@pytest.mark.parametrize(
    ("quote", "located"),
    [
        # the aligner leaves out the first letter; the span still starts at the quote's first word
        ("Stoltenberg stresed that the North Atlantic Alliance troops should not directly participate",
         "Stoltenberg stressed that the North Atlantic Alliance troops should not directly participate"),
        # a quote cut inside its first and last words is widened to whole words
        ("tressed that the North Atlantic Alliance troops should not directly participat",
         "stressed that the North Atlantic Alliance troops should not directly participate"),
        # a word left out of the quote: its last word falls outside the aligned window
        ("NATO Secretary General Jens Stoltenberg spoken out",
         "NATO Secretary General Jens Stoltenberg has spoken out"),
        ("Jens Stoltenberg has spoken against the idea", "Jens Stoltenberg has spoken out against the idea"),
        # ... or its first word does
        ("Jens Stoltenberg has spoken against the idea of shooting down Russian",
         "Jens Stoltenberg has spoken out against the idea of shooting down Russian"),
        ("a no-fly zone in west Ukraine by deploying air defense systems",
         "a no-fly zone in western Ukraine by deploying air defense systems"),
        # ... or both
        ("of shooting down Russian missiles towards Poland over Ukraine. During an",
         "of shooting down Russian missiles flying towards Poland over Ukraine. During an"),
        # the aligned window starts at a space
        ("Stoltenberg stressed that the North Atlantic Alliance troopss should not directly participate",
         "Stoltenberg stressed that the North Atlantic Alliance troops should not directly participate"),
        ("the France Presse agency reports, citing Ukrainian officials",
         "the France Presse agency reported, citing Ukrainian officials"),
        ("This proposal aimed to provide buffer against Russian missile attacks",
         "This proposal aimed to provide a buffer against Russian missile attacks"),
        # a quote cut right after the first letter of its last word
        ("Stoltenberg stressed that the North Atlantic Alliance troops should not directly p",
         "Stoltenberg stressed that the North Atlantic Alliance troops should not directly participate"),
        # across a sentence end, with the next sentence's first words paraphrased
        ("Russian missiles flying towards Poland over Ukraine. In an interview",
         "Russian missiles flying towards Poland over Ukraine. During an interview"),
        # a last word the passage lacks is not looked for further on in the article
        ("NATO Secretary General Jens Stoltenberg has spoken out against the idea of Ukraine",
         "NATO Secretary General Jens Stoltenberg has spoken out against the idea of"),
        # a first word the passage lacks ("NATO" for "North Atlantic Alliance") does not pull the span back to an
        # earlier mention of it, and a last word the article lacks is left out
        ("NATO troops should not directly participate in the Ukrainian conflict",
         "Alliance troops should not directly participate in the Ukrainian conflict"),
        ("NATO Secretary General Jens Stoltenberg has spoken out firmly",
         "NATO Secretary General Jens Stoltenberg has spoken out"),
        # "won’t" is "will not": the same negation, so the paraphrase grounds
        ("NATO’s policy remains unchanged: we won’t participate in this conflict",
         "NATO’s policy remains unchanged: we will not participate in this conflict"),
    ],
)  # fmt: skip
def test_a_paraphrased_quote_is_located_on_the_whole_words_of_its_passage(quote: str, located: str) -> None:
    span = locate(quote, SEED_TEXT)
    assert span is not None and (SEED_TEXT[span.start : span.end], span.match) == (located, "fuzzy")


def test_a_fuzzy_span_may_start_and_end_with_the_article() -> None:
    article = "Kyiv was urging its European allies to create a no-fly zone in western Ukraine"
    span = locate("yiv was urging its European allies to create a no-fly zone in western Ukrain", article)
    assert span is not None and (span.start, span.end, span.match) == (0, len(article), "fuzzy")


def test_a_fuzzy_quote_keeps_the_question_mark_it_ends_with() -> None:
    article = "Reporters asked whether NATO would ever send its own troops into Ukraine? He declined."
    span = locate("whether NATO would ever send its own troop into Ukraine?", article)
    assert span is not None and span.match == "fuzzy"
    assert article[span.start : span.end] == "whether NATO would ever send its own troops into Ukraine?"


def test_a_quote_of_exactly_the_minimum_length_may_be_matched_fuzzily() -> None:
    article = "Officials in Warsaw said the air defence plan was ready."
    quote = "the air defense plan was"  # "defence" in the article
    assert len(quote) == FUZZY_MIN_CHARS and quote not in article
    span = locate(quote, article)
    assert span is not None and span.match == "fuzzy"
    assert article[span.start : span.end] == "the air defence plan was"
    assert locate(quote[4:].replace("defense", "defenses"), article) is None  # shorter than the minimum


@pytest.mark.parametrize(
    ("quote", "article"),
    [
        ("Ukraine did not agree to join the talks next week in Geneva, citing security",
         "Officials said Ukraine didn't agree to join the talks next week in Geneva, citing security."),
        ("Ukraine didn't agree to join the talks next week in Geneva, citing security",
         "Officials said Ukraine did not agree to join the talks next week in Geneva, citing security."),
        ("Ukraine will not agree to join the talks next week in Geneva, citing security",
         "Officials said Ukraine won't agree to join the talks next week in Geneva, citing security."),
    ],
)  # fmt: skip
def test_a_spelled_out_negation_grounds_on_its_contraction_and_back(quote: str, article: str) -> None:
    span = locate(quote, article)
    assert span is not None and span.match == "fuzzy"


@pytest.mark.parametrize(
    ("quote", "article"),
    [
        ("Ukraine will never agree to join the talks next week in Geneva, citing security",
         "Officials said Ukraine will not agree to join the talks next week in Geneva, citing security."),
        ("Ukraine will not agree to join the talks next week in Geneva, citing security",
         "Officials said Ukraine will never agree to join the talks next week in Geneva, citing security."),
        ("Ukraine agreed to join the talks next week in Geneva, citing its own security",
         "Officials said Ukraine refused to join the talks next week in Geneva, citing its own security."),
        ("the government accepted the proposal for talks next week in Geneva",
         "Officials said the government rejected the proposal for talks next week in Geneva."),
    ],
)  # fmt: skip
def test_a_different_negation_is_a_different_claim(quote: str, article: str) -> None:
    assert locate(quote, article) is None


PARAPHRASE = "Kyiv did agree to join the talks next week in Geneva, citing security"  # the article says "Ukraine"


@pytest.mark.parametrize("before", ["He said no and", "No, but", "No. A", "He said no, a"])
def test_a_negation_within_three_words_before_a_paraphrase_counts(before: str) -> None:
    article = f"{before} Ukraine did agree to join the talks next week in Geneva, citing security."
    assert locate(PARAPHRASE, article) is None


@pytest.mark.parametrize("before", ["He said no, but later", "He said no to a", "Not so, a", "No, said a source, so"])
def test_a_negation_further_back_does_not(before: str) -> None:
    article = f"{before} Ukraine did agree to join the talks next week in Geneva, citing security."
    span = locate(PARAPHRASE, article)
    assert span is not None and article[span.start :].startswith("did agree to join the talks")


@pytest.mark.parametrize("before", ["He said no.", "No.", "They said no, no. Then"])
def test_a_negation_before_a_quote_whose_first_word_is_found_does_not_count(before: str) -> None:
    article = f"{before} Ukraine did agree to join the talks next week in Geneva, citing security."
    span = locate("Ukraine did agree to join talks next week in Geneva, citing security", article)
    assert span is not None and span.match == "fuzzy"
    assert article[span.start : span.end] == "Ukraine did agree to join the talks next week in Geneva, citing security"


@pytest.mark.parametrize(
    ("quote", "article", "located"),
    [
        ("NATO", "NATO said no", "NATO"),  # at the very start of an article that ends in a letter
        ("no", "The UK said no", "no"),  # at the very end
        ("I", "Then I said no.", "I"),  # one letter
        ("Plan B", "They rejected Plan B.", "Plan B"),
        ("’s policy remains unchanged", "NATO’s policy remains unchanged.", "’s policy remains unchanged"),
    ],
)  # fmt: skip
def test_an_exact_quote_of_whole_words_is_found_anywhere(quote: str, article: str, located: str) -> None:
    span = locate(quote, article)
    assert span is not None and (article[span.start : span.end], span.match) == (located, "exact")


@pytest.mark.parametrize(
    ("quote", "article"),
    [("kraine", "Ukraine said no."), ("U.S. troop", "U.S. troops arrived."), ("Plan B", "They rejected Plan Bravo."),
     ("  ", "A  B")],
)  # fmt: skip
def test_a_quote_that_starts_or_ends_inside_a_word_is_not_found(quote: str, article: str) -> None:
    assert locate(quote, article) is None


def test_the_first_whole_word_occurrence_is_the_one_located() -> None:
    span = locate("UK", "UKRAINE and the UK and the UK")
    assert span is not None and (span.start, span.end) == (16, 18)


def test_a_closing_period_beyond_the_end_of_the_article_is_not_taken() -> None:
    article = "NATO said we will NOT participate in this conflict"
    span = locate("we will not participate in this conflict.", article)
    assert span is not None and (span.end, span.match) == (len(article), "normalized")


def test_a_span_never_ends_with_the_white_space_a_quote_trails() -> None:
    article = "NATO said we will NOT participate in this conflict. Then it left."
    span = locate("we will not participate in this conflict. ", article)
    assert span is not None and article[span.start : span.end] == "we will NOT participate in this conflict."


def test_a_paraphrase_scoring_the_threshold_grounds_and_one_just_below_does_not() -> None:
    at = locate("Kyiv was urging its European allies to set up a no-fly zone over western Ukraine", SEED_TEXT)  # 90.0
    assert at is not None and at.match == "fuzzy"
    assert SEED_TEXT[at.start : at.end].startswith("Kyiv was urging its European allies to create a no-fly zone")
    assert locate("NATO would continue to provide substantial military aid to Kyiv", SEED_TEXT) is None  # 88.9
