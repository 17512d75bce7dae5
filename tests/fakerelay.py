"""A loopback New API-style relay for tests: real HTTP on 127.0.0.1, recording every request.

Serves GET /v1/models, POST /v1/messages (Anthropic, streaming or not), POST /v1/responses (streamed
Responses events), POST /v1/chat/completions (streamed with `stream: true`), the Gemini protocol under
/v1beta (model list, :generateContent, :streamGenerateContent?alt=sse, :countTokens; key in
`x-goog-api-key` or `?key=`), GET /api/status and GET /api/usage/token/, with the relay's real error
envelopes. `relay.fail(status, message)` or `relay.html = True` make it misbehave.

A model its group lacks gets New API's `503 model_not_found` ("No available channel for model <m> under group
<g> (distributor)"), in every protocol. The models offered are set per test: `start(keys, models=[...])` or
`relay.models[:] = [...]`; `relay.gemini_listing = False` is a relay without Gemini's `/v1beta/models` list.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_MODELS = ("claude-sonnet-4-5", "gpt-5-codex", "gpt-4o-mini", "gpt-5", "gemini-2.5-pro", "gemini-2.5-flash",
                  "gemini-2.5-flash-lite", "claude-opus-4-8", "claude-opus-5", "claude-opus-5-5", "gpt-6.1-sol",
                  "gpt-6.2-sol", "gemini-3.1-pro-preview", "gemini-3.8-flash", "gemini-3.5-flash-lite")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Relay:
    keys: set = field(default_factory=set)
    # The models the tests name, plus what the real clients send with no model set (clients.md's table
    # of releases, written down here on its own: a test that cares sets its own list).
    models: list = field(default_factory=lambda: list(DEFAULT_MODELS))
    group: str = "default"  # the key's group, as New API names it in its errors
    gemini_listing: bool = True  # False: GET /v1beta/models is not served (404), as on relays other than New API
    requests: list = field(default_factory=list)
    failure: tuple | None = None  # (status, message, code)
    html: bool = False
    usage: dict | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, status: int, message: str, code: str = "") -> None:
        self.failure = (status, message, code)

    def seen(self, path_prefix: str) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def models_sent(self) -> list[str]:
        """The model of every model call (Anthropic, Responses, chat, Gemini), in order."""
        found = []
        for r in self.requests:
            path = r.path.split("?")[0]
            if path.startswith("/v1beta/models/") and ":" in path:
                found.append(path[len("/v1beta/models/"):].partition(":")[0])
            elif r.method == "POST" and path in ("/v1/messages", "/v1/responses", "/v1/chat/completions"):
                try:
                    found.append(json.loads(r.body).get("model"))
                except ValueError:
                    pass
        return found

    def no_channel(self, model: str) -> str:
        return f"No available channel for model {model} under group {self.group} (distributor)"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def _sse(handler, events: list[tuple[str, dict]]) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("cache-control", "no-cache")
    handler.end_headers()
    for name, data in events:
        handler.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        handler.wfile.flush()
    handler.close_connection = True


def _sse_data(handler, chunks: list) -> None:
    """Server-sent events without event names (`data: {...}` lines), as OpenAI chat and Gemini stream."""
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("cache-control", "no-cache")
    handler.end_headers()
    for chunk in chunks:
        data = chunk if isinstance(chunk, str) else json.dumps(chunk)
        handler.wfile.write(f"data: {data}\n\n".encode())
        handler.wfile.flush()
    handler.close_connection = True


def _chat_chunks(model: str, include_usage: bool) -> list:
    created = int(time.time())
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": model}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "pong"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1,
                                                         "total_tokens": 4}})
    return chunks + ["[DONE]"]


def _fill(schema) -> object:
    """A value that satisfies a (simple) JSON schema: what a model asked for a JSON answer would give."""
    if not isinstance(schema, dict):
        return "pong"
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = (kind[0] if isinstance(kind, list) else kind or "").lower()
    if kind == "object" or "properties" in schema:
        return {name: _fill(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return []
    if kind in ("number", "integer"):
        return schema.get("minimum", 1)  # the router asks for a 1-100 score (range only in the description)
    if kind == "boolean":
        return False
    return "pong"


def _gemini_answer(model: str, request: dict) -> dict:
    """One generateContent answer. Asked for JSON (the CLI's model router), it answers JSON of the schema."""
    config = request.get("generationConfig") or {}
    text = "pong"
    if config.get("responseMimeType") == "application/json":
        text = json.dumps(_fill(config.get("responseJsonSchema") or config.get("responseSchema") or {}))
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
            "modelVersion": model, "responseId": "fake"}


def _anthropic_events(model: str) -> list:
    usage = {"input_tokens": 3, "output_tokens": 1}
    return [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "pong"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 1}}),
        ("message_stop", {"type": "message_stop"}),
    ]


