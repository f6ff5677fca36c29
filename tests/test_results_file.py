"""The results file is never a place where data is lost (issue #9, criterion 1).

Real files and real processes throughout: the output is refused when it is one of the inputs or
holds other data; a torn last line is repaired before anything is appended; a second run on the
same file refuses while the first holds its lock; kill -9 and a full disk (a real RLIMIT_FSIZE) leave
valid JSON Lines and a resume that completes; rewrites never follow pre-planted names; a symlinked
output stays a link; lines made with another model, mode or prompt version are counted and redone on
request.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from openai_server import Answer, OpenAIServer, article_of, echo_answer
from test_batch import ROOT, lines, marked_failures, options, write_articles

from summarizer import cli
from summarizer.batch import run_batch
from summarizer.config import Settings
from summarizer.errors import BATCH_PARTIAL_FAILURE_EXIT

IDS6 = [f"a{i:03d}" for i in range(6)]


@pytest.fixture
def env(env: OpenAIServer) -> OpenAIServer:
    env.responder = echo_answer
    return env


def batch(*argv: str | Path) -> int:
    return cli.main(["batch", *map(str, argv)])


def ids(path: Path) -> list[str]:
    """The sorted ids of a valid JSON Lines file (blank lines allowed)."""
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n")
    return sorted(json.loads(line)["id"] for line in raw.splitlines() if line.strip())


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("summarizer: error:")]


def leftovers(folder: Path) -> list[str]:
    """Temporary or lock files a run left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


def command(inputs: Path, out: Path, server: OpenAIServer, *extra: str) -> list[str]:
    return [sys.executable, "-m", "summarizer", "batch", str(inputs), "-o", str(out), "--base-url", server.base_url,
            "--model", "test-model", "--timeout", "120", *extra]  # fmt: skip


def child_env() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": "sk-test", "PYTHONDONTWRITEBYTECODE": "1"}


