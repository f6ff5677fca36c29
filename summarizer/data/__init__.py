"""Data shipped with the package: the price table (``prices.json``) and the draft's JSON Schema as
pydantic makes it (``draft_schema.json``, see ``summarizer.prompting``)."""
