"""Data shipped with the package: the price table (``prices.json``) and the models' core schemas and
JSON Schemas as pydantic makes them (``core_schemas.json``, see ``summarizer.snapshots``)."""
