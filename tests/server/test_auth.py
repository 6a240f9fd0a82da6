"""Every way around the credentials is refused; valid ones are accepted."""
import time

from conftest import HIGH_LIMITS, JWT_SECRET, Server, make_jwt

PROTECTED = "/api/v1/validate"


def validate(server, blog_text, headers):
    with server.client() as c:
        return c.post(PROTECTED, content=blog_text.encode(),
                      headers={"Content-Type": "application/json", **headers})


def assert_refused(r):
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.json()["error"]["request_id"] == r.headers["X-Request-ID"]
    assert "WWW-Authenticate" in r.headers


def claims(**extra):
    now = int(time.time())
    c = {"sub": "alice", "iat": now, "exp": now + 300}
    c.update(extra)
    return c


def test_api_key_is_accepted(server, blog_text):
    assert validate(server, blog_text, server.auth()).status_code == 200


def test_valid_jwt_is_accepted(server, blog_text):
    r = validate(server, blog_text, {"Authorization": "Bearer " + make_jwt(claims())})
    assert r.status_code == 200, r.text


def test_no_credentials_is_refused(server, blog_text):
    assert_refused(validate(server, blog_text, {}))


def test_wrong_key_is_refused(server, blog_text):
    assert_refused(validate(server, blog_text, {"X-API-Key": server.key[:-1] + "x"}))
    assert_refused(validate(server, blog_text, {"X-API-Key": ""}))


def test_key_digest_is_not_a_key(server, blog_text):
    import hashlib
    digest = hashlib.sha256(server.key.encode()).hexdigest()
    assert_refused(validate(server, blog_text, {"X-API-Key": digest}))


def test_expired_jwt_is_refused(server, blog_text):
    now = int(time.time())
    token = make_jwt(claims(iat=now - 3600, exp=now - 120))
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_jwt_without_exp_is_refused(server, blog_text):
    c = claims()
    del c["exp"]
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + make_jwt(c)}))


def test_not_yet_valid_jwt_is_refused(server, blog_text):
    now = int(time.time())
    token = make_jwt(claims(nbf=now + 600, exp=now + 1200))
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_tampered_jwt_is_refused(server, blog_text):
    good = make_jwt(claims(sub="alice"))
    forged_payload = make_jwt(claims(sub="admin")).split(".")[1]
    h, _, sig = good.split(".")
    assert_refused(validate(server, blog_text,
                            {"Authorization": f"Bearer {h}.{forged_payload}.{sig}"}))
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + flipped}))


def test_alg_none_jwt_is_refused(server, blog_text):
    token = make_jwt(claims(), header={"alg": "none", "typ": "JWT"}, alg=None)
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_hs512_jwt_is_refused(server, blog_text):
    token = make_jwt(claims(), header={"alg": "HS512", "typ": "JWT"}, alg="sha512")
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_jwt_with_wrong_secret_is_refused(server, blog_text):
    token = make_jwt(claims(), secret=JWT_SECRET + "-not")
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_jwt_signed_with_the_api_key_is_refused(server, blog_text):
    token = make_jwt(claims(), secret=server.key)
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_padded_base64_jwt_is_refused(server, blog_text):
    token = make_jwt(claims()) + "="
    assert_refused(validate(server, blog_text, {"Authorization": "Bearer " + token}))


def test_either_credential_suffices(server, blog_text):
    r = validate(server, blog_text, {"X-API-Key": "wrong",
                                     "Authorization": "Bearer " + make_jwt(claims())})
    assert r.status_code == 200


def test_jwt_identity_is_its_subject_in_the_log(server, blog_text):
    r = validate(server, blog_text, {"Authorization": "Bearer " + make_jwt(claims(sub="carol")),
                                     "X-Request-ID": "jwt-identity-1"})
    assert r.status_code == 200
    rec = server.wait_log(lambda x: x.get("request_id") == "jwt-identity-1")
    assert rec["identity"] == "jwt:carol"


def test_auth_failures_are_counted_by_reason(server, blog_text):
    validate(server, blog_text, {"X-API-Key": "nope"})
    with server.client() as c:
        text = c.get("/metrics").text
    assert 'backbone_auth_failures_total{instance="t1",reason="bad_key"}' in text


