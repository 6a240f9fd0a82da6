"""pyfmt_flatten.py FILE - FILE as templates that write one statement a line
would hand it to the formatting pass: every statement written over several
lines (without comments or multiline strings) joined onto one line, trailing
commas kept, and the top import block split into one `from m import n` line
per name, shuffled, a few of them repeated. Writes the result to stdout."""
import io
import random
import re
import sys
import tokenize


def join_statements(src):
    lines = src.splitlines(keepends=True)
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    # group tokens into logical lines
    spans = []
    cur = []
    for t in toks:
        if t.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            if t.type == tokenize.NL and cur:
                cur.append(t)
            continue
        cur.append(t)
        if t.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            spans.append(cur)
            cur = []
    joins = {}
    for sp in spans:
        code = [
            t
            for t in sp
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
        ]
        if not code:
            continue
        first, last = code[0].start[0], code[-1].end[0]
        if first == last:
            continue
        if any(t.type == tokenize.COMMENT for t in code):
            continue
        if any(t.type == tokenize.STRING and "\n" in t.string for t in code):
            continue
        text = ""
        prev = None
        for t in code:
            if prev is not None:
                if t.start[0] == prev.end[0]:
                    text += lines[t.start[0] - 1][prev.end[1] : t.start[1]]
                else:
                    tight = prev.string in "([{" or t.string in ")]},"
                    if not tight and not (t.string == "." and prev.string in ")]}"):
                        text += " "
            text += t.string
            prev = t
        indent = lines[first - 1][
            : len(lines[first - 1]) - len(lines[first - 1].lstrip())
        ]
        joins[first] = (last, indent + text + "\n")
    res, n = [], 1
    while n <= len(lines):
        if n in joins:
            last, text = joins[n]
            res.append(text)
            n = last + 1
        else:
            res.append(lines[n - 1])
            n += 1
    return "".join(res)


def split_imports(src, seed):
    lines = src.splitlines(keepends=True)
    # block: first import line .. last import line before other code at col 0
    i = 0
    while i < len(lines) and not re.match(r"(import|from) ", lines[i]):
        if lines[i].startswith(('"""', "'''")) and not (lines[i].count('"""') >= 2):
            i += 1
            while i < len(lines) and '"""' not in lines[i]:
                i += 1
        i += 1
    if i >= len(lines):
        return src
    j = i
    items = []
    while j < len(lines):
        line = lines[j]
        if line.strip() == "":
            j += 1
            continue
        m = re.match(r"from (\S+) import (.*)", line)
        if m:
            mod, rest = m.group(1), m.group(2)
            if "#" in rest:
                items.append(line.rstrip("\n"))
                j += 1
                continue
            if rest.startswith("(") and rest.rstrip().endswith(")"):
                names = [x.strip() for x in rest.strip()[1:-1].split(",") if x.strip()]
                j += 1
            elif rest.startswith("("):
                names = []
                j += 1
                while not lines[j].startswith(")"):
                    names.append(lines[j].strip().rstrip(","))
                    j += 1
                j += 1
            else:
                names = [x.strip() for x in rest.split(",")]
                j += 1
            for nm in names:
                items.append("from %s import %s" % (mod, nm))
                if random.Random(seed + len(items)).random() < 0.2:
                    items.append("from %s import %s" % (mod, nm))  # a repeat
            continue
        if re.match(r"import ", line):
            items.append(line.rstrip("\n"))
            j += 1
            continue
        break
    random.Random(seed).shuffle(items)
    return "".join(lines[:i]) + "\n".join(items) + "\n" + "\n" + "".join(lines[j:])


src = open(sys.argv[1]).read()
src = join_statements(src)
src = split_imports(src, len(src))
sys.stdout.write(src)
