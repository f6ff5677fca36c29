"""Hostile or broken gold and alias files fail fast with one line naming the file and the field; gold
articles stay inside the project tree."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from summarizer.cli import main
from summarizer.errors import InputError
from summarizer.evaluation.gold import MAX_YAML_BYTES, load_aliases, load_gold, project_tree

GOOD = """\
article: ../articles/a.txt
summary: s
actors:
  - {name: NATO, type: organization, affiliation: null}
positions:
  - actor: NATO
    topic: t
    stance: oppose
    statement: s
    evidence: ["we will not participate in this conflict"]
"""
LAUGHS = "".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)),
    ]
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project tree: pyproject.toml, articles/a.txt and an empty gold/ directory."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("NATO’s policy remains unchanged: we will not participate in this conflict.")
    (tmp_path / "gold").mkdir()
    return tmp_path


def lint(project: Path, gold: str | None, aliases: str | None = None) -> int:
    if gold is not None:
        (project / "gold" / "g.yaml").write_text(gold, encoding="utf-8")
    alias_file = project / "aliases.yaml"
    if aliases is not None:
        alias_file.write_text(aliases, encoding="utf-8")
    return main(["eval", "--lint", "--gold", str(project / "gold"), "--aliases", str(alias_file)])


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_good_file_lints_clean(project: Path, capsys) -> None:
    assert lint(project, GOOD) == 0
    assert "1 gold files: 0 problem(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda g: g.split("positions:")[0] + "positions: 5\n", "positions"),
        (lambda g: g.split("positions:")[0] + 'positions: ["a string"]\n', "positions[0]"),
        (lambda g: g.replace('actors:\n  - {name: NATO, type: organization, affiliation: null}', "actors: {}"), "actors"),
        (lambda g: g + '    optional: "yes"\n', "positions[0].optional"),
        (lambda g: g.replace('evidence: ["we will not participate in this conflict"]', "evidence: 5"), "positions[0].evidence"),
        (lambda g: g.replace('evidence: ["we will not participate in this conflict"]', "evidence: [5]"), "positions[0].evidence[0]"),
        (lambda g: g.replace("stance: oppose", "stance: maybe"), "positions[0].stance"),
        (lambda g: g.replace("article: ../articles/a.txt", "article: 5"), "article"),
        (lambda g: g.replace("article: ../articles/a.txt\n", ""), "article"),
        (lambda g: g + "colour: red\n", "colour"),
        (lambda g: "- " + g.replace("\n", "\n  "), "mapping"),
        (lambda g: "", "empty"),
        (lambda g: g + "positions: []\n", "duplicate key 'positions'"),
        (lambda g: g + "risks: [unclosed\n", "line"),
        (lambda g: "x: " + "[" * 5000 + "]" * 5000 + "\n", "nesting depth"),
        (lambda g: "article: a\n" + "summary: " + "x" * MAX_YAML_BYTES + "\n", "larger than"),
    ],
)
def test_wrong_gold_is_one_line_naming_file_and_field_exit_2(project: Path, capsys, change, field: str) -> None:
    assert lint(project, change(GOOD)) == 2
    line = error_line(capsys)
    assert str(project / "gold" / "g.yaml") in line and field in line, line


def test_non_utf8_gold_is_one_line(project: Path, capsys) -> None:
    (project / "gold" / "g.yaml").write_bytes(GOOD.encode("utf-8") + b"# \xff\n")
    assert lint(project, None) == 2
    assert "not valid UTF-8" in error_line(capsys)


@pytest.mark.parametrize(
    ("aliases", "field"),
    [
        ("Kyiv: [Ukraine]\n", "Kyiv"),
        ("- Kyiv\n", "mapping"),
        ("Kyiv: Ukraine\nKyiv: Russia\n", "duplicate key 'Kyiv'"),
        ("1: Ukraine\n", "(the key)"),
        ("base: &b Ukraine\nKyiv: *b\n", "aliases (*name) are not allowed"),
    ],
)
def test_wrong_aliases_are_one_line_naming_file_and_field(project: Path, capsys, aliases: str, field: str) -> None:
    assert lint(project, GOOD, aliases) == 2
    line = error_line(capsys)
    assert str(project / "aliases.yaml") in line and field in line, line


def test_an_anchor_without_an_alias_is_inert_and_the_shipped_files_load(project: Path) -> None:
    (project / "aliases.yaml").write_text("Kyiv: &k Ukraine\n")
    assert load_aliases(project / "aliases.yaml").canonical("Kyiv") == "ukraine"
    assert load_aliases(ROOT / "evals" / "aliases.yaml").canonical("Kyiv") == "ukraine"
    assert all(load_gold(p).draft.actors for p in (ROOT / "evals" / "gold").glob("*.yaml"))


@pytest.mark.parametrize(
    "text",
    ["a: plain\nb: 'quoted'\nc: !!str 5\nd: 7\ne: ~\nf: yes\ng: 2020-01-01\nh: [x, 1.5]\n",
     "<<: {a: 1}\nb: two\n", "x: &unused text\n", (ROOT / "evals" / "aliases.yaml").read_text(encoding="utf-8")],
)  # fmt: skip
def test_the_strict_loader_builds_what_the_safe_loader_builds(text: str) -> None:
    # strings take a short path through StrictLoader; every value must still come out as yaml.safe_load makes it
    import yaml

    from summarizer.evaluation.gold import StrictLoader

    assert yaml.load(text, Loader=StrictLoader) == yaml.safe_load(text)


BOMB = """\
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from summarizer.cli import main
import summarizer.evaluation.gold  # imported first, so the time measured is loading alone
started = time.monotonic()
code = main(sys.argv[1:])
print(f"{code} {time.monotonic() - started:.2f}")
"""


@pytest.mark.parametrize("target", ["gold", "aliases"])
def test_billion_laughs_is_refused_fast_within_a_1_gib_address_space(project: Path, target: str) -> None:
    if target == "gold":
        (project / "gold" / "g.yaml").write_text(LAUGHS)
        (project / "aliases.yaml").write_text("Kyiv: Ukraine\n")
        named = project / "gold" / "g.yaml"
    else:
        (project / "gold" / "g.yaml").write_text(GOOD)
        (project / "aliases.yaml").write_text(LAUGHS)
        named = project / "aliases.yaml"
    args = ["eval", "--lint", "--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    done = subprocess.run([sys.executable, "-c", BOMB, *args], capture_output=True, text=True, timeout=120)
    code, _seconds = done.stdout.split()  # the 1 GiB address-space limit is the bound; no duration is asserted
    assert code == "2", done
    errors = [line for line in done.stderr.splitlines() if not line.startswith("hint:")]
    assert len(errors) == 1 and str(named) in errors[0] and "aliases (*name) are not allowed" in errors[0], done.stderr


def test_the_limit_in_the_bomb_test_is_real(tmp_path: Path) -> None:
    grab = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); b = bytearray(2 << 30)"
    done = subprocess.run([sys.executable, "-c", grab], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "MemoryError" in done.stderr


@pytest.mark.parametrize("article", ["../../../../../../../../etc/hostname", "/etc/hostname", "../../outside.txt"])
def test_gold_article_outside_the_project_tree_is_refused_unread(project: Path, capsys, monkeypatch, article: str) -> None:
    (project.parent / "outside.txt").write_text("we will not participate in this conflict")
    gold = GOOD.replace("article: ../articles/a.txt", f"article: {article}")
    read: list[Path] = []
    original = Path.read_text

    def spy(self: Path, *args, **kwargs) -> str:
        read.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", spy)
    assert lint(project, gold) == 2
    line = error_line(capsys)
    assert str(project / "gold" / "g.yaml") in line and "outside the project tree" in line and article in line
    assert not any(p.name in ("hostname", "outside.txt") for p in read)
    with pytest.raises(InputError, match="outside the project tree"):
        load_gold(project / "gold" / "g.yaml")


def test_a_symbolic_link_out_of_the_tree_is_refused(project: Path) -> None:
    (project.parent / "outside.txt").write_text("we will not participate in this conflict")
    (project / "articles" / "link.txt").symlink_to(project.parent / "outside.txt")
    (project / "gold" / "g.yaml").write_text(GOOD.replace("a.txt", "link.txt"))
    with pytest.raises(InputError, match="outside the project tree"):
        load_gold(project / "gold" / "g.yaml")


def test_the_project_tree_is_the_nearest_repository_root_else_the_gold_dirs_parent(tmp_path: Path) -> None:
    nested = tmp_path / "repo" / "evals" / "gold"
    nested.mkdir(parents=True)
    assert project_tree(nested) == tmp_path / "repo" / "evals"  # no marker anywhere: the parent
    (tmp_path / "repo" / ".git").mkdir()
    assert project_tree(nested) == tmp_path / "repo"
    assert project_tree(ROOT / "evals" / "gold") == ROOT
    # the shipped layouts stay valid: ../articles/X.txt and ../../seeds/X.txt
    assert load_gold(ROOT / "evals" / "gold" / "nato_rejects_missile_interception.yaml").article_path.is_relative_to(ROOT)


def test_optional_and_empty_categories_still_load(project: Path) -> None:
    (project / "gold" / "g.yaml").write_text(GOOD + "    optional: true\nproposals:\nrisks: []\n")
    gold = load_gold(project / "gold" / "g.yaml")
    assert gold.optional == {"positions": [True], "proposals": [], "risks": [], "support_commitments": []}
    assert gold.draft.positions[0].evidence == ["we will not participate in this conflict"]
    assert "optional" not in vars(gold.draft.positions[0])


def test_pyyaml_imported_by_the_cli_compiles_its_reader_pattern_on_first_use() -> None:
    # the CLI imports PyYAML so (cli.common.import_yaml); its pure-Python reader must still refuse what it refused
    probe = (
        "import re\ncompile = re.compile\nfrom summarizer.cli.common import import_yaml\nimport_yaml()\nimport yaml\n"
        "lazy = type(yaml.reader.Reader.NON_PRINTABLE).__name__\n"
        "try:\n    yaml.load('a: \\x07', Loader=yaml.SafeLoader); refused = ''\n"
        "except yaml.reader.ReaderError as e:\n    refused = e.reason\n"
        "print(lazy, re.compile is compile, refused == 'special characters are not allowed',\n"
        "      yaml.reader.Reader.NON_PRINTABLE.search('ok\\x07').start())\n"
    )  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["_LazyPattern", "True", "True", "2"], done.stderr
