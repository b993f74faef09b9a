"""A stand-in for an OpenAI-compatible chat server, on 127.0.0.1, with planned faults.

Run as a process: ``python fake_openai_server.py --port-file F --log L [--script 429,500,...]
[--faulty] [--slow-s S] [--say TEXT] [--judge] [--rephrase]``. It writes its port to ``--port-file`` once listening and
logs one JSON line per request (request key, attempt, outcome) to ``--log``.

Faults: ``429`` (with Retry-After: 0), ``500``, ``drop`` (connection closed without a reply),
``slow`` (the reply comes after ``--slow-s`` seconds), ``badjson`` (HTTP 200 with a broken body),
``garbage`` (HTTP 200, the model's content is not JSON).

- ``--script a,b,c``: every distinct request gets fault a, then b, then c, then a good reply.
- ``--faulty``: a deterministic mix by a hash of the sample's prompt: 0 to 2 transient faults per
  request; some samples always get HTTP 500 (they must end as rejects); some get a non-JSON
  reply first (the repair request is then answered); some only ever get non-JSON replies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TRANSIENT = ("429", "500", "drop", "slow", "badjson")
SECTIONS = ("modality", "organs", "roi_analysis", "texture", "relations")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.inflight = 0
        self.log = open(args.log, "a", encoding="utf-8")  # noqa: SIM115  closed at exit

    def record(self, entry: dict) -> None:
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


def _user_text(body: dict) -> str:
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if part.get("type") == "text")
            return str(content)
    return ""


def _plan(state: State, body: dict, attempt: int) -> str:
    """What to do with this attempt of this request: a fault name or 'ok'."""
    args = state.args
    if args.script:
        script = args.script.split(",")
        action = script[attempt] if attempt < len(script) else "ok"
        if action == "garbage1":  # a non-JSON reply to the first request only; the repair request succeeds
            return "ok" if len(body.get("messages", [])) > 2 else "garbage"
        return action
    if not args.faulty:
        return "ok"
    sample_hash = int(hashlib.sha256(_user_text(body).encode()).hexdigest()[:8], 16)
    repair = len(body.get("messages", [])) > 2
    if sample_hash % 11 == 0:
        return "500"  # this sample's server never recovers
    if sample_hash % 13 == 0:
        return "garbage"  # this sample never gets JSON back
    transient = sample_hash % 3
    if attempt < transient:
        return TRANSIENT[(sample_hash // 3 + attempt) % len(TRANSIENT)]
    if sample_hash % 7 == 0 and not repair:
        return "garbage"
    return "ok"


def _rephrased(body: dict) -> str:
    """VQA rephrasing mode: most questions come back reworded; by a hash of the question, some come back
    with a negation slipped in (the checker must refuse them) and some without JSON."""
    user = _user_text(body)
    question = json.loads(user[user.index("{"):])["question"]
    digest = int(hashlib.sha256(question.encode()).hexdigest()[:8], 16)
    if digest % 9 == 0:
        return "Sure! Here is a better question."
    if digest % 4 == 0:
        first, _, rest = question.partition(" ")
        return json.dumps({"question": f"{first} not {rest}"})
    return json.dumps({"question": "Looking at this image, " + question[:1].lower() + question[1:]})


def _content(state: State, body: dict) -> str:
    if state.args.rephrase and "rephrase" in json.dumps(body.get("messages", [])[:1]).lower():
        return _rephrased(body)
    if state.args.judge and "rubric" in json.dumps(body.get("messages", [])):
        return json.dumps({name: 0.8 for name in SECTIONS})
    if state.args.say:
        return json.dumps({name: state.args.say for name in SECTIONS})
    cite = " This finding is common [P1]." if "[P1]" in _user_text(body) else ""
    return json.dumps({
        "modality": "The image is a medical image.",
        "organs": "Organs are in view.",
        "roi_analysis": "The marked regions are described by their outlines.",
        "texture": "The texture is as measured.",
        "relations": "The regions relate to the organs around them." + cite,
    })


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle/delayed-ACK stalls

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, payload: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        body = json.loads(raw)
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        state = self.state
        with state.lock:
            attempt = state.attempts.get(key, 0)
            state.attempts[key] = attempt + 1
            state.inflight += 1
            inflight = state.inflight
        action = _plan(state, body, attempt)
        state.record({"key": key, "attempt": attempt, "outcome": action, "inflight": inflight, "time": time.time()})
        try:
            self._act(action, body, key)
        finally:
            with state.lock:
                state.inflight -= 1

    def _act(self, action: str, body: dict, key: str) -> None:
        state = self.state
        if state.args.delay_s:
            time.sleep(state.args.delay_s)
        try:
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if action == "429":
                self._send(429, b'{"error": {"message": "rate limited"}}', {"Retry-After": "0"})
                return
            if action == "500":
                self._send(500, b'{"error": {"message": "internal error"}}')
                return
            if action == "badjson":
                self._send(200, b'{"id": "x", "object": "chat.completion", "choices": [{"ind')
                return
            if action == "slow":
                time.sleep(state.args.slow_s)
            content = "I cannot produce JSON, sorry." if action == "garbage" else _content(state, body)
            reply = {
                "id": "chatcmpl-" + key[:12], "object": "chat.completion", "created": 0, "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            self._send(200, json.dumps(reply).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--script", default="")
    parser.add_argument("--faulty", action="store_true")
    parser.add_argument("--judge", action="store_true")
    parser.add_argument("--rephrase", action="store_true")
    parser.add_argument("--slow-s", type=float, default=2.0)
    parser.add_argument("--say", default="")
    parser.add_argument("--delay-s", type=float, default=0.0)
    args = parser.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file = Path(args.port_file)
    port_file.with_suffix(".tmp").write_text(str(server.server_address[1]))
    port_file.with_suffix(".tmp").replace(port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
