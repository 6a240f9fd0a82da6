"""Every endpoint of `backbone serve` answers as documented."""
import gzip
import io
import json
import os
import pathlib
import re
import subprocess
import tarfile
import time

from conftest import blog_schema_path

BAD_SCHEMA = (
    '{\n'
    '  "project_name": "x",\n'
    '  "db_type": 5,\n'
    '  "schema": [{"table_name": "t", "class_name": "T",\n'
    '              "columns": [{"name": "id", "type": "Integr", "primary_key": true}]}]\n'
    '}\n'
)


def post_json(c, path, text, headers):
    return c.post(path, content=text.encode(),
                  headers={"Content-Type": "application/json", **headers})


def test_health_reports_healthy(server):
    with server.client() as c:
        r = c.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["version"]


def test_liveness_reports_alive(server):
    with server.client() as c:
        r = c.get("/health/liveness")
    assert r.status_code == 200
    assert r.json()["status"] == "alive"


def test_readiness_checks_templates_and_workers(server):
    with server.client() as c:
        r = c.get("/health/readiness")
    body = r.json()
    comps = body["components"]
    assert comps["worker_pool"]["status"] == "healthy"
    assert comps["templates"]["status"] == "healthy", "no templates embedded: not ready"
    assert r.status_code == 200
    assert body["status"] == "ready"


def test_detailed_health_lists_components_with_states(server):
    with server.client() as c:
        r = c.get("/health/detailed")
    assert r.status_code == 200
    body = r.json()
    assert body["uptime_seconds"] >= 0
    for name in ("templates", "worker_pool", "auth", "rate_limiter", "server"):
        comp = body["components"][name]
        assert comp["status"] in ("healthy", "degraded", "unhealthy")
        assert comp["name"] == name
    assert body["status"] in ("healthy", "degraded", "unhealthy")


def test_public_health_tells_no_paths_or_counts(fresh_server, tmp_path):
    templates = tmp_path / "my-templates"
    templates.mkdir()
    s = fresh_server(args=["--templates", str(templates)])
    with s.client() as c:
        text = c.get("/health/detailed").text + c.get("/health/readiness").text
    body = json.loads(text[:text.index("}{") + 1])
    assert str(tmp_path) not in text
    assert "api_keys" not in text
    for comp in body["components"].values():
        assert set(comp) == {"name", "status", "message"}, comp
        assert not re.search(r"[0-9]", comp["message"]), comp


def test_status_reports_auth_and_rate_limits(server):
    with server.client() as c:
        r = c.get("/api/v1/status")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "operational"
    assert body["authentication_enabled"] is True
    assert set(body["rate_limits"]) >= {"generation", "validation"}


def test_openapi_describes_every_route(server):
    with server.client() as c:
        r = c.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/generate", "/api/v1/validate", "/api/v1/status", "/health",
                 "/health/liveness", "/health/readiness", "/health/detailed", "/metrics",
                 "/openapi.json", "/api/v1/jobs/{id}"):
        assert path in doc["paths"], path


