"""The gold file format as pydantic models, and the adapters that validate it (``summarizer.snapshots``).

A gold file has the fields of schema v1's draft with evidence as quote strings, plus ``article:`` (a
string) and, per item, ``optional: bool = False`` (strict: ``"yes"`` is an error); unknown keys are
errors. An item list left empty (``risks:`` with nothing under it) is read as ``[]`` before validation
(``empty_lists``), so the models need no validator function and can be snapshotted. An aliases file is
a mapping of strings to strings.

The models are built only when a snapshot is stale (or to write one): ``eval --lint`` and
``eval --predictions`` validate gold without importing pydantic.
"""

from __future__ import annotations

from typing import Any

from summarizer.categories import CATEGORIES
from summarizer.snapshots import Adapter


def empty_lists(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with each item list written as nothing (None) made ``[]``."""
    return {key: [] if value is None and key in CATEGORIES else value for key, value in raw.items()}


def labels(raw: dict[str, Any]) -> dict[str, Any]:
    """The draft a gold file labels: ``raw`` (a valid gold file, lists made ``[]``) without ``article:``
    and the items' ``optional:`` flags, with every item list (a list left out is empty)."""
    out = {key: value for key, value in raw.items() if key != "article"}
    for category in CATEGORIES:
        out[category] = [{k: v for k, v in item.items() if k != "optional"} for item in raw.get(category, [])]
    return out


def gold_file_model() -> Any:
    """``GoldFile``: ``article:`` plus the draft's fields, each item with ``optional: bool = False``."""
    from typing import get_args

    from pydantic import ConfigDict, StrictBool, StrictStr, create_model

    from summarizer.schema import Actor, Draft

    def item(category: str) -> Any:
        (draft_item,) = get_args(Draft.model_fields[category].annotation)
        name = draft_item.__name__.replace("Draft", "Gold")
        return create_model(name, __base__=draft_item, optional=(StrictBool, False))

    lists: dict[str, Any] = {category: (list[item(category)], []) for category in CATEGORIES}  # type: ignore[misc]
    return create_model(
        "GoldFile",
        __config__=ConfigDict(extra="forbid"),
        __doc__=gold_file_model.__doc__,
        article=(StrictStr, ...),
        summary=(str, ...),
        actors=(list[Actor], ...),
        **lists,
    )


def aliases_type() -> Any:
    return dict[str, str]


GOLD_FILE = Adapter("GoldFile", gold_file_model, ("schema.py", "categories.py", "evaluation/gold_format.py"))
ALIASES = Adapter("Aliases", aliases_type, ("evaluation/gold_format.py",))