def wait_for_lines(out: Path, n: int, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not (out.exists() and len(out.read_bytes().splitlines()) >= n):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the batch wrote nothing"
        time.sleep(0.02)


class Gate:
    """Answers the first ``opened`` articles at once; the others wait until ``release``."""

    def __init__(self, opened: int) -> None:
        self.opened = opened
        self.event = threading.Event()

    def __call__(self, request: dict) -> Answer:
        number = int(article_of(request).split()[1])  # "Article N reports ..."
        if number >= self.opened:
            self.event.wait(120)
        return echo_answer(request)

    def release(self) -> None:
        self.event.set()


# --------------------------------------------------------------------------- -o among the inputs


@pytest.mark.parametrize("case", ["file in a directory", "file named directly", "jsonl input", "symlink to input",
                                  "would be found in a directory"])  # fmt: skip
def test_output_that_is_one_of_the_inputs_is_refused_and_the_input_is_untouched(env, tmp_path, capsys, case) -> None:
    paths = write_articles(tmp_path / "in", 3)
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_text('{"id": "x", "text": "Article 9 reports that officials met. They talked."}\n')
    (tmp_path / "link.jsonl").symlink_to(jsonl)
    inputs, out = {
        "file in a directory": ([tmp_path / "in"], paths[1]),
        "file named directly": ([paths[0], paths[2]], paths[2]),
        "jsonl input": ([tmp_path / "in", jsonl], jsonl),
        "symlink to input": ([jsonl], tmp_path / "link.jsonl"),
        "would be found in a directory": ([tmp_path / "in"], tmp_path / "in/new.txt"),
    }[case]
    before = {p: p.read_bytes() for p in [*paths, jsonl]}
    assert batch(*inputs, "-o", out) == 2
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and "-o" in error_lines(err)[0] and "hint:" in err
    assert {p: p.read_bytes() for p in [*paths, jsonl]} == before
    assert not (tmp_path / "in/new.txt").exists() and not env.requests
    assert leftovers(tmp_path) == leftovers(tmp_path / "in") == []


def test_an_output_inside_an_input_directory_that_is_not_an_article_is_fine(env, tmp_path) -> None:
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "in/out.jsonl"  # directories are searched for *.txt
    assert batch(tmp_path / "in", "-o", out) == 0
    assert batch(tmp_path / "in", "-o", out) == 0
    assert ids(out) == IDS6[:3]


# --------------------------------------------------------------------------- other data in the output


@pytest.mark.parametrize(
    "content",
    [
        '{"id": "x", "text": "an article, not a result"}\n',
        '{"id": "k", "article_sha256": "00", "ok": true, "summary": {}}\nnot json at all\n',
        '{"id": "k", "article_sha256": "00", "ok": true}\n',  # ok without a summary
        "notes without a final newline",  # an unterminated last line that is no result line: not torn
        "\n\n[1, 2, 3]\n",
    ],
)
def test_an_output_holding_other_data_is_refused_and_left_unchanged(env, tmp_path, capsys, content) -> None:
    write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    out.write_text(content)
    for extra in ([], ["--dry-run"]):
        assert batch(tmp_path / "in", "-o", out, *extra) == 2
        err = capsys.readouterr().err
        assert len(error_lines(err)) == 1 and "is not a batch result line" in err
        assert out.read_text() == content
    assert not env.requests and leftovers(tmp_path) == []


def test_lines_of_other_ids_extra_keys_and_blank_lines_survive_a_rewrite_byte_for_byte(env, tmp_path) -> None:
    env.responder = marked_failures
    write_articles(tmp_path / "in", 4, fail={2})
    out = tmp_path / "out.jsonl"
    other = (b'{"source": "kept", "id": "elsewhere", "ok": false, "error": {"type": "X", "message": "m\\u00e9"}, '
             b'"article_sha256": "0"}\n\n')  # fmt: skip
    out.write_bytes(other)
    assert batch(tmp_path / "in", "-o", out) == BATCH_PARTIAL_FAILURE_EXIT
    env.responder = echo_answer
    assert batch(tmp_path / "in", "-o", out) == 0  # rewrites the file without a002's error line
    assert out.read_bytes().startswith(other)
    assert ids(out) == sorted([*IDS6[:4], "elsewhere"])
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- the end of the file


def test_a_torn_last_line_is_removed_with_a_note_and_the_resume_does_every_article_once(env, tmp_path, capsys) -> None:
    write_articles(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "in", "-o", out) == 0
    whole = out.read_bytes().splitlines(keepends=True)
    torn_id = json.loads(whole[3])["id"]
    out.write_bytes(b"".join(whole[:3]) + whole[3][:57])  # the machine died mid-line
    capsys.readouterr()
    sent = len(env.requests)
    assert batch(tmp_path / "in", "-o", out) == 0
    err = capsys.readouterr().err
    assert f"removed a torn last line (of article {torn_id!r}, 57 bytes)" in err
    assert ids(out) == IDS6
    assert len(env.requests) - sent == 3  # the torn one and the two never written
    assert Counter(r["id"] for r in lines(out)).most_common(1)[0][1] == 1


@pytest.mark.parametrize("torn", [b'{"id": "a00', b'{"i'])
def test_a_torn_line_whose_id_is_cut_is_still_removed(env, tmp_path, capsys, torn: bytes) -> None:
    write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    out.write_bytes(torn)
    assert batch(tmp_path / "in", "-o", out) == 0
    assert f"removed a torn last line ({len(torn)} bytes)" in capsys.readouterr().err
    assert ids(out) == IDS6[:2]


def test_a_complete_last_line_without_its_newline_is_kept_and_terminated(env, tmp_path) -> None:
    write_articles(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "in", "-o", out) == 0
    whole = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(whole[:2]) + whole[2].rstrip(b"\n"))
    sent = len(env.requests)
    assert batch(tmp_path / "in", "-o", out) == 0
    assert out.read_bytes().startswith(b"".join(whole[:3]))  # kept as it was, newline added
    assert ids(out) == IDS6[:4] and len(env.requests) - sent == 1


# --------------------------------------------------------------------------- one run at a time


def test_a_second_run_on_the_same_output_refuses_naming_the_first(tmp_path) -> None:
    gate = Gate(opened=2)
    with OpenAIServer(responder=gate) as server:
        write_articles(tmp_path / "in", 8)
        out = tmp_path / "out.jsonl"
        argv = command(tmp_path / "in", out, server, "--concurrency", "1")
        first = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stderr=subprocess.PIPE, text=True)
        try:
            wait_for_lines(out, 2, first)  # the first run holds the lock and waits for its third answer
            before = out.read_bytes()
            second = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
            assert out.read_bytes() == before
        finally:
            gate.release()
            _, first_err = first.communicate(timeout=120)
    assert second.returncode == 2, second.stderr
    assert len(error_lines(second.stderr)) == 1
    assert f"in use by another batch run (pid {first.pid}: python -m summarizer batch" in second.stderr
    assert first.returncode == 0, first_err
    assert ids(out) == [f"a{i:03d}" for i in range(8)] and len(lines(out)) == 8
    assert leftovers(tmp_path) == []  # the lock file goes with its run