def test_valid_schema_validates_with_build_order(server, blog_text, blog):
    with server.client() as c:
        r = post_json(c, "/api/v1/validate", blog_text, server.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True
    assert isinstance(body["diagnostics"], list)
    tables = {t["table_name"] for t in blog["schema"]}
    assert set(body["build_order"]) == tables


def test_wrapped_schema_validates_like_a_bare_one(server, blog):
    wrapped = json.dumps({"schema": blog, "options": {"strict": False}})
    with server.client() as c:
        r = post_json(c, "/api/v1/validate", wrapped, server.auth())
    assert r.status_code == 200, r.text
    assert r.json()["valid"] is True


def test_invalid_schema_is_422_with_codes_pointers_and_positions(server):
    with server.client() as c:
        r = post_json(c, "/api/v1/validate", BAD_SCHEMA, server.auth())
    assert r.status_code == 422
    body = r.json()
    assert body["valid"] is False
    assert body["error"]["code"] == "invalid_schema"
    assert body["error"]["request_id"] == r.headers["X-Request-ID"]
    by_pointer = {d["pointer"]: d for d in body["diagnostics"]}
    assert by_pointer["/db_type"]["line"] == 3
    assert by_pointer["/db_type"]["column"] == 14
    assert re.fullmatch(r"BB\d{4}", by_pointer["/db_type"]["code"])
    t = by_pointer["/schema/0/columns/0/type"]
    assert t["line"] == 5 and t["severity"] == "error"


def test_wrapped_invalid_schema_positions_count_in_the_body(server):
    body_text = '{"options": {},\n "schema": ' + BAD_SCHEMA.replace("\n", "\n ") + '}'
    with server.client() as c:
        bare = post_json(c, "/api/v1/validate", BAD_SCHEMA, server.auth()).json()
        r = post_json(c, "/api/v1/validate", body_text, server.auth())
    assert r.status_code == 422
    wrapped = {d["pointer"]: d for d in r.json()["diagnostics"]}
    for d in bare["diagnostics"]:
        w = wrapped[d["pointer"]]
        assert w["code"] == d["code"]
        assert w["line"] == d["line"] + 1
        # Every line after the first was indented by one space.
        assert w["column"] == d["column"] + (1 if d["line"] > 1 else 0)


def test_unknown_option_is_400(server, blog):
    with server.client() as c:
        r = post_json(c, "/api/v1/validate", json.dumps({"schema": blog, "options": {"x": 1}}),
                      server.auth())
    assert r.status_code == 400
    assert "x" in r.json()["error"]["message"]


def test_generate_returns_files_summary_and_diagnostics(server, blog_text):
    with server.client() as c:
        r = post_json(c, "/api/v1/generate", blog_text, server.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["files"], "no files generated"
    assert all(isinstance(v, str) for v in body["files"].values())
    assert any(p.endswith(".py") for p in body["files"])
    assert body["summary"]["files"] == len(body["files"])
    assert isinstance(body["diagnostics"], list)


def test_generate_gives_a_gzip_tarball_on_request(server, blog_text):
    with server.client() as c:
        json_files = post_json(c, "/api/v1/generate", blog_text, server.auth()).json()["files"]
        r = post_json(c, "/api/v1/generate", blog_text,
                      {**server.auth(), "Accept": "application/gzip"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/gzip"
    assert r.content[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
        names = tar.getnames()
        root = names[0].split("/")[0]
        assert {n.split("/", 1)[1] for n in names} == set(json_files)
        some = next(iter(json_files))
        assert tar.extractfile(f"{root}/{some}").read().decode() == json_files[some]


def cli_tree(tmp_path, *flags):
    """Every file `backbone generate` writes for the blog schema, by path."""
    out = tmp_path / "cli"
    p = subprocess.run([os.environ["BACKBONE"], "generate", str(blog_schema_path()),
                        "-o", str(out), *flags], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return {f.relative_to(out).as_posix(): f.read_bytes()
            for f in sorted(out.rglob("*")) if f.is_file()}


def test_generated_project_is_the_tree_the_cli_writes(server, blog_text, tmp_path):
    # The same paths and the same bytes, the initial Alembic revision and
    # .backbone/manifest.json included, in either form of the answer.
    cli = cli_tree(tmp_path)
    assert any(p.startswith("alembic/versions/") for p in cli), sorted(cli)
    assert ".backbone/manifest.json" in cli
    with server.client() as c:
        r = post_json(c, "/api/v1/generate", blog_text, server.auth())
        t = post_json(c, "/api/v1/generate", blog_text,
                      {**server.auth(), "Accept": "application/gzip"})
    assert r.status_code == 200 and t.status_code == 200
    files = r.json()["files"]
    assert set(files) == set(cli)
    assert {p: v.encode() for p, v in files.items()} == cli
    assert r.json()["summary"]["files"] == len(cli)
    with tarfile.open(fileobj=io.BytesIO(t.content), mode="r:gz") as tar:
        tree = {m.name.split("/", 1)[1]: tar.extractfile(m).read()
                for m in tar.getmembers() if m.isfile()}
    assert tree == cli


def test_the_sa2_style_is_the_tree_the_cli_writes_with_it(server, blog, tmp_path):
    cli = cli_tree(tmp_path, "--style", "sa2")
    body = json.dumps({"schema": blog, "options": {"style": "sa2"}})
    with server.client() as c:
        r = post_json(c, "/api/v1/generate", body, server.auth())
        bad = post_json(c, "/api/v1/generate",
                        json.dumps({"schema": blog, "options": {"style": "sa3"}}), server.auth())
    assert r.status_code == 200, r.text
    files = r.json()["files"]
    assert "Mapped[" in files["app/models/posts.py"]
    assert {p: v.encode() for p, v in files.items()} == cli
    assert bad.status_code == 400
    assert "style" in bad.json()["error"]["message"]


def test_generate_of_invalid_schema_is_422(server):
    with server.client() as c:
        r = post_json(c, "/api/v1/generate", BAD_SCHEMA, server.auth())
    assert r.status_code == 422
    assert r.json()["diagnostics"]


def test_metrics_count_requests_and_outcomes(server, blog_text):
    with server.client() as c:
        post_json(c, "/api/v1/validate", blog_text, server.auth())
        post_json(c, "/api/v1/validate", BAD_SCHEMA, server.auth())
        c.post("/api/v1/validate", content=b"{}", headers={"Content-Type": "application/json"})
        r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.text

    def value(pattern):
        m = re.search("^" + re.escape(pattern) + r" ([0-9.e+]+)$", text, re.M)
        assert m, pattern
        return float(m.group(1))

    assert value('backbone_http_requests_total{instance="t1",route="/api/v1/validate",method="POST",status="200"}') >= 1
    assert value('backbone_http_requests_total{instance="t1",route="/api/v1/validate",method="POST",status="422"}') >= 1
    assert value('backbone_validations_total{instance="t1",outcome="valid"}') >= 1
    assert value('backbone_validations_total{instance="t1",outcome="invalid"}') >= 1
    assert value('backbone_auth_failures_total{instance="t1",reason="missing"}') >= 1
    assert value('backbone_http_request_duration_seconds_count{instance="t1",route="/api/v1/validate"}') >= 3
    assert value('backbone_http_request_size_bytes_sum{instance="t1",route="/api/v1/validate"}') > 0
    assert value('backbone_workers_alive{instance="t1"}') >= 1


def test_metrics_record_generation_stages_files_and_lines(server, blog_text):
    with server.client() as c:
        assert post_json(c, "/api/v1/generate", blog_text, server.auth()).status_code == 200
        text = c.get("/metrics").text
    assert re.search(r'^backbone_generations_total\{instance="t1",outcome="ok"\} [1-9]', text, re.M)
    assert re.search(r'^backbone_pipeline_stage_duration_seconds_count\{instance="t1",stage="[a-z]+"\} [1-9]',
                     text, re.M)
    assert re.search(r'^backbone_generated_files_total\{instance="t1"\} [1-9]', text, re.M)
    assert re.search(r'^backbone_generated_lines_total\{instance="t1"\} [1-9]', text, re.M)


def test_every_response_has_a_request_id_and_valid_ones_are_kept(server):
    with server.client() as c:
        a = c.get("/health")
        b = c.get("/health", headers={"X-Request-ID": "trace-42.a_b"})
        bad = c.get("/health", headers={"X-Request-ID": "no spaces/allowed"})
        missing = c.get("/nowhere")
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", a.headers["X-Request-ID"])
    assert b.headers["X-Request-ID"] == "trace-42.a_b"
    assert bad.headers["X-Request-ID"] != "no spaces/allowed"
    assert missing.json()["error"]["request_id"] == missing.headers["X-Request-ID"]
    assert a.headers["X-Request-ID"] != missing.headers["X-Request-ID"]


def test_each_request_logs_one_json_line_without_secrets(server, blog_text):
    with server.client() as c:
        r = post_json(c, "/api/v1/validate", blog_text, {**server.auth(), "X-Request-ID": "log-check-1"})
    assert r.status_code == 200
    server.wait_log(lambda rec: rec.get("request_id") == "log-check-1")
    lines = [rec for rec in server.log_records() if rec.get("request_id") == "log-check-1"]
    assert len(lines) == 1
    rec = lines[0]
    assert rec["identity"] == "key:tests"
    assert rec["method"] == "POST" and rec["path"] == "/api/v1/validate"
    assert rec["status"] == 200 and rec["bytes"] == len(r.content)
    assert rec["duration_ms"] >= 0 and rec["time"].endswith("Z")
    assert server.key not in server.read_log()


def test_cors_preflight_answers_allowed_origins_only(server):
    with server.client() as c:
        ok = c.options("/api/v1/validate", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        other = c.options("/api/v1/validate", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        simple = c.get("/health", headers={"Origin": "https://app.example"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in ok.headers["Access-Control-Allow-Headers"]
    assert "traceparent" in ok.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_repeated_request_is_computed_again_with_the_same_answer(server, blog):
    text = json.dumps({"schema": blog, "options": {"strict": False}}, indent=3)
    with server.client() as c:
        before = generations_ok(c)
        first = post_json(c, "/api/v1/generate", text, server.auth())
        second = post_json(c, "/api/v1/generate", text, server.auth())
        after = generations_ok(c)
    assert first.status_code == second.status_code == 200
    assert second.json()["files"] == first.json()["files"]
    assert "X-Cache" not in second.headers
    assert after - before == 2


def generations_ok(c):
    for line in c.get("/metrics").text.splitlines():
        if line.startswith('backbone_generations_total{instance="t1",outcome="ok"} '):
            return float(line.split()[-1])
    return 0.0


def test_generation_with_a_model_runs_as_a_job(fresh_server, blog):
    # The model is unreachable (a closed loopback port): the job falls back
    # to the deterministic generation and still completes.
    from conftest import HIGH_LIMITS
    s = fresh_server(args=HIGH_LIMITS,
                     env={"BACKBONE_LLM_BASE_URL": "http://127.0.0.1:9", "OPENAI_API_KEY": "",
                          "ANTHROPIC_API_KEY": "", "BACKBONE_LLM_PROVIDER": "openai"})
    body = json.dumps({"schema": blog, "options": {"llm": "advise"}})
    with s.client() as c:
        r = post_json(c, "/api/v1/generate", body, s.auth())
        assert r.status_code == 202, r.text
        job = r.json()
        assert re.fullmatch(r"[0-9a-f]{32}", job["job"])
        assert r.headers["Location"] == job["status_url"] == "/api/v1/jobs/" + job["job"]
        assert c.get(job["status_url"]).status_code == 401
        for _ in range(600):
            st = c.get(job["status_url"], headers=s.auth())
            assert st.status_code == 200
            if st.json()["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
        final = st.json()
        unknown = c.get("/api/v1/jobs/" + "0" * 32, headers=s.auth())
    assert final["state"] == "done", final
    assert final["status"] == 200
    assert final["result"]["files"]
    assert unknown.status_code == 404


def test_strict_turns_warnings_into_errors_in_either_wrapper_form(server, blog):
    # The design lints are silenced: the unknown key is the one warning.
    typo = dict(blog, descripton="an unknown key: a warning",
                allow=["fk-without-index", "missing-timestamps"])
    with server.client() as c:
        plain = post_json(c, "/api/v1/validate", json.dumps(typo), server.auth())
        original = post_json(c, "/api/v1/validate",
                             json.dumps({"schema": typo, "strict_validation": True,
                                         "enable_code_validation": True}), server.auth())
        relaxed = post_json(c, "/api/v1/validate",
                            json.dumps({"schema": typo, "strict_validation": False}), server.auth())
        options = post_json(c, "/api/v1/validate",
                            json.dumps({"schema": typo, "options": {"strict": True}}), server.auth())
    assert plain.status_code == 200
    assert [d["severity"] for d in plain.json()["diagnostics"]] == ["warning"]
    assert original.status_code == 422
    assert relaxed.status_code == 200
    assert options.status_code == 422
    assert options.json()["diagnostics"][0]["severity"] == "error"
