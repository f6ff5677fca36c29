"""Names from article ids and file names never leave the folder the user gave: recordings, saved
predictions, and the mapping itself."""

import dataclasses
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from answers import seed_answer
from conftest import ROOT
from openai_server import Answer, OpenAIServer

from summarizer import names
from summarizer.cli import main
from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import InputError, RecordingError
from summarizer.evaluation.gold import load_gold
from summarizer.evaluation.runner import _read_prediction, prediction_path, write_predictions
from summarizer.orchestrator import run
from summarizer.recording import label_folder
from summarizer.snapshots import ARTICLE_SUMMARY

ORDINARY = [
    "01_ukraine_zelenskyy_asks_nato_for_weapons",
    "nato_rejects_missile_interception",
    "sub/dir/article",
    "article#2",
    "sub/dir/article#2",
    "Київ_2024",
    "report (1)",
    "stdin",
]
HOSTILE = [
    "../../x",
    "/abs/x",
    "/etc/passwd",
    "a\x00b",
    "a\x01b",  # the same readable slug as a\x00b
    "x" * 500,
    "CON",
    "con.txt",
    "LPT1",
    ".",
    "..",
    "...",
    "",
    "a\\b",
    "..\\..\\x",
    "C:\\Windows\\x",
    "a\nb",
    " padded ",
    ".hidden",
    "a//b",
    "sub/",
    "/".join(["deep"] * 40),
    "e\u0301",  # not NFC
    "bad\udcffsurrogate",
]


def test_ordinary_ids_map_to_themselves() -> None:
    shipped = [p.stem for p in (ROOT / "evals" / "gold").glob("*.yaml")]
    shipped += [p.name for p in (ROOT / "evals" / "recordings").iterdir()]
    for name in ORDINARY + shipped:
        assert names.relative(name) == Path(name), name


def test_hostile_ids_map_to_distinct_safe_paths_inside_the_root(tmp_path: Path) -> None:
    crafted = names.slug("a\x00b")  # an id that looks like another id's slug stays distinct
    ids = [*HOSTILE, crafted, *ORDINARY]
    mapped = [names.relative(i) for i in ids]
    assert len(set(mapped)) == len(ids)
    root = tmp_path / "root"
    for name, rel in zip(ids, mapped, strict=True):
        assert not rel.is_absolute() and len(rel.parts) <= names.MAX_DEPTH, name
        for part in rel.parts:
            assert all(ch.isalnum() or ch in "-_.#+@,()= " for ch in part), name
            assert part[0] not in ". " and part[-1] not in ". ", name
            assert len(part) <= names.MAX_CHARS and len(part.encode("utf-8")) <= names.MAX_BYTES, name
            assert part.split(".")[0].upper() not in ("CON", "LPT1", "NUL", "PRN", "AUX"), name
        target = names.child(root, name, ".json")
        assert target.resolve().is_relative_to(root.resolve())
    assert names.relative("a\x00b").name.startswith("a_b-") and names.relative("a\x01b").name.startswith("a_b-")


def test_a_symbolic_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError, match="outside"):
        names.child(root, "evil/x", ".json")
    with pytest.raises(RecordingError, match="outside"):
        label_folder(root, "evil")
    assert label_folder(root, "") == root and label_folder(root, "fine") == root / "fine"


def test_recordings_under_hostile_labels_stay_inside_and_replay(server: OpenAIServer, settings: Settings,
                                                                 seed_text: str, tmp_path: Path) -> None:  # fmt: skip
    root = tmp_path / "rec"
    labels = [*HOSTILE, names.slug("a\x00b"), "sub/dir/article"]
    texts = [f"{seed_text}\n\n(copy {i})" for i in range(len(labels))]  # one distinct request per label
    server.enqueue(*(Answer(seed_answer()) for _ in labels))
    live = build_engine(settings, record=root)
    written = {}
    for label, text in zip(labels, texts, strict=True):
        run(live, text, label=label)
        (path,) = set(root.rglob("*.json")) - set(written.values())
        written[label] = path
    assert len(server.requests) == len(labels)
    files = list(root.rglob("*.json"))
    assert len(files) == len(labels)
    assert all(f.resolve().is_relative_to(root.resolve()) for f in files)
    assert len({f.parent for f in files}) == len(labels)  # one folder per label, none shared
    assert written["sub/dir/article"] == root / "sub" / "dir" / "article" / written["sub/dir/article"].name
    assert written[""].parent == root  # no label: the root itself, as before
    assert not (tmp_path / "x").exists() and not Path("/abs/x").exists()
    offline = build_engine(Settings(model="test-model", base_url="http://127.0.0.1:9/v1", api_key=None), replay=root)
    for label, text in zip(labels, texts, strict=True):
        run(offline, text, label=label)
        assert offline.replay is not None and offline.replay.served[-1].path == written[label]
    assert len(server.requests) == len(labels)  # replay sent nothing


