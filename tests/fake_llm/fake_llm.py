#!/usr/bin/env python3
"""fake_llm.py - a scripted stand-in for LLM HTTP APIs, on loopback.

It speaks OpenAI Chat Completions (POST /v1/chat/completions) and Anthropic
Messages (POST /v1/messages) with the request checks, response envelopes,
error bodies and headers of the real services, and answers from a script so
each test decides exactly what the "model" says.

    fake_llm.py --script S.json --log L.jsonl --port-file P [--port 0] [--api-key K]

The script is a JSON object:

    {"openai":    [RESPONSE, ...],      queue, consumed in order
     "anthropic": [RESPONSE, ...],
     "default":   {"openai": RESPONSE, "anthropic": RESPONSE}}   when a queue is empty

A RESPONSE is an object; every key is optional:

    status          HTTP status (200)
    headers         extra response headers, e.g. {"Retry-After": "1"}
    delay           seconds to wait before answering (a slow model)
    repeat          serve this entry n times (1)
    content         the model's text (a string), wrapped in the API's envelope
    content_json    a JSON value to send as the model's text (json.dumps)
    content_size    n: the model's text is n bytes of "x" (a huge answer)
    finish_reason   OpenAI's finish_reason ("stop"); "length", "content_filter"
    refusal         OpenAI: a refusal string (content becomes null)
    stop_reason     Anthropic's stop_reason ("end_turn", or "tool_use" when a
                    tool was forced); "max_tokens", "refusal"
    usage           {"prompt": n, "completion": n} token counts
    error           {"type", "message", "code"}: an error body in the API's shape
    body            a JSON value sent verbatim instead of any envelope
    body_text       raw text sent verbatim (malformed envelopes)

An empty queue with no default answers 500 with an api_error saying so, which
a test sees as an unexpected extra request.

Every request is appended to the log as one JSON line:
    {"n", "api", "path", "headers" (lower-case names), "body", "status", "time"}
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


class Script:
    """The queues of scripted responses, shared by the handler threads."""

    def __init__(self, data):
        self.lock = threading.Lock()
        self.queues = {
            "openai": self._expand(data.get("openai", [])),
            "anthropic": self._expand(data.get("anthropic", [])),
        }
        self.default = data.get("default", {})
        self.count = 0

    @staticmethod
    def _expand(items):
        out = []
        for item in items:
            out.extend([item] * int(item.get("repeat", 1)))
        return out

    def next(self, api):
        with self.lock:
            self.count += 1
            n = self.count
            if self.queues[api]:
                return n, self.queues[api].pop(0)
            if api in self.default:
                return n, self.default[api]
            return n, {"status": 500, "error": {"type": "api_error",
                                                "message": "fake_llm: script exhausted"}}


class Log:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            open(path, "w").close()

    def write(self, entry):
        if not self.path:
            return
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


def model_text(resp):
    if "content_json" in resp:
        return json.dumps(resp["content_json"])
    if "content_size" in resp:
        return "x" * int(resp["content_size"])
    return resp.get("content", "")


def usage_of(resp, request_len, text):
    u = resp.get("usage", {})
    return u.get("prompt", max(1, request_len // 4)), u.get("completion", max(1, len(text) // 4))


def openai_error(status, err):
    return {"error": {"message": err.get("message", "error"),
                      "type": err.get("type", "api_error"),
                      "param": err.get("param"),
                      "code": err.get("code")}}


def anthropic_error(status, err, n):
    return {"type": "error",
            "error": {"type": err.get("type", "api_error"), "message": err.get("message", "error")},
            "request_id": "req_fake_%d" % n}


def openai_envelope(resp, req, n, request_len):
    text = model_text(resp)
    refusal = resp.get("refusal")
    prompt, completion = usage_of(resp, request_len, text)
    return {
        "id": "chatcmpl-fake%d" % n,
        "object": "chat.completion",
        "created": 1763769600 + n,
        "model": req.get("model", ""),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant",
                        "content": None if refusal is not None else text,
                        "refusal": refusal},
            "logprobs": None,
            "finish_reason": resp.get("finish_reason", "stop"),
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    }


def anthropic_envelope(resp, req, n, request_len):
    text = model_text(resp)
    prompt, completion = usage_of(resp, request_len, text)
    forced = (req.get("tool_choice") or {}).get("type") == "tool"
    if forced and resp.get("stop_reason") in (None, "tool_use"):
        try:
            tool_input = json.loads(text)
        except ValueError:
            tool_input = {"_unparsable": text}
        content = [{"type": "tool_use", "id": "toolu_fake%d" % n,
                    "name": req["tool_choice"]["name"], "input": tool_input}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": text}] if text else []
        stop = resp.get("stop_reason", "end_turn")
    return {
        "id": "msg_fake%d" % n, "type": "message", "role": "assistant",
        "model": req.get("model", ""), "content": content,
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1.0"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {"Content-Type": "text/plain"}, b"ok\n")
        else:
            self._send(404, {"Content-Type": "application/json"},
                       json.dumps(openai_error(404, {"type": "invalid_request_error",
                                                     "message": "not found"})).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == OPENAI_PATH:
            api = "openai"
        elif self.path == ANTHROPIC_PATH:
            api = "anthropic"
        else:
            self._send(404, {"Content-Type": "application/json"},
                       json.dumps(openai_error(404, {"type": "invalid_request_error",
                                                     "message": "unknown path"})).encode())
            return
        try:
            req = json.loads(raw.decode("utf-8"))
        except ValueError:
            req = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        n, resp = self.server.script.next(api)
        problem = self._check_request(api, req, headers)
        if problem:
            status, err = problem
            resp = {"status": status, "error": err}
        status = int(resp.get("status", 200))
        self.server.log.write({"n": n, "api": api, "path": self.path, "headers": headers,
                               "body": req if req is not None else raw.decode("utf-8", "replace"),
                               "status": status, "time": time.time()})
        if resp.get("delay"):
            time.sleep(float(resp["delay"]))
        out_headers = {"Content-Type": "application/json"}
        if api == "openai":
            out_headers["x-request-id"] = "req_fake_%d" % n
            out_headers["x-ratelimit-remaining-requests"] = "99"
            out_headers["x-ratelimit-remaining-tokens"] = "99999"
        else:
            out_headers["request-id"] = "req_fake_%d" % n
        out_headers.update(resp.get("headers", {}))
        if "body_text" in resp:
            payload = resp["body_text"].encode()
        elif "body" in resp:
            payload = json.dumps(resp["body"]).encode()
        elif "error" in resp or status >= 400:
            err = resp.get("error", {})
            body = openai_error(status, err) if api == "openai" else anthropic_error(status, err, n)
            payload = json.dumps(body).encode()
        elif api == "openai":
            payload = json.dumps(openai_envelope(resp, req or {}, n, len(raw))).encode()
        else:
            payload = json.dumps(anthropic_envelope(resp, req or {}, n, len(raw))).encode()
        self._send(status, out_headers, payload)

    def _check_request(self, api, req, headers):
        """The request checks the real services make, in their words."""
        key = self.server.api_key
        if api == "openai":
            if key and headers.get("authorization") != "Bearer " + key:
                return 401, {"type": "invalid_request_error", "code": "invalid_api_key",
                             "message": "Incorrect API key provided."}
            if headers.get("content-type", "").split(";")[0] != "application/json":
                return 400, {"type": "invalid_request_error", "message": "bad content type"}
            if not isinstance(req, dict):
                return 400, {"type": "invalid_request_error",
                             "message": "We could not parse the JSON body of your request."}
            for field in ("model", "messages"):
                if field not in req:
                    return 400, {"type": "invalid_request_error", "param": field,
                                 "message": "Missing required parameter: '%s'." % field}
            rf = req.get("response_format") or {}
            if rf.get("type") == "json_schema":
                js = rf.get("json_schema") or {}
                name = js.get("name", "")
                if not name or len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
                    return 400, {"type": "invalid_request_error",
                                 "message": "Invalid 'response_format.json_schema.name'."}
                if js.get("strict") and not strict_ok(js.get("schema")):
                    return 400, {"type": "invalid_request_error",
                                 "message": "Invalid schema for response_format: in strict "
                                            "mode every property must be required and "
                                            "additionalProperties must be false."}
            return None
        if key and headers.get("x-api-key") != key:
            return 401, {"type": "authentication_error", "message": "invalid x-api-key"}
        if "anthropic-version" not in headers:
            return 400, {"type": "invalid_request_error",
                         "message": "anthropic-version: header is required"}
        if not isinstance(req, dict):
            return 400, {"type": "invalid_request_error", "message": "invalid JSON body"}
        for field in ("model", "max_tokens", "messages"):
            if field not in req:
                return 400, {"type": "invalid_request_error",
                             "message": "%s: Field required" % field}
        for m in req["messages"]:
            if m.get("role") not in ("user", "assistant"):
                return 400, {"type": "invalid_request_error",
                             "message": "messages: roles must be user or assistant"}
        return None

    def _send(self, status, headers, payload):
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to do


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up (timeout, size cap) is part of the tests."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def strict_ok(schema):
    """OpenAI strict mode: every object lists all its properties as required
    and forbids additional ones."""
    if isinstance(schema, dict):
        t = schema.get("type")
        types = t if isinstance(t, list) else [t]
        if "object" in types:
            props = schema.get("properties", {})
            if schema.get("additionalProperties") is not False:
                return False
            if sorted(schema.get("required", [])) != sorted(props.keys()):
                return False
        return all(strict_ok(v) for v in schema.values())
    if isinstance(schema, list):
        return all(strict_ok(v) for v in schema)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", default="")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", default="")
    ap.add_argument("--api-key", default="")
    args = ap.parse_args()
    with open(args.script) as f:
        script = Script(json.load(f))
    server = Server(("127.0.0.1", args.port), Handler)
    server.script = script
    server.log = Log(args.log)
    server.api_key = args.api_key
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
