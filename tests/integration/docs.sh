#!/bin/sh
# docs.sh - the commands the documentation shows exist as written: every
# `backbone COMMAND` in README.md and docs/*.md is a command, every option
# shown with it is one that command's --help lists, and every `make TARGET`
# is a target of the Makefile. Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
T=$(mktemp -d /tmp/bb-docs-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"

/usr/bin/python3 - "$BB" README.md docs/*.md >"$T/out" 2>&1 <<'PYEOF' || {
import re
import subprocess
import sys

binary, files = sys.argv[1], sys.argv[2:]
helps = {}


def help_of(command):
    if command not in helps:
        r = subprocess.run([binary, command, "--help"], capture_output=True, text=True)
        helps[command] = r.stdout if r.returncode == 0 else None
    return helps[command]


targets = set(re.findall(r"^([a-z][\w-]*):", open("Makefile").read(), re.M))
problems, commands, options = [], 0, 0


def shown_commands(path):
    """(line number, command text) of each backbone command the page shows:
    in a code block, or in an inline code span."""
    fenced = False
    for number, line in enumerate(open(path), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            if line.lstrip().startswith("#"):
                continue  # a comment in a script
            for m in re.finditer(r"(?:^|[\s$(])(backbone +[a-z].*)", line):
                yield number, m.group(1)
        else:
            for span in re.findall(r"`([^`]+)`", line):
                if span.startswith("backbone "):
                    yield number, span


for path in files:
    for number, text in shown_commands(path):
        where = "%s:%d" % (path, number)
        m = re.match(r"backbone +([a-z]+)((?: +[^\s`|;&)<>]+)*)", text)
        command, rest = m.group(1), m.group(2)
        help_text = help_of(command)
        if help_text is None:
            problems.append("%s: 'backbone %s' is no command" % (where, command))
            continue
        commands += 1
        for opt in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", rest):
            options += 1
            if opt not in ("-h", "--help") and not re.search(
                    r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", help_text):
                problems.append("%s: backbone %s: %s is not in its --help" % (where, command, opt))
for path in files:
    for number, line in enumerate(open(path), 1):
        for target in re.findall(r"`make ([a-z][\w-]*)", line):
            if target not in targets:
                problems.append("%s:%d: make %s is no target of the Makefile" % (path, number, target))
print("\n".join(problems))
print("%d commands with %d options read" % (commands, options))
sys.exit(1 if problems or commands < 20 else 0)
PYEOF
    cat "$T/out" >&2
    fail "the documentation shows commands that do not exist as written"
}
ok "$(tail -n 1 "$T/out") in README.md and docs/: each exists as written"
echo "docs.sh: $n checks passed"
