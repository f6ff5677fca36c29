"""Gold: hand-labelled reference items for one article, and the linter that proves them grounded.

A gold file (``evals/gold/ID.yaml``) has the fields of schema v1 with evidence as quote strings, plus
``article:`` (path relative to the gold file) and, per item, ``optional: true`` for items a careful
labeller would accept either way. ``Aliases`` map alias → canonical actor name, case-insensitively.

Gold and alias files are read defensively, since a hand-written file can be broken and a downloaded
one hostile: at most ``MAX_YAML_BYTES``; YAML aliases (``*name``) are refused, so a "billion laughs"
file cannot expand (gold needs none); duplicate keys are refused rather than silently overwritten;
and the data is validated by the models of ``gold_format`` (through their snapshots: no pydantic import),
whose first error becomes a one-line ``InputError`` naming the file and the field (``positions[0].evidence``).

An ``article:`` must stay inside the *project tree* (``project_tree``): the nearest of the gold
directory and its ancestors that holds ``pyproject.toml`` or ``.git``, else the gold directory's
parent. So ``../articles/X.txt`` and ``../../seeds/X.txt`` from ``evals/gold`` are fine, while an
absolute path or one climbing out of the repository is refused before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from summarizer.categories import CATEGORIES, CATEGORY
from summarizer.errors import InputError
from summarizer.evaluation.gold_format import ALIASES, GOLD_FILE, empty_lists, labels
from summarizer.grounding import locate
from summarizer.snapshots import DRAFT, Invalid, location

if TYPE_CHECKING:
    from summarizer.schema import Actor, Draft

try:  # libyaml when the wheel has it: ~10x faster than the pure-Python loader
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAX_YAML_BYTES = 2_000_000
_STR = "tag:yaml.org,2002:str"
What = Literal["gold file", "aliases"]
HINTS: dict[What, str] = {
    "gold file": "a gold file holds article:, summary:, actors: and the item lists of schema v1, as in evals/gold/",
    "aliases": "the aliases file is a mapping of alias: canonical name, both plain strings",
}


class StrictLoader(_SafeLoader):
    """The safe loader without aliases and duplicate keys. An alias makes the composer reuse the
    anchored node, so constructing any node a second time means an alias: refused at once, before
    anything could expand. (libyaml itself caps nesting depth.)"""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed; write the value out", node.start_mark
            )
        if node.tag == _STR and type(node) is yaml.ScalarNode:  # most nodes: the string as it stands, as
            self.constructed_objects[node] = node.value  # the safe constructor makes it (and remembered, so
            return node.value  # a second use is an alias), without its dispatch (a fifth of loading gold)
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if (key.tag, key.value) in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key.value!r}", key.start_mark)
                seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep)


def _one_line(path: Path, what: What, error: Invalid) -> InputError:
    errors = error.errors
    first = errors[0]
    got = f" (got {type(first['input']).__name__})" if first["type"].endswith("_type") else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    where = location(first["loc"])
    return InputError(f"{path}: {where + ': ' if where else ''}{first['msg']}{got}{more}", hint=HINTS[what])


def read_yaml(path: Path, what: What) -> Any:
    """The data in the YAML file ``path`` (a ``what``: "gold file", "aliases"), read with
    ``StrictLoader`` and at most ``MAX_YAML_BYTES``; one-line ``InputError`` when it cannot be."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror or e}", hint=HINTS[what]) from e
    if len(data) > MAX_YAML_BYTES:
        raise InputError(f"{path}: {what} is larger than {MAX_YAML_BYTES:,} bytes", hint=HINTS[what])
    try:
        return yaml.load(data.decode("utf-8-sig"), Loader=StrictLoader)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: {what} is not valid UTF-8 (byte {e.start})", hint=HINTS[what]) from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(e.problem or e.context).split())
        raise InputError(f"{path}: {where}{problem}", hint=HINTS[what]) from e
    except (yaml.YAMLError, RecursionError) as e:
        raise InputError(f"{path}: not valid YAML: {' '.join(str(e).split())[:200]}", hint=HINTS[what]) from e


@dataclass(frozen=True)
class Gold:
    id: str
    path: Path
    article_path: Path
    article_text: str
    draft: Draft  # the labelled items, validated against the draft schema (a snapshot record of it, see snapshots)
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
    raw = read_yaml(path, "aliases")
    if raw is None:
        return Aliases()
    if not isinstance(raw, dict):
        raise InputError(f"{path}: aliases must be a mapping, not a {type(raw).__name__}", hint=HINTS["aliases"])
    try:
        table: dict[str, str] = ALIASES.validate_python(raw)
    except Invalid as e:
        raise _one_line(path, "aliases", e) from e
    return Aliases({k.strip().casefold(): v.strip() for k, v in table.items()})


def project_tree(gold_dir: Path) -> Path:
    """The folder gold articles must stay in: the nearest of ``gold_dir`` (resolved) and its ancestors
    holding ``pyproject.toml`` or ``.git`` (the repository root), else ``gold_dir``'s parent."""
    start = gold_dir.resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").exists() or (folder / ".git").exists():
            return folder
    return start.parent


def article_path(gold_path: Path, article: str) -> Path:
    """Where a gold file's ``article:`` points (resolved); an ``InputError`` when outside the project tree."""
    tree = project_tree(gold_path.parent)
    try:
        resolved = (gold_path.parent / article).resolve()
    except (OSError, ValueError) as e:  # NUL characters, symlink loops
        raise InputError(f"{gold_path}: article: {article!r} is not a usable path: {e}", hint=HINTS["gold file"]) from e
    if not resolved.is_relative_to(tree):
        raise InputError(
            f"{gold_path}: article: {article!r} is outside the project tree {tree}",
            hint="gold articles must live in the repository that holds the gold directory",
        )
    return resolved


def load_gold(path: Path) -> Gold:
    raw = read_yaml(path, "gold file")
    if not isinstance(raw, dict):
        what = "empty" if raw is None else f"a {type(raw).__name__}"
        raise InputError(
            f"{path}: a gold file is a mapping with an 'article:' path, not {what}", hint=HINTS["gold file"]
        )
    try:
        raw = empty_lists(raw)
        gold = GOLD_FILE.validate_python(raw)
    except Invalid as e:
        raise _one_line(path, "gold file", e) from e
    where = article_path(path, gold.article)
    try:
        article_text = where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(
            f"{path}: article {where} cannot be read", hint="article: is a UTF-8 text file, relative to the gold file"
        ) from e
    draft = DRAFT.validate_python(labels(raw))
    optional = {category: [item.optional for item in getattr(gold, category)] for category in CATEGORIES}
    return Gold(path.stem, path, where, article_text, draft, optional)


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


DEFAULT_GOLD = Path("evals/gold")
DEFAULT_ALIASES = Path("evals/aliases.yaml")
DEFAULT_RECORDINGS = Path("evals/recordings")


def default_path(given: str | None, default: Path, option: str, start: Path | None = None) -> Path:
    """``given`` when the user passed it; else ``default`` under the nearest folder, from ``start`` (the
    current one) upwards, that has an ``evals/gold`` folder: eval works from anywhere inside a project.
    Outside one, a clear error names the missing path and the option that supplies it."""
    if given is not None:
        return Path(given)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_GOLD).is_dir():
            return folder / default
    raise InputError(
        f"{default} not found in {here} or any folder above it",
        hint=f"run inside a project with {DEFAULT_GOLD}/, or pass {option}",
    )
