#!/usr/bin/env python3
"""fake_llm.py - a scripted stand-in for LLM HTTP APIs, on loopback.

It speaks OpenAI Chat Completions (POST /v1/chat/completions) and Anthropic
Messages (POST /v1/messages) with the request checks, response envelopes,
error bodies and headers of the real services, and answers from a script so
each test decides exactly what the "model" says.

It refuses with 400, in the provider's words, what the providers document
as refused (../shared/reference/llm-apis.md), so a request a real service
would refuse fails a test here:
  - Anthropic structured outputs (output_config.format, strict tools): the
    JSON Schema keywords the grammar does not support (minimum, maximum,
    exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength,
    maxItems, minItems above 1, uniqueItems, minProperties, maxProperties),
    an object without additionalProperties: false, a recursive schema, and
    more than 24 optional or 16 union-typed parameters; temperature above 1.
  - OpenAI strict json_schema: a property not required or an object without
    additionalProperties: false, a bad schema name; json_object mode without
    "json" in the messages; on reasoning models (o-series, gpt-5 family) a
    temperature other than the default and max_tokens.
  - Output caps: OpenAI applies max_completion_tokens (or max_tokens); a
    local server ("server": "ollama" or "llamacpp") applies max_tokens only
    and ignores max_completion_tokens; Anthropic applies max_tokens. An
    answer longer than the cap (4 bytes a token) is cut there and ends with
    finish_reason "length" / stop_reason "max_tokens"; the log records the
    cap the server applied ("output_limit", null when none).

    fake_llm.py --script S.json --log L.jsonl --port-file P [--port 0] [--api-key K]

The script is a JSON object:

    {"openai":    [RESPONSE, ...],      queue, consumed in order
     "anthropic": [RESPONSE, ...],
     "default":   {"openai": RESPONSE, "anthropic": RESPONSE},   when a queue is empty
     "server":    "openai" | "ollama" | "llamacpp"}   what answers on the OpenAI path

A RESPONSE is an object; every key is optional:

    status          HTTP status (200)
    headers         extra response headers, e.g. {"Retry-After": "1"}
    delay           seconds to wait before answering (a slow model)
    repeat          serve this entry n times (1)
    content         the model's text (a string), wrapped in the API's envelope
    content_json    a JSON value to send as the model's text (json.dumps)
    draft_oracle    a schema (backbone's input format): the model answers a draft
                    with it and a repair with its tables at the pointers the
                    request's "Tables with errors:" line names, and any other
                    table of the draft shown that differs from it
    content_size    n: the model's text is n bytes of "x" (a huge answer)
    finish_reason   OpenAI's finish_reason ("stop"); "length", "content_filter"
    refusal         OpenAI: a refusal string (content becomes null)
    stop_reason     Anthropic's stop_reason ("end_turn", or "tool_use" when a
                    tool was forced); "max_tokens", "refusal"
    usage           {"prompt": n, "completion": n} token counts (default: bytes / 4);
                    null: the answer carries no usage at all
    error           {"type", "message", "code"}: an error body in the API's shape
    body            a JSON value sent verbatim instead of any envelope
    body_text       raw text sent verbatim (malformed envelopes)
    body_latin1     raw text sent one byte a character (bytes that are not UTF-8)
    body_size       n: a body of about n bytes (an oversized response)

An empty queue with no default answers 500 with an api_error saying so, which
a test sees as an unexpected extra request.

Every request is appended to the log as one JSON line:
    {"n", "api", "path", "headers" (lower-case names), "body", "status",
     "output_limit", "time"}
"""
import argparse
import json
import os
import re
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
        self.kind = data.get("server", "openai")
        if self.kind not in ("openai", "ollama", "llamacpp"):
            raise ValueError("server: openai, ollama or llamacpp")
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


REPAIR_LINE = re.compile(r"^Tables with errors:(.*)$", re.M)


def last_user_text(req):
    for m in reversed(req.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, list):
                content = " ".join(b.get("text", "") for b in content if isinstance(b, dict))
            return content if isinstance(content, str) else ""
    return ""


