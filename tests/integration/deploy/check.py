#!/usr/bin/env python3
"""check.py - reads backbone's deployment artefacts (deploy/) and checks
what no tool here runs: the Dockerfile's stages, the compose file, the
Kubernetes manifests, and the commands of docs/deploy.md.

    check.py dockerfile deploy/Dockerfile scripts/deps.sh   prints the runtime packages
    check.py compose deploy/compose.yaml
    check.py k8s deploy/k8s/backbone.yaml deploy/k8s/redis.yaml   prints the probe paths
    check.py docs docs/deploy.md > script.sh   the commands this machine can run

Each exits 1 with the faults on standard error.
"""
import os
import re
import shlex
import sys

import yaml

faults = []


def fault(msg):
    faults.append(msg)


def finish():
    if faults:
        for f in faults:
            print("check.py: " + f, file=sys.stderr)
        sys.exit(1)


# ---- Dockerfile -------------------------------------------------------------

def dockerfile_stages(path):
    """[(name, base, [(instruction, argument)])] with continuation lines joined."""
    text = open(path).read().replace("\\\n", " ")
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, arg = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arg.strip(), re.I)
            stages.append((m.group(2), m.group(1), []))
        elif stages:
            stages[-1][2].append((word, " ".join(arg.split())))
    return stages


def apt_packages(steps):
    pkgs = []
    for word, arg in steps:
        if word == "RUN":
            for m in re.finditer(r"apt-get install ((?:[^&;|])*)", arg):
                pkgs += [w for w in m.group(1).split() if not w.startswith("-")]
    return pkgs


def deps_build_packages(path):
    m = re.search(r'^build_pkgs="([^"]*)"', open(path).read(), re.M)
    return m.group(1).split() if m else []


