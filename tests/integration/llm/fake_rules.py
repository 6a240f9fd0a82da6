#!/usr/bin/env python3
"""fake_rules.py - the fake LLM server refuses what the real services refuse.

    fake_rules.py

Starts tests/fake_llm/fake_llm.py once per server kind and sends it requests
that a real provider documents as refused (../shared/reference/llm-apis.md),
each next to the same request made acceptable, and checks the status and the
message. Prints "fake rules: N cases passed" or the first failure (exit 1).
"""
import copy
import json
import os
import sys
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_llm"))
from fake_process import FakeProcess  # noqa: E402
OK_ANSWER = {"content_json": {"answer": "hi"}}


class Fake(FakeProcess):
    def __init__(self, kind):
        super().__init__({"server": kind, "default": {"openai": OK_ANSWER,
                                                      "anthropic": OK_ANSWER}})

    def post(self, path, body):
        headers = {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}
        req = urllib.request.Request(self.url + path, json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def last_log(self):
        return self.log()[-1]


PASSED = 0


def expect(what, got_status, want_status, body, words=""):
    global PASSED
    message = json.dumps(body)
    if got_status != want_status or words not in message:
        sys.stderr.write("FAIL: %s: expected %d%s, got %d %s\n" % (
            what, want_status, " with '%s'" % words if words else "", got_status, message))
        sys.exit(1)
    PASSED += 1


SCHEMA = {"type": "object", "additionalProperties": False, "required": ["answer"],
          "properties": {"answer": {"type": "string"}}}


def anthropic_body(schema=None, **extra):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 100,
            "messages": [{"role": "user", "content": "Say hi."}]}
    if schema is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    body.update(extra)
    return body


def with_keyword(keyword, value, where="answer"):
    s = copy.deepcopy(SCHEMA)
    s["properties"][where][keyword] = value
    return s


def anthropic_cases(fake):
    status, body = fake.post("/v1/messages", anthropic_body(SCHEMA))
    expect("anthropic: a supported schema", status, 200, body)
    for keyword, value in (("maxLength", 20), ("minLength", 1), ("pattern", "^a")):
        status, body = fake.post("/v1/messages", anthropic_body(with_keyword(keyword, value)))
        if keyword == "pattern":
            expect("anthropic: pattern is supported", status, 200, body)
        else:
            expect("anthropic: %s" % keyword, status, 400, body,
                   "For 'string' type, property '%s' is not supported" % keyword)
    number = copy.deepcopy(SCHEMA)
    number["properties"]["answer"] = {"type": "integer", "minimum": 1}
    status, body = fake.post("/v1/messages", anthropic_body(number))
    expect("anthropic: minimum", status, 400, body,
           "For 'integer' type, property 'minimum' is not supported")
    for items, want in ((0, 200), (1, 200), (2, 400)):
        arr = copy.deepcopy(SCHEMA)
        arr["properties"]["answer"] = {"type": "array", "items": {"type": "string"},
                                       "minItems": items}
        status, body = fake.post("/v1/messages", anthropic_body(arr))
        expect("anthropic: minItems %d" % items, status, want, body)
    arr["properties"]["answer"] = {"type": "array", "items": {"type": "string"}, "maxItems": 5}
    status, body = fake.post("/v1/messages", anthropic_body(arr))
    expect("anthropic: maxItems", status, 400, body, "'maxItems' is not supported")
    open_object = copy.deepcopy(SCHEMA)
    del open_object["additionalProperties"]
    status, body = fake.post("/v1/messages", anthropic_body(open_object))
    expect("anthropic: additionalProperties", status, 400, body, "must be explicitly set to false")
    many_optional = {"type": "object", "additionalProperties": False, "required": [],
                     "properties": {"p%d" % i: {"type": "string"} for i in range(25)}}
    status, body = fake.post("/v1/messages", anthropic_body(many_optional))
    expect("anthropic: 25 optional parameters", status, 400, body, "optional parameters")
    del many_optional["properties"]["p24"]
    status, body = fake.post("/v1/messages", anthropic_body(many_optional))
    expect("anthropic: 24 optional parameters", status, 200, body)
    unions = {"type": "object", "additionalProperties": False,
              "required": ["u%d" % i for i in range(17)],
              "properties": {"u%d" % i: {"type": ["string", "null"]} for i in range(17)}}
    status, body = fake.post("/v1/messages", anthropic_body(unions))
    expect("anthropic: 17 union-typed parameters", status, 400, body, "union types")
    recursive = {"type": "object", "additionalProperties": False, "required": ["n"],
                 "properties": {"n": {"$ref": "#/$defs/node"}},
                 "$defs": {"node": {"type": "object", "additionalProperties": False,
                                    "required": ["next"],
                                    "properties": {"next": {"$ref": "#/$defs/node"}}}}}
    status, body = fake.post("/v1/messages", anthropic_body(recursive))
    expect("anthropic: recursive schema", status, 400, body, "Recursive")
    tool = {"name": "answer", "input_schema": with_keyword("maxLength", 20)}
    choice = {"type": "tool", "name": "answer"}
    status, body = fake.post("/v1/messages", anthropic_body(tools=[tool], tool_choice=choice))
    expect("anthropic: a non-strict tool takes any schema", status, 200, body)
    tool["strict"] = True
    status, body = fake.post("/v1/messages", anthropic_body(tools=[tool], tool_choice=choice))
    expect("anthropic: a strict tool", status, 400, body, "'maxLength' is not supported")
    status, body = fake.post("/v1/messages", anthropic_body(SCHEMA, temperature=1.5))
    expect("anthropic: temperature above 1", status, 400, body, "temperature")
    status, body = fake.post("/v1/messages", {"model": "m", "messages": []})
    expect("anthropic: max_tokens is required", status, 400, body, "max_tokens")
    status, body = fake.post("/v1/messages", anthropic_body(max_tokens=2))
    expect("anthropic: an answer over max_tokens is cut", status, 200, body, "max_tokens")
    expect("anthropic: the cap applied", fake.last_log()["output_limit"], 2, {})