def draft_sent(req):
    """The draft a repair request shows (its assistant turn), or None."""
    for m in reversed(req.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "assistant":
            try:
                return json.loads(m.get("content") or "")
            except ValueError:
                return None
    return None


def draft_oracle(reference, req):
    """A model that knows the answer: the reference schema for a whole draft;
    for a repair (`backbone draft` names the tables with errors by pointer)
    the reference's tables at those pointers, and those of any other table
    of the draft that differs from the reference."""
    found = REPAIR_LINE.search(last_user_text(req))
    if not found:
        return {k: v for k, v in reference.items() if k != "$schema"}
    tables = reference.get("schema", [])
    wanted = [int(i) for i in re.findall(r"/schema/(\d+)", found.group(1))]
    sent = (draft_sent(req) or {}).get("schema", [])
    wanted += [i for i, t in enumerate(sent) if i < len(tables) and t != tables[i] and
               i not in wanted]
    return {"tables": [tables[i] for i in wanted if i < len(tables)]}


def model_text(resp, req=None):
    if "draft_oracle" in resp:
        return json.dumps(draft_oracle(resp["draft_oracle"], req or {}))
    if "content_json" in resp:
        return json.dumps(resp["content_json"])
    if "content_size" in resp:
        return "x" * int(resp["content_size"])
    return resp.get("content", "")


def usage_of(resp, request_len, text):
    u = resp.get("usage", {})
    if u is None:  # a server that reports no usage
        return None, None
    return u.get("prompt", max(1, request_len // 4)), u.get("completion", max(1, len(text) // 4))


def capped(text, limit):
    """The model stops at the output cap the server applied (4 bytes a
    token): the text cut there, and whether it was."""
    if limit is None or len(text) // 4 <= limit:
        return text, False
    return text[:limit * 4], True


def openai_error(status, err):
    return {"error": {"message": err.get("message", "error"),
                      "type": err.get("type", "api_error"),
                      "param": err.get("param"),
                      "code": err.get("code")}}


def anthropic_error(status, err, n):
    return {"type": "error",
            "error": {"type": err.get("type", "api_error"), "message": err.get("message", "error")},
            "request_id": "req_fake_%d" % n}


def openai_envelope(resp, req, n, request_len, limit):
    text, cut = capped(model_text(resp, req), limit)
    refusal = resp.get("refusal")
    prompt, completion = usage_of(resp, request_len, text)
    envelope = {
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
            "finish_reason": "length" if cut else resp.get("finish_reason", "stop"),
        }],
    }
    if prompt is not None:
        envelope["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    return envelope


def anthropic_envelope(resp, req, n, request_len, limit):
    text, cut = capped(model_text(resp, req), limit)
    prompt, completion = usage_of(resp, request_len, text)
    forced = (req.get("tool_choice") or {}).get("type") == "tool"
    if cut:
        content = [{"type": "text", "text": text}]
        stop = "max_tokens"
    elif forced and resp.get("stop_reason") in (None, "tool_use"):
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
    envelope = {
        "id": "msg_fake%d" % n, "type": "message", "role": "assistant",
        "model": req.get("model", ""), "content": content,
        "stop_reason": stop, "stop_sequence": None,
    }
    if prompt is not None:
        envelope["usage"] = {"input_tokens": prompt, "output_tokens": completion}
    return envelope


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
        limit = output_limit(api, self.server.script.kind, req) if isinstance(req, dict) else None
        self.server.log.write({"n": n, "api": api, "path": self.path, "headers": headers,
                               "body": req if req is not None else raw.decode("utf-8", "replace"),
                               "status": status, "output_limit": limit, "time": time.time()})
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
        elif "body_latin1" in resp:
            payload = resp["body_latin1"].encode("latin-1")
        elif "body_size" in resp:
            payload = b'{"padding": "' + b"x" * int(resp["body_size"]) + b'"}'
        elif "body" in resp:
            payload = json.dumps(resp["body"]).encode()
        elif "error" in resp or status >= 400:
            err = resp.get("error", {})
            body = openai_error(status, err) if api == "openai" else anthropic_error(status, err, n)
            payload = json.dumps(body).encode()
        elif api == "openai":
            payload = json.dumps(openai_envelope(resp, req or {}, n, len(raw), limit)).encode()
        else:
            payload = json.dumps(anthropic_envelope(resp, req or {}, n, len(raw), limit)).encode()
        self._send(status, out_headers, payload)

    def _check_request(self, api, req, headers):
        """The request checks the real services make, in their words."""
        key = self.server.api_key
        if api == "openai":
            if key and self.server.script.kind == "openai" and \
                    headers.get("authorization") != "Bearer " + key:
                return 401, {"type": "invalid_request_error", "code": "invalid_api_key",
                             "message": "Incorrect API key provided."}
            if headers.get("content-type", "").split(";")[0] != "application/json":
                return 400, {"type": "invalid_request_error", "message": "bad content type"}
            if not isinstance(req, dict):
                return 400, {"type": "invalid_request_error",
                             "message": "We could not parse the JSON body of your request."}
            return openai_rules(req, self.server.script.kind)
        if key and headers.get("x-api-key") != key:
            return 401, {"type": "authentication_error", "message": "invalid x-api-key"}
        if "anthropic-version" not in headers:
            return 400, {"type": "invalid_request_error",
                         "message": "anthropic-version: header is required"}
        if not isinstance(req, dict):
            return 400, {"type": "invalid_request_error", "message": "invalid JSON body"}
        return anthropic_rules(req)

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


def bad_request(message, param=None, code=None):
    err = {"type": "invalid_request_error", "message": message}
    if param:
        err["param"] = param
    if code:
        err["code"] = code
    return 400, err


# OpenAI's reasoning models (o-series, gpt-5 family): only the default
# temperature, and max_completion_tokens instead of max_tokens.
REASONING_MODEL = re.compile(r"^(o[0-9]|gpt-5)")
SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def mentions_json(req):
    for m in req.get("messages") or []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):
            content = " ".join(b.get("text", "") for b in content if isinstance(b, dict))
        if isinstance(content, str) and "json" in content.lower():
            return True
    return False


def openai_rules(req, kind):
    """What an OpenAI-compatible server refuses with 400; kind is "openai"
    (api.openai.com), "ollama" or "llamacpp" (local servers, which accept
    what they do not know)."""
    for field in ("model", "messages"):
        if field not in req:
            return bad_request("Missing required parameter: '%s'." % field, field)
    temperature = req.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float)) and
                                        0 <= temperature <= 2):
        return bad_request("Invalid 'temperature': must be between 0 and 2.", "temperature")
    if kind == "openai" and REASONING_MODEL.match(str(req.get("model", ""))):
        if temperature is not None and temperature != 1:
            return bad_request("Unsupported parameter: 'temperature' is not supported with "
                               "this model.", "temperature", "unsupported_parameter")
        if "max_tokens" in req:
            return bad_request("Unsupported parameter: 'max_tokens' is not supported with this "
                               "model. Use 'max_completion_tokens' instead.", "max_tokens",
                               "unsupported_parameter")
    rf = req.get("response_format") or {}
    if rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        if not SCHEMA_NAME.match(str(js.get("name", ""))):
            return bad_request("Invalid 'response_format.json_schema.name'.")
        if js.get("strict") and not strict_ok(js.get("schema")):
            return bad_request("Invalid schema for response_format: in strict mode every "
                               "property must be required and additionalProperties must be "
                               "false.")
    elif rf.get("type") == "json_object" and kind == "openai" and not mentions_json(req):
        return bad_request("'messages' must contain the word 'json' in some form, to use "
                           "'response_format' of type 'json_object'.", "messages")
    return None


