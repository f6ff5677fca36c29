"""Gold: hand-labelled reference items for one article, and the linter that proves them grounded.

A gold file (``evals/gold/ID.yaml``) has the fields of schema v1 with evidence as quote strings, plus
``article:`` (path relative to the gold file) and, per item, ``optional: true`` for items a careful
labeller would accept either way. ``Aliases`` map alias → canonical actor name, case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from summarizer.errors import InputError
from summarizer.grounding import locate
from summarizer.schema import CATEGORIES, CATEGORY, Actor, Draft

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: ~10x faster


@dataclass(frozen=True)
class Gold:
    id: str
    path: Path
    article_path: Path
    article_text: str
    draft: Draft  # the labelled items, validated against the draft schema
    optional: dict[str, list[bool]]  # per category, per item


@dataclass
class Aliases:
    table: dict[str, str] = field(default_factory=dict)  # casefolded alias -> canonical

    def canonical(self, name: str | None) -> str:
        if not name:
            return ""
        key = name.strip().casefold()
        return self.table.get(key, key).casefold()


def load_aliases(path: Path | None) -> Aliases:
    if path is None or not path.exists():
        return Aliases()
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"cannot read aliases {path}: {e}") from e
    if not isinstance(raw, dict):
        raise InputError(f"{path}: aliases must be a mapping of alias: canonical name")
    return Aliases({str(k).strip().casefold(): str(v).strip() for k, v in raw.items()})


def load_gold(path: Path) -> Gold:
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"cannot read gold file {path}: {e}") from e
    if not isinstance(raw, dict) or "article" not in raw:
        raise InputError(f"{path}: a gold file is a mapping with an 'article:' path")
    article_path = (path.parent / str(raw.pop("article"))).resolve()
    try:
        article_text = article_path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: article {article_path} cannot be read") from e
    optional: dict[str, list[bool]] = {}
    for category in CATEGORIES:
        items = raw.setdefault(category, []) or []
        raw[category] = items
        optional[category] = [bool(item.pop("optional", False)) for item in items]
    try:
        draft = Draft.model_validate(raw)
    except Exception as e:
        raise InputError(f"{path}: not in the gold format: {' '.join(str(e).split())[:300]}") from e
    return Gold(path.stem, path, article_path, article_text, draft, optional)


def gold_files(gold_dir: Path) -> list[Path]:
    if not gold_dir.is_dir():
        raise InputError(f"gold directory not found: {gold_dir}")
    return sorted(gold_dir.glob("*.yaml"))


def lint(gold: Gold, aliases: Aliases) -> list[str]:
    """Problems in one gold file: quotes that are not in the article, references that do not resolve."""
    problems: list[str] = []
    known = {aliases.canonical(a.name) for a in gold.draft.actors}
    for category in CATEGORIES:
        for i, item in enumerate(getattr(gold.draft, category)):
            for quote in item.evidence:
                span = locate(quote, gold.article_text)
                if span is None or span.match != "exact":
                    problems.append(f"{gold.id}: {category}[{i}] quote is not verbatim in the article: {quote!r}")
            for fld, name in CATEGORY[category].names(item):
                if aliases.canonical(name) not in known:
                    problems.append(f"{gold.id}: {category}[{i}].{fld} {name!r} is not in actors")
    return problems


def sides(actors: list[Actor], aliases: Aliases) -> dict[str, set[str]]:
    """Canonical name -> the canonical names counted as the same side (a person and whom they speak for)."""
    out: dict[str, set[str]] = {}
    for actor in actors:
        name = aliases.canonical(actor.name)
        side = {name}
        if actor.affiliation:
            side.add(aliases.canonical(actor.affiliation))
        out.setdefault(name, set()).update(side)
    return out
