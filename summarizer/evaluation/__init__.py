"""Evaluation: scoring summaries against hand-labelled gold (see ``summarizer eval``).

Nouns: a *gold* file holds the reference items for one article (its format: ``gold_format``); an
*alias* table maps actor names to canonical ones; *matching* pairs predicted with gold items one-to-one; *metrics* count and average;
a *report* is the typed, versioned result of one run (``report``), written as JSON and rendered as text
or Markdown (``views``) or as a navigable HTML page (``html_report``); the *gate* judges a report against
a baseline report (``gate``).
"""
