"""Recordings: model exchanges captured at the HTTP layer and served back offline.

A *recording* is one readable JSON file per exchange::

    {"request":  {"method": "POST", "path": "/v1/chat/completions", "body": {...}},
     "response": {"status": 200, "body": {...}},
     "meta":     {"provenance": "recorded" | "authored", "model": ..., "recorded_at": ...,
                  "prompt_version": ..., "request_sha256": ...}}

Request headers are never stored, so keys and cookies cannot leak into a recording. ``provenance``
says truthfully where the response came from: ``recorded`` only for what ``--record`` captured from a
real endpoint; a response written by hand to exercise the pipeline is ``authored``.

Replay looks a request up by the hash of its method, endpoint and canonical JSON body, so the openai
SDK, instructor's parsing, validation and re-asks all run for real. It never serves a recording made
for a different request: a miss is a ``RecordingError`` naming the nearest recording and what differs.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx2

from summarizer import accounting, names, transport
from summarizer.errors import InputError, RecordingError

Provenance = Literal["recorded", "authored"]
SECRET_PATTERN = re.compile(rb"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}|(?<=Bearer )[A-Za-z0-9._\-]{8,}")


def endpoint(path: str) -> str:
    """The API endpoint of a URL path, independent of the base URL's prefix ("chat/completions")."""
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[-2:])


