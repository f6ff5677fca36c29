import summarizer


def test_public_surface_is_pinned() -> None:
    assert summarizer.__all__ == ["ArticleSummary", "SummarizerError", "__version__", "asummarize", "summarize"]


def test_readme_python_example_names_exist() -> None:
    from summarizer.client import build_engine  # noqa: F401
    from summarizer.grounding import locate

    span = locate("will not participate", "We will not participate in this conflict.")
    assert span is not None and (span.start, span.end, span.match) == (3, 23, "exact")


def test_public_names_load_lazily_and_resolve() -> None:
    from summarizer.orchestrator import summarize as real

    assert summarizer.summarize is real
    assert summarizer.SummarizerError.__name__ == "SummarizerError"