def check_dockerfile(path, deps_script):
    stages = dockerfile_stages(path)
    if len(stages) != 2:
        fault("%s: %d stages, not build and runtime" % (path, len(stages)))
        finish()
    (bname, bbase, bsteps), (rname, rbase, rsteps) = stages
    for base in (bbase, rbase):
        if not re.fullmatch(r"debian:12(-slim)?|debian:bookworm(-slim)?", base):
            fault("base %s is not Debian 12" % base)
    if sorted(apt_packages(bsteps)) != sorted(deps_build_packages(deps_script)):
        fault("the build stage installs %s, scripts/deps.sh build wants %s"
              % (sorted(apt_packages(bsteps)), sorted(deps_build_packages(deps_script))))
    if ("RUN", "sh deploy/build.sh /out") not in bsteps:
        fault("the build stage does not run deploy/build.sh")
    runtime = apt_packages(rsteps)
    for p in runtime:
        if p.endswith("-dev") or p in ("gcc", "make", "pkg-config", "cpp"):
            fault("the runtime stage installs the build tool %s" % p)
    copies = [a for w, a in rsteps if w == "COPY"]
    if not copies or not all(a.startswith("--from=%s " % bname) for a in copies):
        fault("the runtime stage copies %s, not only from the build stage" % copies)
    users = [a for w, a in rsteps if w == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        fault("the runtime stage runs as root")
    elif not any("useradd" in a and "--uid %s" % users[-1].split(":")[0] in a
                 for w, a in rsteps if w == "RUN"):
        fault("user %s is not made in the runtime stage" % users[-1])
    entry = [a for w, a in rsteps if w == "ENTRYPOINT"]
    if entry != ['["/usr/local/bin/backbone"]']:
        fault("entrypoint %s" % entry)
    finish()
    print("\n".join(runtime))


# ---- compose ----------------------------------------------------------------

def check_compose(path):
    here = os.path.dirname(os.path.abspath(path))
    doc = yaml.safe_load(open(path))
    services = doc.get("services", {})
    for name in ("backbone", "redis", "nginx", "prometheus"):
        if name not in services:
            fault("compose: no service %s" % name)
    finish()
    bb = services["backbone"]
    if bb.get("deploy", {}).get("replicas", 1) < 2:
        fault("compose: backbone has fewer than two replicas")
    build = bb.get("build", {})
    if not os.path.isfile(os.path.join(here, build.get("context", "."), build.get("dockerfile", "Dockerfile"))):
        fault("compose: the backbone build names no Dockerfile")
    cmd = bb.get("command", [])
    if cmd[:1] != ["serve"]:
        fault("compose: backbone's command is not serve: %s" % cmd)

    def option(name):
        return cmd[cmd.index(name) + 1] if name in cmd and cmd.index(name) + 1 < len(cmd) else None
    if option("--redis") != "redis://redis:6379/0":
        fault("compose: backbone does not use the redis service: %s" % option("--redis"))
    if option("--host") != "0.0.0.0":
        fault("compose: backbone does not listen beyond its container")
    nginx_ip = services["nginx"].get("networks", {}).get("backbone", {}).get("ipv4_address")
    if option("--trusted-proxy") != nginx_ip:
        fault("compose: --trusted-proxy %s is not nginx's address %s" % (option("--trusted-proxy"), nginx_ip))
    if "redis" not in bb.get("depends_on", {}):
        fault("compose: backbone does not wait for redis")
    if str(bb.get("user", "0")).split(":")[0] in ("0", "root"):
        fault("compose: backbone runs as root")
    if "BACKBONE_API_KEYS" not in bb.get("environment", {}):
        fault("compose: no API keys for backbone")
    grace = option("--shutdown-grace")
    stop = str(bb.get("stop_grace_period", "10s"))
    if grace is None or not stop.endswith("s") or int(stop[:-1]) <= int(grace):
        fault("compose: stop_grace_period %s does not outlast --shutdown-grace %s" % (stop, grace))
    for svc, mounts in (("nginx", ["/etc/nginx/nginx.conf"]),
                        ("prometheus", ["/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"])):
        vols = services[svc].get("volumes", [])
        for target in mounts:
            src = [v.split(":")[0] for v in vols if v.split(":")[1] == target]
            if not src or not os.path.isfile(os.path.join(here, src[0])):
                fault("compose: %s's %s is not a file of deploy/" % (svc, target))
    if "--config.file=/etc/prometheus/prometheus.yml" not in services["prometheus"].get("command", []):
        fault("compose: prometheus does not read the mounted config")
    prom = yaml.safe_load(open(os.path.join(here, "prometheus/prometheus.yml")))
    jobs = [j for j in prom["scrape_configs"] if j["job_name"] == "backbone"]
    if not jobs or not jobs[0].get("honor_labels"):
        fault("prometheus: the backbone job does not keep the instance label (honor_labels)")
    elif [sd["names"] for sd in jobs[0].get("dns_sd_configs", [])] != [["backbone"]]:
        fault("prometheus: the backbone job does not find every replica by DNS")
    finish()


# ---- Kubernetes -------------------------------------------------------------

def check_k8s(paths):
    docs = [d for p in paths for d in yaml.safe_load_all(open(p)) if d]
    by_kind = {}
    for d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in d:
                fault("k8s: a document without %s" % key)
        by_kind.setdefault(d.get("kind"), []).append(d)
    finish()
    deps = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    if "backbone" not in deps or "redis" not in deps:
        fault("k8s: Deployments %s, not backbone and redis" % sorted(deps))
        finish()
    dep = deps["backbone"]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
        fault("k8s: the backbone selector does not match its pods")
    if spec.get("replicas", 1) < 2:
        fault("k8s: fewer than two backbone replicas")
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        fault("k8s: backbone may run as root")
    c = pod["containers"][0]
    args = c.get("args", [])
    if "--redis" not in args or args[args.index("--redis") + 1] != "redis://redis:6379/0":
        fault("k8s: backbone does not use the redis Service")
    env = {e["name"]: e for e in c.get("env", [])}
    if env.get("BACKBONE_INSTANCE", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        fault("k8s: the instance label is not the pod's name")
    if "BACKBONE_API_KEYS" not in env:
        fault("k8s: no API keys")
    grace = int(args[args.index("--shutdown-grace") + 1]) if "--shutdown-grace" in args else 30
    if pod.get("terminationGracePeriodSeconds", 30) <= grace:
        fault("k8s: terminationGracePeriodSeconds does not outlast --shutdown-grace")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    paths = []
    for probe in ("livenessProbe", "readinessProbe"):
        get = c.get(probe, {}).get("httpGet")
        if not get:
            fault("k8s: no %s over HTTP" % probe)
            continue
        if get["port"] not in ports and get["port"] not in ports.values():
            fault("k8s: %s's port %s is not the container's" % (probe, get["port"]))
        paths.append(get["path"])
    if not c.get("resources", {}).get("requests", {}).get("cpu"):
        fault("k8s: no CPU request, which a CPU-based HPA needs")
    hpas = [h for h in by_kind.get("HorizontalPodAutoscaler", []) if h["spec"]["scaleTargetRef"]["name"] == "backbone"]
    if not hpas:
        fault("k8s: no HPA scales backbone")
    else:
        h = hpas[0]
        if h["apiVersion"] != "autoscaling/v2" or h["spec"]["scaleTargetRef"]["kind"] != "Deployment":
            fault("k8s: the HPA is not autoscaling/v2 on the Deployment")
        if not 2 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"]:
            fault("k8s: HPA replicas %s..%s" % (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]))
        if not any(m.get("resource", {}).get("name") == "cpu" for m in h["spec"].get("metrics", [])):
            fault("k8s: the HPA does not scale on CPU")
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    for name, d in deps.items():
        s = services.get(name)
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        if not s or any(pod_labels.get(k) != v for k, v in s["spec"]["selector"].items()):
            fault("k8s: no Service selects the %s pods" % name)
    redis_port = services.get("redis", {}).get("spec", {}).get("ports", [{}])[0].get("port")
    if redis_port != 6379:
        fault("k8s: the redis Service is not on 6379")
    finish()
    print("\n".join(paths))


# ---- docs/deploy.md ---------------------------------------------------------

NEEDS_ENGINE = ("docker", "kubectl")


def check_docs(path, root):
    """Prints the sh blocks this machine can run, as one script; checks the
    others (Docker, Kubernetes) name files that exist."""
    text = open(path).read()
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
    if not blocks:
        fault("%s: no sh blocks" % path)
    out = []
    for block in blocks:
        commands = [c for c in block.replace("\\\n", " ").splitlines() if c.strip() and not c.startswith("#")]
        first = commands[0].split()[0] if commands else ""
        if first in NEEDS_ENGINE:
            for c in commands:
                words = shlex.split(c)
                for flag, arg in zip(words, words[1:]):
                    if flag == "-f" and not os.path.exists(os.path.join(root, arg)):
                        fault("%s: '%s' names %s, which does not exist" % (path, c, arg))
            continue
        out.append(block)
    finish()
    print("set -eux")
    print("\n".join(out))


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "dockerfile":
        check_dockerfile(*args)
    elif what == "compose":
        check_compose(*args)
    elif what == "k8s":
        check_k8s(args)
    elif what == "docs":
        check_docs(args[0], os.getcwd())
    else:
        sys.exit("usage: check.py dockerfile|compose|k8s|docs ...")


if __name__ == "__main__":
    main()
