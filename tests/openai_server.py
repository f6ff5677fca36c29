"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks ``POST /v1/chat/completions`` in the three shapes instructor asks for (tools, json_schema,
md_json) and can misbehave on demand: queue ``Fault``s (429 with Retry-After, 500/503), ``Slow``
answers (past the client timeout), ``Drop`` (close the connection without answering), ``Raw`` bodies
(malformed JSON) and answers with ``finish_reason="length"`` or a refusal. ``FaultPlan`` injects
faults on a seeded schedule. Every request body is kept in ``server.requests``.

It also implements the Batch API's files and jobs: ``POST /v1/files`` (multipart upload),
``GET /v1/files/ID/content``, ``POST /v1/batches`` and ``GET /v1/batches/ID``. A job answers each of
its requests the way a live call would be answered (queue, ``FaultPlan``, responder; a fault or a
broken answer becomes a line of the job's error file) and reports ``in_progress`` for
``batch_polls`` status checks before its final ``batch_outcome`` (``completed`` by default). Bodies
answered inside jobs are kept in ``server.batch_requests``, not in ``server.requests``.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """A well-formed completion carrying ``data`` (dict → JSON) as the structured answer."""

    data: Any
    finish_reason: str = "stop"
    refusal: str | None = None
    usage: tuple[int, int] = (100, 50)
    delay: float = 0.0
    cached: int | None = None  # prompt tokens served from the prompt cache: usage.prompt_tokens_details.cached_tokens


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": {"message": "injected fault", "type": "server_error"}}'


@dataclass
class Slow:
    seconds: float
    then: Any = None  # what to send after the delay (None: an empty 200 JSON)


@dataclass
class Drop:
    """Close the connection without an answer."""


@dataclass
class Raw:
    body: str
    status: int = 200


Action = Answer | Fault | Slow | Drop | Raw
Responder = Callable[[dict[str, Any]], Action]


@dataclass
class FaultPlan:
    """Fault the first attempt at a request with probability ``rate``, chosen by a seeded RNG.

    ``kinds`` may also name ``"truncated"`` (an answer cut off with ``finish_reason="length"``).
    """

    rate: float
    seed: int = 7
    kinds: tuple[str, ...] = ("429", "500", "503", "drop", "malformed", "slow")
    slow_seconds: float = 1.5
    _rng: random.Random = field(init=False)
    _seen: set[str] = field(default_factory=set, init=False)
    faulted: int = field(default=0, init=False)
    first_attempts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, key: str) -> Action | None:
        if key in self._seen:
            return None
        self._seen.add(key)
        self.first_attempts += 1
        if self._rng.random() >= self.rate:
            return None
        self.faulted += 1
        kind = self._rng.choice(self.kinds)
        return {
            "429": Fault(429, {"Retry-After": "0"}),
            "500": Fault(500),
            "503": Fault(503),
            "drop": Drop(),
            "malformed": Raw('{"id": "x", "choices": [ {"index": 0, "message": '),
            "slow": Slow(self.slow_seconds),
            "truncated": Answer({"summary": "cut off"}, finish_reason="length"),
        }[kind]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: must be set before the socket listens, i.e. on the class