def test_a_stale_lock_file_does_not_block(env, tmp_path) -> None:
    write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.lock").write_text("999999999\nsummarizer batch (long gone)\n")
    assert batch(tmp_path / "in", "-o", out) == 0
    assert ids(out) == IDS6[:2] and leftovers(tmp_path) == []


def test_kill_9_mid_run_then_resume_has_every_article_once(tmp_path) -> None:
    gate = Gate(opened=5)
    with OpenAIServer(responder=gate) as server:
        write_articles(tmp_path / "in", 12)
        out = tmp_path / "out.jsonl"
        argv = command(tmp_path / "in", out, server, "--concurrency", "3")
        child = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stderr=subprocess.PIPE, text=True)
        wait_for_lines(out, 5, child)
        child.kill()
        child.communicate(timeout=60)
        assert child.returncode == -signal.SIGKILL
        gate.release()
        assert (tmp_path / "out.jsonl.lock").exists()  # left behind by the dead run, with its pid
        killed = lines(out)
        assert len(killed) == 5
        rerun = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert "resuming: 5 article(s) already done" in rerun.stderr
    assert [r["id"] for r in lines(out)][:5] == [r["id"] for r in killed]
    assert ids(out) == [f"a{i:03d}" for i in range(12)] and len(lines(out)) == 12
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- planted names and symlinks


def test_pre_planted_names_are_not_followed_and_a_symlinked_output_stays_a_link(env, tmp_path, capsys) -> None:
    env.responder = marked_failures
    write_articles(tmp_path / "in", 4, fail={1})
    store = tmp_path / "store"
    store.mkdir()
    target = store / "target.jsonl"
    out = tmp_path / "out.jsonl"
    out.symlink_to(target)  # dangling until the first run creates the target
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for planted in (tmp_path / "out.jsonl.tmp", store / "target.jsonl.tmp", store / ".target.jsonl.tmp"):
        planted.symlink_to(victim)
    assert batch(tmp_path / "in", "-o", out) == BATCH_PARTIAL_FAILURE_EXIT
    assert out.is_symlink() and target.is_file() and len(lines(target)) == 4
    # a planted lock link is refused, not followed
    (store / "target.jsonl.lock").symlink_to(victim)
    before = target.read_bytes()
    capsys.readouterr()
    assert batch(tmp_path / "in", "-o", out) == 2
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and "target.jsonl.lock is a symbolic link" in err
    assert target.read_bytes() == before
    (store / "target.jsonl.lock").unlink()
    # the resume rewrites the target (removing a001's error line), not the link
    env.responder = echo_answer
    assert batch(tmp_path / "in", "-o", out) == 0
    assert out.is_symlink() and os.readlink(out) == str(target)
    assert ids(target) == IDS6[:4] and all(r["ok"] for r in lines(target))
    assert victim.read_text() == "precious\n"
    assert all(p.is_symlink() for p in (tmp_path / "out.jsonl.tmp", store / "target.jsonl.tmp"))
    assert sorted(p.name for p in store.iterdir()) == [".target.jsonl.tmp", "target.jsonl", "target.jsonl.tmp"]


def test_a_rewrite_keeps_the_file_mode(env, tmp_path) -> None:
    env.responder = marked_failures
    write_articles(tmp_path / "in", 3, fail={0})
    out = tmp_path / "out.jsonl"
    batch(tmp_path / "in", "-o", out)
    out.chmod(0o640)
    env.responder = echo_answer
    assert batch(tmp_path / "in", "-o", out) == 0
    assert (out.stat().st_mode & 0o777) == 0o640 and ids(out) == IDS6[:3]


# --------------------------------------------------------------------------- a full disk