def test_server_without_credentials_starts_and_explains(fresh_server, blog_text):
    s = fresh_server(keys=False, jwt=False)
    with s.client() as c:
        assert c.get("/health").status_code == 200
        assert c.get("/metrics").status_code == 200
        r = c.post(PROTECTED, content=blog_text.encode(),
                   headers={"Content-Type": "application/json", "X-API-Key": "anything"})
    assert r.status_code == 401
    msg = r.json()["error"]["message"]
    assert "backbone keys new" in msg and "BACKBONE_API_KEYS" in msg
    # How to configure, said to anyone; where the keys file lives is not.
    assert s.dir not in msg and "api-keys" not in msg, msg


def test_jwt_issuer_and_audience_are_enforced_when_configured(fresh_server, blog_text):
    s = fresh_server(args=["--jwt-issuer", "https://idp.example", "--jwt-audience", "backbone"])
    ok = make_jwt(claims(iss="https://idp.example", aud="backbone"))
    wrong_iss = make_jwt(claims(iss="https://other.example", aud="backbone"))
    no_aud = make_jwt(claims(iss="https://idp.example"))
    assert validate(s, blog_text, {"Authorization": "Bearer " + ok}).status_code == 200
    assert_refused(validate(s, blog_text, {"Authorization": "Bearer " + wrong_iss}))
    assert_refused(validate(s, blog_text, {"Authorization": "Bearer " + no_aud}))


def test_api_keys_from_the_environment_are_digests(fresh_server, blog_text):
    import hashlib
    key = "env-provided-key-123"
    digest = hashlib.sha256(key.encode()).hexdigest()
    s = fresh_server(keys=False, jwt=False, env={"BACKBONE_API_KEYS": f"deploy:{digest}"})
    assert validate(s, blog_text, {"X-API-Key": key}).status_code == 200
    assert_refused(validate(s, blog_text, {"X-API-Key": digest}))


def test_no_auth_serves_without_credentials_and_warns(fresh_server, blog_text):
    s = fresh_server(args=["--no-auth"], keys=False, jwt=False)
    assert validate(s, blog_text, {}).status_code == 200
    assert any(rec.get("level") == "warn" and "--no-auth" in rec.get("msg", "")
               for rec in s.log_records())


def test_short_jwt_secret_is_refused_at_start(tmp_path):
    import os
    import subprocess
    env = {**os.environ, "BACKBONE_JWT_SECRET": "too-short", "XDG_CONFIG_HOME": str(tmp_path)}
    p = subprocess.run([os.environ["BACKBONE"], "serve", "--port", "0"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "at least 32 bytes" in p.stderr


def test_keys_file_writable_by_others_is_warned_about(fresh_server):
    s = fresh_server(keys_mode=0o666)
    assert any(rec.get("level") == "warn" and "writable by other users" in rec.get("msg", "")
               for rec in s.log_records())
    quiet = fresh_server()
    assert not any("writable by other users" in rec.get("msg", "")
                   for rec in quiet.log_records())


def test_two_tenants_sending_one_body_each_get_their_own_generation(fresh_server, blog_text):
    import hashlib
    other = "bb_second-tenant-key"
    digest = hashlib.sha256(other.encode()).hexdigest()
    s = fresh_server(args=HIGH_LIMITS, env={"BACKBONE_API_KEYS": "other:" + digest})
    headers = {"Content-Type": "application/json"}
    with s.client() as c:
        a = c.post("/api/v1/generate", content=blog_text.encode(), headers={**headers, **s.auth()})
        b = c.post("/api/v1/generate", content=blog_text.encode(),
                   headers={**headers, "X-API-Key": other})
        metrics = c.get("/metrics").text
    assert a.status_code == b.status_code == 200
    # No answer computed for one tenant is served to another, nor said to be.
    assert "X-Cache" not in a.headers and "X-Cache" not in b.headers
    assert 'backbone_generations_total{instance="t1",outcome="ok"} 2\n' in metrics, metrics