def openai_body(model="gpt-4o-mini", strict_schema=None, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": "Say hi as JSON."}]}
    if strict_schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {
            "name": "answer", "strict": True, "schema": strict_schema}}
    body.update(extra)
    return body


def openai_cases(fake):
    status, body = fake.post("/v1/chat/completions",
                             openai_body(strict_schema=SCHEMA, temperature=0))
    expect("openai: a strict schema", status, 200, body)
    loose = {"type": "object", "additionalProperties": False, "required": [],
             "properties": {"answer": {"type": "string"}}}
    status, body = fake.post("/v1/chat/completions", openai_body(strict_schema=loose))
    expect("openai: strict needs every property required", status, 400, body, "strict mode")
    for model in ("o3-mini", "o1", "gpt-5", "gpt-5-mini"):
        status, body = fake.post("/v1/chat/completions", openai_body(model, temperature=0))
        expect("openai: %s refuses temperature" % model, status, 400, body,
               "Unsupported parameter: 'temperature'")
        status, body = fake.post("/v1/chat/completions", openai_body(model, max_tokens=50))
        expect("openai: %s refuses max_tokens" % model, status, 400, body,
               "Use 'max_completion_tokens'")
        status, body = fake.post("/v1/chat/completions",
                                 openai_body(model, max_completion_tokens=50))
        expect("openai: %s takes max_completion_tokens" % model, status, 200, body)
    status, body = fake.post("/v1/chat/completions", openai_body(temperature=0, max_tokens=50))
    expect("openai: gpt-4o-mini takes both", status, 200, body)
    status, body = fake.post("/v1/chat/completions", {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi."}],
        "response_format": {"type": "json_object"}})
    expect("openai: json_object needs the word", status, 400, body, "'json'")
    status, body = fake.post("/v1/chat/completions", openai_body(max_completion_tokens=2))
    expect("openai: an answer over the cap is cut", status, 200, body, '"length"')


def local_cases(fake, kind):
    status, body = fake.post("/v1/chat/completions", openai_body(
        "o3-mini", temperature=0, max_completion_tokens=2))
    expect("%s: accepts what it does not know" % kind, status, 200, body, '"stop"')
    expect("%s: ignores max_completion_tokens" % kind, fake.last_log()["output_limit"], None, {})
    status, body = fake.post("/v1/chat/completions", openai_body(max_tokens=2))
    expect("%s: applies max_tokens" % kind, status, 200, body, '"length"')
    expect("%s: the cap applied" % kind, fake.last_log()["output_limit"], 2, {})


def main():
    for kind in ("openai", "ollama", "llamacpp"):
        fake = Fake(kind)
        try:
            if kind == "openai":
                anthropic_cases(fake)
                openai_cases(fake)
            else:
                local_cases(fake, kind)
        finally:
            fake.stop()
    print("fake rules: %d cases passed" % PASSED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