def output_limit(api, kind, req):
    """The output cap the server applies: OpenAI reads max_completion_tokens
    (or the older max_tokens); Ollama and llama.cpp read max_tokens only and
    ignore max_completion_tokens; Anthropic reads max_tokens."""
    if api == "openai" and kind == "openai":
        limit = req.get("max_completion_tokens", req.get("max_tokens"))
    else:
        limit = req.get("max_tokens")
    return limit if isinstance(limit, int) and limit > 0 else None


# Anthropic structured outputs compile the schema into a grammar and refuse
# these keywords (minItems only above 1).
GRAMMAR_UNSUPPORTED = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                       "multipleOf", "minLength", "maxLength", "maxItems", "minItems",
                       "uniqueItems", "minProperties", "maxProperties")
# The documented complexity limits of one request's strict schemas.
GRAMMAR_MAX_OPTIONAL = 24
GRAMMAR_MAX_UNIONS = 16


class GrammarWalk:
    """Walks a schema the way the grammar compiler sees it: each definition
    once, references not followed (a reference back to an enclosing
    definition is a recursive schema)."""

    def __init__(self, root, where):
        self.root = root
        self.where = where
        self.optional = 0
        self.unions = 0
        self.problem = None

    def fail(self, message):
        if not self.problem:
            self.problem = bad_request("%s: %s" % (self.where, message))

    def walk(self, node, defs_open=()):
        if not isinstance(node, dict) or self.problem:
            return
        t = node.get("type")
        types = t if isinstance(t, list) else [t] if t else []
        shown = next((x for x in types if x != "null"), types[0] if types else "unknown")
        for kw in GRAMMAR_UNSUPPORTED:
            if kw in node and not (kw == "minItems" and node[kw] in (0, 1)):
                self.fail("For '%s' type, property '%s' is not supported" % (shown, kw))
                return
        if len([x for x in types if x]) > 1 or "anyOf" in node:
            self.unions += 1
        if "object" in types or "properties" in node:
            if node.get("additionalProperties") is not False:
                self.fail("For 'object' type, 'additionalProperties' must be explicitly set "
                          "to false")
                return
            props = node.get("properties") or {}
            required = node.get("required") or []
            self.optional += len([k for k in props if k not in required])
            for v in props.values():
                self.walk(v, defs_open)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in defs_open:
            self.fail("Recursive schemas are not supported")
        if isinstance(node.get("items"), dict):
            self.walk(node["items"], defs_open)
        for key in ("anyOf", "allOf"):
            for v in node.get(key) or []:
                self.walk(v, defs_open)
        for key in ("$defs", "definitions"):
            for name, v in (node.get(key) or {}).items():
                self.walk(v, defs_open + ("#/%s/%s" % (key, name),))

    def check(self):
        self.walk(self.root)
        if not self.problem and self.optional > GRAMMAR_MAX_OPTIONAL:
            self.fail("the schema has %d optional parameters; the limit is %d across all "
                      "strict schemas" % (self.optional, GRAMMAR_MAX_OPTIONAL))
        if not self.problem and self.unions > GRAMMAR_MAX_UNIONS:
            self.fail("the schema has %d parameters with union types (anyOf or type arrays); "
                      "the limit is %d across all strict schemas" %
                      (self.unions, GRAMMAR_MAX_UNIONS))
        return self.problem