def limited(limit: int) -> Callable[[], None]:
    """A ``preexec_fn``: files the child writes may not grow past ``limit`` bytes."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_ends_the_run_with_one_line_and_a_valid_file_then_the_resume_completes(tmp_path) -> None:
    with OpenAIServer(responder=echo_answer) as server:
        write_articles(tmp_path / "in", 10)
        out = tmp_path / "out.jsonl"
        argv = command(tmp_path / "in", out, server, "--concurrency", "2")
        full = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120,
                              preexec_fn=limited(4000))  # fmt: skip
        assert full.returncode == 2, full.stderr
        assert error_lines(full.stderr) == [f"summarizer: error: cannot write {out}: File too large"]
        assert "Traceback" not in full.stderr and "never retrieved" not in full.stderr
        written = lines(out)  # whole lines only: the part of the line that did not fit was truncated away
        assert 1 <= len(written) < 10 and out.stat().st_size < 4000
        resumed = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
    assert ids(out) == [f"a{i:03d}" for i in range(10)] and len(lines(out)) == 10
    assert leftovers(tmp_path) == []


def test_a_rewrite_that_does_not_fit_leaves_the_file_unchanged(tmp_path) -> None:
    with OpenAIServer(responder=marked_failures) as server:
        write_articles(tmp_path / "in", 6, fail={5})
        out = tmp_path / "out.jsonl"
        argv = command(tmp_path / "in", out, server)
        first = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
        assert first.returncode == BATCH_PARTIAL_FAILURE_EXIT, first.stderr
        before = out.read_bytes()
        server.responder = echo_answer
        full = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120,
                              preexec_fn=limited(len(before) // 2))  # fmt: skip
        assert full.returncode == 2, full.stderr
        assert error_lines(full.stderr) == [f"summarizer: error: cannot write {out}: File too large"]
        assert out.read_bytes() == before and leftovers(tmp_path) == []
        resumed = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
    assert ids(out) == IDS6 and all(r["ok"] for r in lines(out))


def test_an_unwritable_output_is_one_line(env, tmp_path, capsys) -> None:
    write_articles(tmp_path / "in", 1)
    (tmp_path / "file").write_text("not a directory")
    assert batch(tmp_path / "in", "-o", tmp_path / "file/out.jsonl") == 2
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and f"cannot write {tmp_path / 'file/out.jsonl'}" in err


# --------------------------------------------------------------------------- stale lines


def test_lines_made_with_another_model_mode_or_prompt_version_are_counted_and_redone_on_request(env, tmp_path) -> None:
    write_articles(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    first = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert first.succeeded == 4
    records = lines(out)
    records[0]["summary"]["metadata"]["prompt_version"] = "000000000000"  # made with an older prompt
    out.write_text("".join(json.dumps(r) + "\n" for r in records))

    stream = io.StringIO()
    same = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()), stream=stream)
    assert (same.skipped, same.stale, same.succeeded) == (4, 1, 0)
    assert "1 finished line(s) were made with another model/mode/prompt version; --redo-stale redoes them" in (
        stream.getvalue()
    )
    assert "stale" in same.table(out)

    other = Settings.from_env().with_overrides(model="other-model")
    stream = io.StringIO()
    sent = len(env.requests)
    kept = run_batch([str(tmp_path / "in")], out, options(other), stream=stream)
    assert (kept.skipped, kept.stale, kept.succeeded) == (4, 4, 0) and len(env.requests) == sent
    assert "4 finished line(s) were made with another model/mode/prompt version" in stream.getvalue()

    redone = run_batch([str(tmp_path / "in")], out, options(other, redo_stale=True))
    assert (redone.skipped, redone.stale, redone.succeeded) == (0, 4, 4)
    assert {r["summary"]["metadata"]["model"] for r in lines(out)} == {"other-model"}
    assert ids(out) == IDS6[:4]

    again = run_batch([str(tmp_path / "in")], out, options(other, redo_stale=True))
    assert (again.skipped, again.stale, again.succeeded) == (4, 0, 0)


def test_redo_stale_on_the_command_line_redoes_lines_of_another_mode(env, tmp_path, capsys) -> None:
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "in", "-o", out) == 0
    capsys.readouterr()
    assert batch(tmp_path / "in", "-o", out, "--mode", "json_schema") == 0
    assert "3 finished line(s) were made with another model/mode/prompt version" in capsys.readouterr().err
    assert batch(tmp_path / "in", "-o", out, "--mode", "json_schema", "--redo-stale") == 0
    assert {r["summary"]["metadata"]["mode"] for r in lines(out)} == {"json_schema"} and ids(out) == IDS6[:3]
