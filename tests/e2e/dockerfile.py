"""Builds and starts a generated project's image without Docker.

Run by tests/e2e/run.sh inside the Debian 13 root (lib/debian13.sh), as root
in a private mount namespace, in the project folder (the build context):

    python3 - < dockerfile.py        # DATABASE_URL and PORT: the container's

The image's file system is an overlay over the root, thrown away with the
namespace. Every instruction of the Dockerfile runs as Docker would run it
(stages share the overlay, so `COPY --from` of the same path is a no-op),
with two differences: the root's Python stands for the base image's, and pip
is offline, so a virtual environment sees the root's Debian packages and pip
installs the project alone. Then the image's command starts as the image's
user, and the HEALTHCHECK command must succeed within a minute.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

IMAGE = "/tmp/image"
ROOT = IMAGE + "/root"
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_DEPS": "1"}


def instructions(path):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.strip()


def expand(value, env):
    for name, setting in sorted(env.items(), key=lambda item: -len(item[0])):
        value = value.replace("${%s}" % name, setting).replace("$" + name, setting)
    return value


def mount_image():
    for name in ("upper", "work", "root"):
        os.makedirs(f"{IMAGE}/{name}")
    lower = "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (IMAGE, IMAGE)
    run(["mount", "-t", "overlay", "overlay", "-o", lower, ROOT])
    run(["mount", "--rbind", "/dev", ROOT + "/dev"])
    run(["mount", "--bind", "/proc", ROOT + "/proc"])
    run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmp", ROOT + "/tmp"])


def run(argv, **kwargs):
    print("+", " ".join(argv[-1:] if argv[0] == "chroot" else argv), flush=True)
    subprocess.run(argv, check=True, **kwargs)


def in_image(command, env, workdir, user):
    """argv running the shell command in the image, as user, in workdir."""
    pairs = ["%s=%s" % item for item in sorted(env.items())]
    shell = "cd %s && %s" % (shlex.quote(workdir), command)
    return (
        ["chroot", "--userspec=%s:%s" % (user, user), ROOT, "/usr/bin/env", "-i"]
        + pairs
        + ["/bin/sh", "-c", shell]
    )


def let_venvs_see_debian():
    """Every virtual environment made so far sees the root's packages."""
    for folder, _, files in os.walk(IMAGE + "/upper"):
        if "pyvenv.cfg" in files:
            path = os.path.join(folder, "pyvenv.cfg")
            text = open(path, encoding="utf-8").read()
            text = text.replace(
                "include-system-site-packages = false",
                "include-system-site-packages = true",
            )
            open(path, "w", encoding="utf-8").write(text)


def copy(sources, destination, workdir):
    target = ROOT + os.path.join(workdir, destination)
    for source in sources:
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target.rstrip("/") + "/x"), exist_ok=True)
            shutil.copy(source, target)


def build(dockerfile):
    """The final stage's env, workdir, user, command and health check."""
    args, env, workdir, user = {}, {}, "/", "root"
    stages = 0
    image = {}
    for word, rest in instructions(dockerfile):
        if word == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
        elif word == "FROM":
            stages += 1
            env = {
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            }
            workdir, user = "/", "root"
            print("FROM", expand(rest, args), "(the Debian 13 root stands for it)")
        elif word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = expand(value, env)
        elif word == "WORKDIR":
            workdir = os.path.join(workdir, rest)
            os.makedirs(ROOT + workdir, exist_ok=True)
        elif word == "COPY":
            parts = shlex.split(rest)
            if parts[0].startswith("--from="):
                assert parts[1:-1] == [parts[-1]], "COPY --from must keep the path"
                continue
            copy(parts[:-1], parts[-1], workdir)
        elif word == "RUN":
            run(in_image(rest, {**env, **OFFLINE}, workdir, user))
            let_venvs_see_debian()
        elif word == "USER":
            user = rest
        elif word in ("CMD", "HEALTHCHECK", "EXPOSE"):
            image[word] = rest
        else:
            raise SystemExit("dockerfile.py: %s is not handled" % word)
    assert stages >= 2, "a multi-stage build"
    assert user not in ("root", "0"), "the image runs as an unprivileged user"
    return env, workdir, user, image


def main():
    mount_image()
    env, workdir, user, image = build("Dockerfile")
    for name in ("DATABASE_URL", "PORT"):
        env[name] = os.environ[name]
    command = " ".join(shlex.quote(word) for word in json.loads(image["CMD"]))
    check = image["HEALTHCHECK"].split(" CMD ", 1)[1]
    server = subprocess.Popen(in_image("exec " + command, env, workdir, user))
    try:
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline:
            probe = in_image(check, env, workdir, user)
            if subprocess.run(probe, stderr=subprocess.DEVNULL).returncode == 0:
                print("the container is healthy")
                return 0
            time.sleep(0.5)
        print("the container never became healthy")
        return 1
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
