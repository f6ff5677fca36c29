"""Evaluation: scoring summaries against hand-labelled gold (see ``summarizer eval``).

Nouns: a *gold* file holds the reference items for one article; an *alias* table maps actor names to
canonical ones; *matching* pairs predicted with gold items one-to-one; *metrics* count and average;
a *report* is the versioned result of one run, rendered as text, JSON, Markdown or HTML.
"""