def anthropic_rules(req):
    """What the Messages API refuses with 400 invalid_request_error."""
    for field in ("model", "max_tokens", "messages"):
        if field not in req:
            return bad_request("%s: Field required" % field)
    if not isinstance(req["max_tokens"], int) or req["max_tokens"] < 1:
        return bad_request("max_tokens: Input should be a positive integer")
    temperature = req.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float)) and
                                        0 <= temperature <= 1):
        return bad_request("temperature: Input should be less than or equal to 1")
    for m in req["messages"]:
        if m.get("role") not in ("user", "assistant"):
            return bad_request("messages: roles must be user or assistant")
    fmt = (req.get("output_config") or {}).get("format")
    if fmt is not None:
        if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            return bad_request("output_config.format: a json_schema with a schema is required")
        problem = GrammarWalk(fmt["schema"], "output_config.format.schema").check()
        if problem:
            return problem
    names = []
    for i, tool in enumerate(req.get("tools") or []):
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return bad_request("tools.%d.custom.input_schema.type: Input should be 'object'" % i)
        if tool.get("strict"):
            problem = GrammarWalk(schema, "tools.%d.custom.input_schema" % i).check()
            if problem:
                return problem
        names.append(tool.get("name"))
    choice = req.get("tool_choice") or {}
    if choice.get("type") == "tool" and choice.get("name") not in names:
        return bad_request("tool_choice: tool '%s' not found in 'tools'" % choice.get("name"))
    return None


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