def request_key(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method.upper(), endpoint(path), body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def scrub(raw: bytes, secret: str | None) -> bytes:
    """``raw`` with the API key and anything that looks like a key or bearer token masked."""
    if secret and len(secret) >= 8:
        raw = raw.replace(secret.encode("utf-8"), b"***")
    return SECRET_PATTERN.sub(b"***", raw)


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Recording:
    path: Path
    request: dict[str, Any]
    response: dict[str, Any]
    meta: dict[str, Any]

    @property
    def key(self) -> str:
        return request_key(self.request["method"], self.request["path"], self.request.get("body"))

    @property
    def provenance(self) -> str:
        return str(self.meta.get("provenance", "unknown"))

    def to_response(self, request: httpx2.Request) -> httpx2.Response:
        body = self.response.get("body")
        content = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        return httpx2.Response(
            int(self.response["status"]),
            headers={"content-type": "application/json"},
            content=content,
            request=request,
        )


def load(path: Path) -> Recording:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Recording(path, data["request"], data["response"], data.get("meta", {}))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise RecordingError(f"unreadable recording {path}: {e}") from e


def iter_recordings(root: Path) -> Iterator[Recording]:
    for path in sorted(root.rglob("*.json")):
        yield load(path)


# --------------------------------------------------------------------------- writing


def label_folder(root: Path, label: str) -> Path:
    """The folder under ``root`` for a call labelled ``label`` (an article id or file stem): ``root``
    itself when there is no label, else ``root / names.relative(label)``. Ordinary labels, nested
    batch ids such as ``sub/dir/article`` and chunk labels such as ``article#2`` stay as they are; any
    other label becomes a readable slug plus a hash of it (see ``summarizer.names``), so the folder is
    always inside ``root``, which is verified with ``Path.resolve()``. Replay finds recordings by
    request hash anywhere under its root, so the folder name never matters for replaying."""
    if not label:
        return root
    try:
        return names.inside(root, root / names.relative(label))
    except InputError as e:
        raise RecordingError(f"cannot record under {root}: {e}") from e


class Recorder:
    """Writes one file per exchange under ``root`` (in a sub-folder named by the call's label, see
    ``label_folder``)."""

    def __init__(self, root: Path, *, provenance: Provenance = "recorded", model: str = "", secret: str | None = None) -> None:
        self.root = root
        self.provenance = provenance
        self.model = model
        self.secret = secret  # scrubbed from every body before it is written (servers may echo the key)
        self._lock = threading.Lock()

    def write(self, request: httpx2.Request, status: int, body: bytes) -> Path:
        stats = accounting.current()
        req_body = _json_or_text(scrub(request.content, self.secret))
        key = request_key(request.method, request.url.path, req_body)
        folder = label_folder(self.root, stats.label if stats else "")
        data = {
            "request": {"method": request.method, "path": request.url.path, "body": req_body},
            "response": {"status": status, "body": _json_or_text(scrub(body, self.secret))},
            "meta": {
                "provenance": self.provenance,
                "model": (req_body or {}).get("model", self.model) if isinstance(req_body, dict) else self.model,
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "prompt_version": stats.prompt_version if stats else "",
                "request_sha256": key,
            },
        }
        with self._lock:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                n = len(list(folder.glob("*.json"))) + 1
                path = names.inside(self.root, folder / f"{n:03d}-{key[:12]}.json")
                path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            except OSError as e:
                raise RecordingError(f"cannot write recording under {folder}: {e.strerror or e}") from e
            except InputError as e:
                raise RecordingError(f"cannot record under {self.root}: {e}") from e
        return path

    @staticmethod
    def worth_keeping(status: int) -> bool:
        # transient faults are retried, not replayed
        return status not in transport.RETRY_STATUSES


class RecordingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        if Recorder.worth_keeping(response.status_code):
            self.recorder.write(request, response.status_code, body)
        return transport.rebuild(response, body, request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        if Recorder.worth_keeping(response.status_code):
            self.recorder.write(request, response.status_code, body)
        return transport.rebuild(response, body, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --------------------------------------------------------------------------- replaying


def diff_paths(a: Any, b: Any, prefix: str = "", limit: int = 4) -> list[str]:
    """Where two JSON values differ, as short paths (``messages[1].content``), at most ``limit``."""
    out: list[str] = []

    def walk(x: Any, y: Any, at: str) -> None:
        if len(out) >= limit or x == y:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                if k not in x or k not in y:
                    out.append(f"{at}.{k} only in {'recording' if k in x else 'request'}".lstrip("."))
                else:
                    walk(x[k], y[k], f"{at}.{k}")
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
                walk(xi, yi, f"{at}[{i}]")
        else:
            out.append(at.lstrip(".") or "body")

    walk(a, b, prefix)
    return out


def _closeness(recorded: Any, wanted: Any) -> int:
    if not (isinstance(recorded, dict) and isinstance(wanted, dict)):
        return 0
    score = sum(1 for k in wanted if recorded.get(k) == wanted[k])
    rec_msgs, want_msgs = recorded.get("messages") or [], wanted.get("messages") or []
    score += 2 * sum(1 for m in want_msgs if m in rec_msgs)
    return score


class ReplayStore:
    """The recordings under a directory, indexed by request hash; thread-safe and loaded once."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise RecordingError(
                f"replay directory not found: {root}", hint="pass the folder that holds the recordings"
            )
        self.root = root
        self.by_key: dict[str, Recording] = {}
        for rec in iter_recordings(root):
            self.by_key.setdefault(rec.key, rec)
        self.served: list[Recording] = []
        self._lock = threading.Lock()

    def lookup(self, request: httpx2.Request) -> Recording:
        body = _json_or_text(request.content)
        rec = self.by_key.get(request_key(request.method, request.url.path, body))
        if rec is None:
            raise self._miss(request, body)
        with self._lock:
            self.served.append(rec)
        return rec

    MISS_HINT = (
        "replay only serves the articles that were recorded (evals/recordings holds the shipped ones); "
        "to brief your own, set OPENAI_API_KEY, or point --base-url at a local OpenAI-compatible server "
        "(Ollama, llama.cpp, vLLM)"
    )

    def _miss(self, request: httpx2.Request, body: Any) -> RecordingError:
        same_endpoint = [
            r for r in self.by_key.values() if endpoint(r.request["path"]) == endpoint(request.url.path)
        ]
        if not same_endpoint:
            return RecordingError(f"no recording under {self.root} for {request.method} {request.url.path}",
                                  hint=self.MISS_HINT)  # fmt: skip
        nearest = max(same_endpoint, key=lambda r: _closeness(r.request.get("body"), body))
        differs = diff_paths(nearest.request.get("body"), body)
        stats = accounting.current()
        stale = ""
        recorded_pv = nearest.meta.get("prompt_version")
        if stats and recorded_pv and stats.prompt_version and recorded_pv != stats.prompt_version:
            stale = f"; it was made with prompt version {recorded_pv}, this run uses {stats.prompt_version}"
        return RecordingError(
            f"no recording matches this request; nearest is {nearest.path}, which differs in "
            f"{', '.join(differs) or 'the request line'}{stale}",
            hint=self.MISS_HINT if not stale else None,
        )


class ReplayTransport(httpx2.BaseTransport):
    def __init__(self, store: ReplayStore) -> None:
        self.store = store

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self.store.lookup(request).to_response(request)


class AsyncReplayTransport(httpx2.AsyncBaseTransport):
    def __init__(self, store: ReplayStore) -> None:
        self.store = store

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return self.store.lookup(request).to_response(request)
