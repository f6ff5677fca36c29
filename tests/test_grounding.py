import pytest

from summarizer.grounding import locate, normalize

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