class OpenAIServer:
    def __init__(self, responder: Responder | None = None, latency: float = 0.0) -> None:
        self.queue: deque[Action] = deque()
        self.responder = responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.plan: FaultPlan | None = None
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_requests: list[dict[str, Any]] = []
        self.batch_polls = 1
        self.batch_outcome = "completed"
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def enqueue(self, *actions: Action) -> None:
        self.queue.extend(actions)

    def _next(self, body: dict[str, Any]) -> Action:
        with self._lock:
            self.requests.append(body)
        return self._decide(body)

    def _decide(self, body: dict[str, Any]) -> Action:
        with self._lock:
            if self.plan is not None:
                fault = self.plan.pick(json.dumps(body, sort_keys=True))
                if fault is not None:
                    return fault
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Fault(500, body='{"error": {"message": "test server has nothing queued"}}')

    # ----------------------------------------------------------------------- Batch API

    def _store_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = {"data": data, "filename": filename, "purpose": purpose}
        return _file_object(file_id, self.files[file_id])

    def _run_job(self, input_file_id: str) -> tuple[bytes, bytes, int, int]:
        """Answer every request of an input file: (output JSONL, error JSONL, completed, failed)."""
        output: list[str] = []
        errors: list[str] = []
        for n, line in enumerate(self.files[input_file_id]["data"].decode().splitlines()):
            if not line.strip():
                continue
            request = json.loads(line)
            body = request["body"]
            with self._lock:
                self.batch_requests.append(body)
            status, payload = _batch_response(body, self._decide(body))
            record = {"id": f"batch_req_{n}", "custom_id": request["custom_id"],
                      "response": {"status_code": status, "request_id": f"req_{n}", "body": payload}, "error": None}  # fmt: skip
            (output if status == 200 else errors).append(json.dumps(record))
        return "\n".join(output).encode(), "\n".join(errors).encode(), len(output), len(errors)

    def _create_batch(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        input_file_id = params.get("input_file_id", "")
        if input_file_id not in self.files:
            return 400, {"error": {"message": f"no such file {input_file_id}", "type": "invalid_request_error"}}
        out, err, completed, failed = self._run_job(input_file_id)
        with self._lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            job = {
                "id": batch_id, "object": "batch", "endpoint": params.get("endpoint", ""),
                "input_file_id": input_file_id, "completion_window": params.get("completion_window", "24h"),
                "created_at": int(time.time()), "status": "validating", "metadata": params.get("metadata"),
                "request_counts": {"total": completed + failed, "completed": 0, "failed": 0},
                "_final_counts": {"total": completed + failed, "completed": completed, "failed": failed},
                "_output": out, "_errors": err, "_polls": 0,
            }  # fmt: skip
            self.batches[batch_id] = job
        return 200, _public(job)

    def _poll_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            job = self.batches.get(batch_id)
            if job is None:
                return 404, {"error": {"message": f"no such batch {batch_id}", "type": "invalid_request_error"}}
            if job["status"] not in ("completed", "failed", "expired", "cancelled"):
                job["_polls"] += 1
                if job["_polls"] <= self.batch_polls:
                    job["status"] = "in_progress"
                else:
                    job["status"] = self.batch_outcome
                    job["request_counts"] = job["_final_counts"]
                    if self.batch_outcome == "failed":
                        job["errors"] = {"object": "list", "data": [{"code": "injected", "message": "injected job failure"}]}
                    else:
                        for kind, key in (("_output", "output_file_id"), ("_errors", "error_file_id")):
                            if job[kind]:
                                file_id = f"file-{len(self.files) + 1}"
                                self.files[file_id] = {"data": job[kind], "filename": f"{batch_id}{kind}.jsonl",
                                                       "purpose": "batch_output"}  # fmt: skip
                                job[key] = file_id
            return 200, _public(job)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                if len(parts) >= 3 and parts[-3] == "files" and parts[-1] == "content" and parts[-2] in server.files:
                    self._send(200, server.files[parts[-2]]["data"])
                elif len(parts) >= 2 and parts[-2] == "files" and parts[-1] in server.files:
                    self._send(200, json.dumps(_file_object(parts[-1], server.files[parts[-1]])).encode())
                elif len(parts) >= 2 and parts[-2] == "batches":
                    status, payload = server._poll_batch(parts[-1])
                    self._send(status, json.dumps(payload).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                path = self.path.split("?")[0].rstrip("/")
                if path.endswith("/files"):
                    form = _multipart(self.headers.get("content-type", ""), raw)
                    filename, data = form.get("file", ("upload", b""))
                    payload = server._store_file(filename, form.get("purpose", ("", b""))[1].decode(), data)
                    self._send(200, json.dumps(payload).encode())
                    return
                if path.endswith("/batches"):
                    status, payload = server._create_batch(json.loads(raw or b"{}"))
                    self._send(status, json.dumps(payload).encode())
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if server.latency:
                    time.sleep(server.latency)
                self._act(server._next(body), body)

            def _act(self, action: Action, body: dict[str, Any]) -> None:
                if isinstance(action, Slow):
                    time.sleep(action.seconds)
                    action = action.then or Raw("{}")
                if isinstance(action, Drop):
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(action, Fault):
                    self._send(action.status, action.body.encode(), action.headers)
                elif isinstance(action, Raw):
                    self._send(action.status, action.body.encode())
                else:
                    if action.delay:
                        time.sleep(action.delay)
                    self._send(200, json.dumps(completion(body, action)).encode())

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The fields of a multipart/form-data body: name → (filename, data)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = (str(part.get_filename() or ""), part.get_payload(decode=True) or b"")
    return fields


def _file_object(file_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": len(entry["data"]), "created_at": int(time.time()),
            "filename": entry["filename"], "purpose": entry["purpose"]}  # fmt: skip


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _batch_response(body: dict[str, Any], action: Action) -> tuple[int, Any]:
    """What a Batch API job records for one request answered by ``action``."""
    if isinstance(action, Slow):
        action = action.then or Fault(500, body='{"error": {"message": "injected timeout"}}')
    if isinstance(action, Answer):
        return 200, completion(body, action)
    if isinstance(action, Fault):
        try:
            return action.status, json.loads(action.body)
        except ValueError:
            return action.status, {"error": {"message": action.body}}
    if isinstance(action, Raw):
        try:
            return action.status, json.loads(action.body)
        except ValueError:
            return 500, {"error": {"message": "malformed response", "type": "server_error"}}
    return 500, {"error": {"message": "connection dropped", "type": "server_error"}}


def completion(request: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """A chat.completion in the shape the request's mode expects."""
    text = answer.data if isinstance(answer.data, str) else json.dumps(answer.data)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if answer.refusal:
        message["refusal"] = answer.refusal
    elif request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}]
    elif request.get("response_format"):
        message["content"] = text
    else:
        message["content"] = f"Here is the brief:\n```json\n{text}\n```"
    prompt, completion_tokens = answer.usage
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }
    if answer.cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": answer.cached, "audio_tokens": 0}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "test-model"),
        "choices": [{"index": 0, "finish_reason": answer.finish_reason, "message": message}],
        "usage": usage,
    }


def article_of(request: dict[str, Any]) -> str:
    """The article text inside a rendered prompt (between the ARTICLE markers)."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    found = re.search(r"<<<ARTICLE (\w+)\n(.*)\nARTICLE \1>>>", user, re.DOTALL)
    return found.group(2) if found else ""


def echo_answer(request: dict[str, Any]) -> Answer:
    """A plausible, grounded answer built from the article's first sentence (for load tests)."""
    article = article_of(request)
    first = re.split(r"(?<=[.!?])\s", article.strip(), maxsplit=1)[0][:200] or article[:50]
    return Answer(
        {
            "summary": first,
            "actors": [{"name": "Reporter", "type": "other", "affiliation": None}],
            "positions": [
                {"actor": "Reporter", "topic": "the news", "stance": "neutral", "statement": first, "evidence": [first]}
            ],
            "proposals": [],
            "risks": [],
            "support_commitments": [],
        }
    )
