"""The built wheel carries the top-level prompts/ as summarizer/prompts/, and reads them the same way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from conftest import ROOT

from summarizer import prompting

TEMPLATES = ("system.txt", "user.txt")


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv not found (it builds the wheel)"
    return uv


def _build(kind: str, out: Path) -> Path:
    result = subprocess.run(
        [_uv(), "build", f"--{kind}", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pattern = "*.whl" if kind == "wheel" else "*.tar.gz"
    (built,) = out.glob(pattern)
    return built


def test_wheel_ships_the_prompts_and_renders_the_same_prompt_version(tmp_path: Path) -> None:
    wheel = _build("wheel", tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for name in TEMPLATES:
            assert f"summarizer/prompts/{name}" in names
            assert zf.read(f"summarizer/prompts/{name}") == (ROOT / "prompts" / name).read_bytes()
        shipped = "summarizer/data/core_schemas.json"  # what lets offline commands go without pydantic
        assert zf.read(shipped) == (ROOT / shipped).read_bytes()
        zf.extractall(tmp_path / "site")
    site = (tmp_path / "site").resolve()

    # PYTHONPATH comes before the editable install's .pth entry, so the wheel's copy is imported;
    # -P and a neutral cwd keep the checkout itself off sys.path.
    code = (
        "import json, summarizer\n"
        "from summarizer import prompting\n"
        "print(json.dumps({'file': summarizer.__file__, 'dir': str(prompting._prompts_dir()),\n"
        "                  'version': prompting.prompt_version(), 'render': prompting.render('Poland said no.')}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-P", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert Path(seen["file"]).resolve().is_relative_to(site)
    assert Path(seen["dir"]).resolve() == site / "summarizer" / "prompts"
    assert seen["version"] == prompting.prompt_version()
    assert seen["render"] == prompting.render("Poland said no.")


def test_sdist_ships_the_top_level_prompts(tmp_path: Path) -> None:
    sdist = _build("sdist", tmp_path / "dist")
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1]: m for m in tf.getmembers() if "/" in m.name}
        for name in TEMPLATES:
            assert f"prompts/{name}" in members
            extracted = tf.extractfile(members[f"prompts/{name}"])
            assert extracted is not None
            assert extracted.read() == (ROOT / "prompts" / name).read_bytes()