def _summary():  # the shipped seed recording, replayed offline
    from summarizer import summarize

    text = (ROOT / "seeds" / "nato_rejects_missile_interception.txt").read_text(encoding="utf-8")
    return summarize(text, settings=Settings(model="gpt-4o-mini", api_key=None), replay=ROOT / "evals" / "recordings")


def test_predictions_under_hostile_ids_are_written_inside_and_read_back(tmp_path: Path) -> None:
    summary = _summary()
    pred = tmp_path / "pred"
    ids = [*HOSTILE, names.slug("a\x00b")]
    write_predictions([SimpleNamespace(id=i, summary=summary) for i in ids], pred)  # type: ignore[misc]
    files = list(pred.rglob("*.json"))
    assert len(files) == len(ids) and all(f.resolve().is_relative_to(pred.resolve()) for f in files)
    gold = load_gold(ROOT / "evals" / "gold" / "nato_rejects_missile_interception.yaml")
    read = _read_prediction(pred)
    for i in ids:
        assert prediction_path(pred, i).is_file()
        got = read(dataclasses.replace(gold, id=i))
        assert got.error is None and ARTICLE_SUMMARY.dump_plain(got.summary) == summary.model_dump(mode="json"), i


def test_eval_predictions_finds_what_save_predictions_wrote_for_hostile_gold_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")  # the project tree for the gold files below
    articles, gold_dir, pred = tmp_path / "articles", tmp_path / "gold", tmp_path / "pred"
    articles.mkdir()
    gold_dir.mkdir()
    shutil.copy(ROOT / "seeds" / "nato_rejects_missile_interception.txt", articles / "seed.txt")
    source = (ROOT / "evals" / "gold" / "nato_rejects_missile_interception.yaml").read_text(encoding="utf-8")
    body = source.replace("article: ../../seeds/nato_rejects_missile_interception.txt", "article: ../articles/seed.txt")
    stems = ["CON", ".", "..", "a\\b", "x" * 200, "with space", "nul.txt", "ordinary_id"]
    for stem in stems:
        (gold_dir / f"{stem}.yaml").write_text(body, encoding="utf-8")
    common = ["eval", "--gold", str(gold_dir), "--aliases", str(ROOT / "evals" / "aliases.yaml")]
    assert main([*common, "--recordings", str(ROOT / "evals" / "recordings"), "--save-predictions", str(pred),
                 "--json", str(tmp_path / "replay.json")]) == 0  # fmt: skip
    files = sorted(pred.rglob("*.json"))
    assert len(files) == len(stems) and all(f.resolve().is_relative_to(pred.resolve()) for f in files)
    assert (pred / "ordinary_id.json").is_file() and (pred / "with space.json").is_file()
    assert main([*common, "--predictions", str(pred), "--json", str(tmp_path / "pred.json")]) == 0
    replayed, scored = (json.loads((tmp_path / f).read_text()) for f in ("replay.json", "pred.json"))
    assert sorted(d["id"] for d in scored["documents"]) == sorted(stems)
    assert all(d.get("error") is None for d in scored["documents"])
    assert scored["documents"] == replayed["documents"]


def test_a_prediction_behind_a_link_out_of_the_directory_is_not_read(tmp_path: Path) -> None:
    pred, outside = tmp_path / "pred", tmp_path / "outside"
    pred.mkdir()
    outside.mkdir()
    (outside / "x.json").write_text("{}")
    (pred / "x.json").symlink_to(outside / "x.json")
    gold = load_gold(ROOT / "evals" / "gold" / "nato_rejects_missile_interception.yaml")
    got = _read_prediction(pred)(dataclasses.replace(gold, id="x"))
    assert got.summary is None and got.error is not None and "outside" in got.error
