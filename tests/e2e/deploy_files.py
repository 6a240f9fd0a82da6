"""Checks the deployment files of a generated project that no engine runs here.

    python3 deploy_files.py PROJECT

compose.yaml and .github/workflows/ci.yml must parse and say what the
project's README promises: the app built from the project, next to a
PostgreSQL it waits for; a workflow whose check step is scripts/ci.sh, with
a PostgreSQL service when the project's database is PostgreSQL. Every file the Dockerfile copies must exist, and
.env.example must list exactly the settings app/core/config.py reads.
Prints each problem; exits 1 when there is one.
"""

import os
import re
import shlex
import sys

import yaml

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def load(project, name):
    with open(os.path.join(project, name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def check_compose(project):
    compose = load(project, "compose.yaml")
    services = compose.get("services", {})
    app, db = services.get("app", {}), services.get("db", {})
    expect(app.get("build") == ".", "compose: app is not built from the project")
    expect(
        str(db.get("image", "")).startswith("postgres:"),
        "compose: db is not PostgreSQL",
    )
    expect("healthcheck" in db, "compose: db has no health check")
    waits = app.get("depends_on", {}).get("db", {}).get("condition")
    expect(waits == "service_healthy", "compose: app does not wait for a healthy db")
    url = app.get("environment", {}).get("DATABASE_URL", "")
    expect(
        re.match(r"postgresql://[^@]+@db:5432/\w+$", url),
        "compose: DATABASE_URL " + url,
    )
    for volume in db.get("volumes", []):
        name = volume.split(":")[0]
        expect(
            name in (compose.get("volumes") or {}),
            "compose: volume %s undeclared" % name,
        )


def check_workflow(project):
    workflow = load(project, ".github/workflows/ci.yml")
    # YAML 1.1 reads the key `on` as true.
    expect(workflow.get(True) or workflow.get("on"), "ci.yml: no trigger")
    jobs = workflow.get("jobs", {})
    expect(len(jobs) == 1, "ci.yml: one job expected")
    # A project of another database has PostgreSQL's driver as an extra and
    # runs its CI on SQLite.
    with open(os.path.join(project, "pyproject.toml"), encoding="utf-8") as f:
        postgresql = not re.search(r"^postgresql = ", f.read(), re.M)
    for job in jobs.values():
        image = (job.get("services") or {}).get("postgres", {}).get("image", "")
        expect(
            image.startswith("postgres:") == postgresql,
            "ci.yml: a PostgreSQL service only for a PostgreSQL project",
        )
        expect(
            ("CI_DATABASE_URL" in (job.get("env") or {})) == postgresql,
            "ci.yml: CI_DATABASE_URL only with the PostgreSQL service",
        )
        runs = [step["run"] for step in job.get("steps", []) if "run" in step]
        expect("sh scripts/ci.sh" in runs, "ci.yml: scripts/ci.sh is not a step")
        expect(
            any(".[test" in run for run in runs),
            "ci.yml: the test extra is not installed",
        )


def check_dockerfile(project):
    with open(os.path.join(project, "Dockerfile"), encoding="utf-8") as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    for line in lines:
        words = shlex.split(line) if line.startswith("COPY ") else []
        if words and not words[1].startswith("--from="):
            for source in words[1:-1]:
                expect(
                    os.path.exists(os.path.join(project, source)),
                    "Dockerfile: COPY of a missing " + source,
                )


def check_env_example(project):
    with open(os.path.join(project, ".env.example"), encoding="utf-8") as f:
        listed = set(re.findall(r"^([A-Z_]+)=", f.read(), re.M))
    with open(os.path.join(project, "app/core/config.py"), encoding="utf-8") as f:
        read = set(re.findall(r'env(?:\.get\(|, )"([A-Z_]+)"', f.read()))
    expect(
        listed == read,
        ".env.example lists %s, config.py reads %s" % (sorted(listed), sorted(read)),
    )


def main():
    project = sys.argv[1]
    for check in (check_compose, check_workflow, check_dockerfile, check_env_example):
        try:
            check(project)
        except (OSError, yaml.YAMLError, AttributeError, KeyError) as e:
            problems.append("%s: %s" % (check.__name__, e))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