def _responses_events(model: str) -> list:
    created = int(time.time())
    message = {"type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": "pong", "annotations": []}]}
    base = {"id": "resp_fake", "object": "response", "created_at": created, "model": model, "output": []}
    usage = {"input_tokens": 3, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 1,
             "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 4}
    return [
        ("response.created", {"type": "response.created", "sequence_number": 0,
                              "response": {**base, "status": "in_progress"}}),
        ("response.output_item.added", {"type": "response.output_item.added", "sequence_number": 1,
                                        "output_index": 0, "item": {**message, "status": "in_progress",
                                                                    "content": []}}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 2,
                                        "item_id": "msg_fake", "output_index": 0, "content_index": 0,
                                        "delta": "pong"}),
        ("response.output_item.done", {"type": "response.output_item.done", "sequence_number": 3,
                                       "output_index": 0, "item": message}),
        ("response.completed", {"type": "response.completed", "sequence_number": 4,
                                "response": {**base, "status": "completed", "output": [message],
                                             "usage": usage}}),
    ]


def _make_handler(relay: Relay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def _json(self, status: int, data) -> None:
            payload = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: int, message: str, code: str = "") -> None:
            self._json(status, {"error": {"message": message, "type": "new_api_error", "code": code or None}})

        def _key(self) -> str | None:
            auth = self.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                return auth[7:].strip()
            return self.headers.get("x-api-key")

        def _gemini_key(self) -> str | None:
            # New API's Gemini routes take the key as Google's SDKs send it: a header or `?key=`.
            query = parse_qs(urlsplit(self.path).query)
            return self.headers.get("x-goog-api-key") or (query.get("key") or [None])[0]

        def _gemini(self, method: str, path: str, body: bytes) -> None:
            if relay.failure:
                return self._error(*relay.failure)
            if self._gemini_key() not in relay.keys:
                return self._error(401, "无效的令牌 (request id: fake)")
            if method == "GET" and path == "/v1beta/models" and relay.gemini_listing:
                return self._json(200, {"models": [
                    {"name": f"models/{m}", "displayName": m, "version": "001",
                     "supportedGenerationMethods": ["generateContent", "countTokens"]} for m in relay.models]})
            name, _, action = path[len("/v1beta/models/"):].partition(":")
            if method != "POST" or not path.startswith("/v1beta/models/") or not action:
                return self._error(404, "Invalid URL (" + method + " " + path + ")")
            if name not in relay.models:
                return self._error(503, relay.no_channel(name), "model_not_found")
            data = json.loads(body or b"{}")
            if action == "countTokens":
                return self._json(200, {"totalTokens": 3})
            if action == "generateContent":
                return self._json(200, _gemini_answer(name, data))
            if action == "streamGenerateContent":
                return _sse_data(self, [_gemini_answer(name, data)])
            return self._error(404, "Invalid URL (" + method + " " + path + ")")

        def _handle(self, method: str) -> None:
            body = self._body() if method == "POST" else b""
            relay.requests.append(Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            path = self.path.split("?")[0]
            if relay.html:
                page = b"<!doctype html><html><body>dashboard</body></html>"
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            if path == "/api/status":
                return self._json(200, {"success": True, "data": {"system_name": "New API (fake)"}})
            if path == "/api/usage/token/" or path == "/api/usage/token":
                if relay.usage is None:
                    return self._error(404, "not found")
                return self._json(200, {"code": True, "data": relay.usage})
            if path.startswith("/v1beta/"):
                return self._gemini(method, path, body)
            if not path.startswith("/v1/"):
                return self._error(404, "Invalid URL (" + method + " " + path + ")")
            if relay.failure:
                return self._error(*relay.failure)
            if self._key() not in relay.keys:
                return self._error(401, "无效的令牌 (request id: fake)")
            data = json.loads(body or b"{}") if method == "POST" else {}
            model = data.get("model") or relay.models[0]
            if path == "/v1/models":
                return self._json(200, {"object": "list", "data": [
                    {"id": m, "object": "model", "owned_by": "fake"} for m in relay.models]})
            if method == "POST" and model not in relay.models:
                return self._error(503, relay.no_channel(model), "model_not_found")
            if path == "/v1/messages":
                if data.get("stream"):
                    return _sse(self, _anthropic_events(model))
                return self._json(200, {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                                        "content": [{"type": "text", "text": "pong"}], "stop_reason": "end_turn",
                                        "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1}})
            if path == "/v1/messages/count_tokens":
                return self._json(200, {"input_tokens": 3})
            if path == "/v1/responses":
                if data.get("stream", False) is not False:
                    return _sse(self, _responses_events(model))
                events = _responses_events(model)
                return self._json(200, events[-1][1]["response"])
            if path == "/v1/chat/completions":
                if data.get("stream"):
                    usage = bool((data.get("stream_options") or {}).get("include_usage"))
                    return _sse_data(self, _chat_chunks(model, usage))
                return self._json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "model": model,
                                        "choices": [{"index": 0, "finish_reason": "stop",
                                                     "message": {"role": "assistant", "content": "pong"}}],
                                        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
            return self._error(404, "Invalid URL (" + method + " " + path + ")")

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_HEAD(self):
            self._handle("GET")

    return Handler


def start(keys=(), models=None) -> Relay:
    relay = Relay(keys=set(keys))
    if models is not None:
        relay.models = list(models)
    relay.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(relay))
    relay.server.daemon_threads = True
    threading.Thread(target=relay.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return relay


if __name__ == "__main__":  # a relay to try keyconf by hand: python tests/fakerelay.py sk-test...
    import sys

    r = start(sys.argv[1:] or ["sk-test-key-123456"])
    print(r.url, flush=True)
    threading.Event().wait()
