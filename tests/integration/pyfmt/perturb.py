"""Rewrites of Black-formatted Python that keep the program, for pyfmt_ast.sh.

    perturb.py rewrite FILES DIR    each file named in FILES (one a line)
                                    rewritten by each KIND into DIR/N.py;
                                    prints "N KIND FILE" for each one that
                                    changed (an unchanged one is not kept)
    perturb.py same INPUTS A B      for each "N ..." line of INPUTS, whether
                                    A/N.py and B/N.py parse to the same
                                    program; prints those that do not

KIND is one of:
  join      every statement spread over lines inside brackets on one line
  explode   a line break after every opening bracket and comma in brackets
  comment   the same, with a comment before each of those line breaks
  keyword   `return x`, `if x:`, `while x:`, `assert x` and `for a in x:`
            written `return(x)`, `if(x):`, ... against their keyword
  parens    the value of every plain assignment in doubled parentheses
  spacing   one-line statements written `f( a ,b )`: blanks inside brackets
            and before commas, none after them
  tight     one-line statements written `x=a+b`, `f(a:int=1)->int:`,
            `x[a+1:]`, `2**8`: no blanks around operators, `=`, `->` and
            colons
  wide      the same written `x  =  a  +  b`, `f(a  =  1)`, `-  1`,
            `x  :  int`, `x[a  :  b]`: two blanks around them and after
            unary operators
  quotes    double-quoted strings without quotes or escapes in single quotes
  docstring the docstrings of indented blocks with blanks inside their
            quotes and at their lines' ends, later lines indented further
  squeeze   no blank line between statements
  spread    three blank lines before every statement
Kinds joined by "+" are applied in turn: "keyword+explode".

A statement that holds a comment inside its brackets is left as it is: a
line break there is where the comment ends.
"""

import ast
import io
import keyword as keyword_module
import sys
import tokenize

OPEN = "([{"
CLOSE = ")]}"


def statements(source):
    """The tokens of each logical line, NEWLINE included."""
    line = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            continue
        line.append(tok)
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            yield line
            line = []


def offsets(source):
    """The offset in source of each line's start (lines counted from 1)."""
    starts = [0, 0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def at(starts, pos):
    """The offset of a token's (line, column) position."""
    return starts[pos[0]] + pos[1]


def between(source, starts, prev, tok):
    """The text between two tokens on one line, None across lines."""
    if prev.end[0] != tok.start[0]:
        return None
    return source[at(starts, prev.end) : at(starts, tok.start)]


def code_tokens(stmt):
    """The statement's tokens from its first code token to its last one:
    comments on lines of their own before it, and the one after it, stay
    where they are."""
    toks = [
        t
        for t in stmt
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    ]
    while toks and toks[0].type == tokenize.COMMENT:
        toks.pop(0)
    while toks and toks[-1].type == tokenize.COMMENT:
        toks.pop()
    return toks


def has_inner_comment(stmt):
    depth = 0
    for tok in stmt:
        if tok.type == tokenize.OP and tok.string in OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSE:
            depth -= 1
        elif tok.type == tokenize.COMMENT and depth:
            return True
    return False


def apply_edits(source, edits):
    """source with each (start, end, text) of edits, in order and apart,
    put in place of source[start:end]."""
    for a, b, text in reversed(edits):
        source = source[:a] + text + source[b:]
    return source


def rebuild(stmt, source, starts, gap):
    """The statement's code written again: between two tokens, what
    gap(prev, tok, between) gives, between being the source's text when
    they share a line (else None)."""
    toks = code_tokens(stmt)
    out = []
    for i, tok in enumerate(toks):
        if i:
            prev = toks[i - 1]
            out.append(gap(prev, tok, between(source, starts, prev, tok)))
        out.append(tok.string)
    return "".join(out)


def replace_statements(source, change):
    """source with each statement's code span replaced by change(stmt) when
    it gives a text."""
    starts = offsets(source)
    edits = []
    for stmt in statements(source):
        toks = code_tokens(stmt)
        if not toks:
            continue
        text = change(stmt, toks, source, starts)
        if text is None:
            continue
        first, last = toks[0], toks[-1]
        edits.append((at(starts, first.start), at(starts, last.end), text))
    return apply_edits(source, edits)


def join_gap(prev, tok, between):
    if between is not None:
        return between
    if prev.string in OPEN or tok.string in CLOSE:
        return ""
    return " "


def join(stmt, toks, source, starts):
    if toks[0].start[0] == toks[-1].end[0] or has_inner_comment(stmt):
        return None
    if any(t.type == tokenize.STRING and "\n" in t.string for t in toks):
        return None
    return rebuild(stmt, source, starts, join_gap)


def explode(stmt, toks, source, starts, note=""):
    if has_inner_comment(stmt) or not any(t.string in OPEN for t in toks):
        return None
    indent = note + "\n" + " " * (toks[0].start[1] + 4)
    depth = 0
    out = []
    for i, tok in enumerate(toks):
        if i:
            prev = toks[i - 1]
            if depth and (
                prev.string in OPEN or prev.string == "," or tok.string in CLOSE
            ):
                out.append(indent)
            else:
                out.append(join_gap(prev, tok, between(source, starts, prev, tok)))
        out.append(tok.string)
        if tok.type == tokenize.OP and tok.string in OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSE:
            depth -= 1
    return "".join(out)


def comment(stmt, toks, source, starts):
    return explode(stmt, toks, source, starts, note="  # note")


def top_level_comma(toks, start, stop):
    depth = 0
    for k in range(start, stop):
        s = toks[k].string
        if s in OPEN:
            depth += 1
        elif s in CLOSE:
            depth -= 1
        elif s == "," and depth == 0:
            return k
    return stop


def keyword(stmt, toks, source, starts):
    if has_inner_comment(stmt) or toks[0].type != tokenize.NAME:
        return None
    word = toks[0].string
    end = len(toks)
    if word in ("if", "elif", "while") and toks[-1].string == ":":
        end -= 1
    elif word == "for" and toks[-1].string == ":":
        ins = [k for k, t in enumerate(toks) if t.string == "in"]
        if not ins:
            return None
        return wrap_after(toks, source, starts, ins[0], end - 1)
    elif word == "assert":
        end = top_level_comma(toks, 1, end)
    elif word != "return":
        return None
    return wrap_after(toks, source, starts, 0, end)


def wrap_after(toks, source, starts, word, end):
    """The one-line statement with toks[word + 1 : end] in parentheses
    written against toks[word]."""
    if end <= word + 1 or toks[0].start[0] != toks[-1].end[0]:
        return None
    base = at(starts, toks[0].start)
    text = source[base : at(starts, toks[-1].end)]
    head = at(starts, toks[word].end) - base
    inner_a = at(starts, toks[word + 1].start) - base
    inner_b = at(starts, toks[end - 1].end) - base
    return text[:head] + "(" + text[inner_a:inner_b] + ")" + text[inner_b:]


def spacing_gap(prev, tok, between):
    if prev.string in OPEN or tok.string in CLOSE or tok.string == ",":
        return " "
    if prev.string == ",":
        return ""
    return between


def spacing(stmt, toks, source, starts):
    if has_inner_comment(stmt) or toks[0].start[0] != toks[-1].end[0]:
        return None
    return rebuild(stmt, source, starts, spacing_gap)


# Operators whose blanks Black sets.
SPACED = {"=", "==", "!=", "<", ">", "<=", ">=", "->", "+=", "-=", "*=", "/=", "//="}
SPACED |= {"%=", "&=", "|=", "^=", "@=", "**=", "<<=", ">>="}
ARITHMETIC = {"+", "-", "*", "/", "//", "%", "&", "|", "^", "@", "<<", ">>", "~", "**"}


def ends_operand(tok, first):
    """Whether an operator after tok is binary."""
    if tok.type == tokenize.NAME:
        soft = first and tok.string in ("match", "case")
        return not keyword_module.iskeyword(tok.string) and not soft
    return tok.type in (tokenize.NUMBER, tokenize.STRING) or tok.string in (*CLOSE, "...")


def operator_roles(toks):
    """Each token's role: "spaced" (an assignment, a comparison, a binary
    operator, a colon), "unary", or None."""
    roles = []
    for i, tok in enumerate(toks):
        s = tok.string
        role = None
        if tok.type == tokenize.OP and (s in SPACED or s == ":"):
            role = "spaced"
        elif tok.type == tokenize.OP and s in ARITHMETIC:
            binary = i and s != "~" and ends_operand(toks[i - 1], i == 1)
            role = "spaced" if binary else "unary"
        roles.append(role)
    return roles


def operators(stmt, toks, source, starts, blanks):
    if has_inner_comment(stmt) or toks[0].start[0] != toks[-1].end[0]:
        return None
    roles = operator_roles(toks)
    if not any(roles):
        return None
    out = [toks[0].string]
    for i in range(1, len(toks)):
        gap = between(source, starts, toks[i - 1], toks[i])
        if roles[i] == "spaced" or roles[i - 1] in ("spaced", "unary"):
            gap = blanks
        elif roles[i] == "unary" and toks[i - 1].type == tokenize.NAME and not blanks:
            gap = ""  # `return-1`, `import*`
        out.append(gap + toks[i].string)
    return "".join(out)


def tight(stmt, toks, source, starts):
    return operators(stmt, toks, source, starts, "")


def wide(stmt, toks, source, starts):
    return operators(stmt, toks, source, starts, "  ")


def parens(stmt, toks, source, starts):
    if has_inner_comment(stmt) or toks[0].start[0] != toks[-1].end[0]:
        return None
    eq = [k for k, t in enumerate(toks) if t.type == tokenize.OP and t.string == "="]
    if len(eq) != 1 or eq[0] != 1 or toks[0].type != tokenize.NAME:
        return None
    text = source[at(starts, toks[0].start) : at(starts, toks[-1].end)]
    head, value = text.split("=", 1)
    return head + "= ((" + value.strip() + "))"


def quotes(source):
    starts = offsets(source)
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        s = tok.string
        if (
            tok.type != tokenize.STRING
            or len(s) < 2
            or not s.startswith('"')
            or s.startswith('"""')
        ):
            continue
        body = s[1:-1]
        if "'" in body or '"' in body or "\\" in body:
            continue
        a = at(starts, tok.start)
        edits.append((a, a + len(s), "'" + body + "'"))
    return apply_edits(source, edits)


def docstrings(source):
    starts = offsets(source)
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    edits = []
    for i, tok in enumerate(toks):
        if tok.type != tokenize.STRING or not tok.string.startswith('"""'):
            continue
        k = i - 1
        while k >= 0 and toks[k].type in (tokenize.NL, tokenize.COMMENT):
            k -= 1
        if (
            k < 0
            or toks[k].type != tokenize.INDENT
            or toks[i + 1].type != tokenize.NEWLINE
        ):
            continue
        lines = tok.string[3:-3].split("\n")
        lines[1:] = ["  " + line if line.strip() else line for line in lines[1:]]
        a = at(starts, tok.start)
        text = '"""  ' + "   \n".join(lines) + '  """'
        edits.append((a, a + len(tok.string), text))
    return apply_edits(source, edits)


def statement_lines(source):
    """The numbers of the lines where a statement, or a comment of its own
    line before one, starts."""
    lines = set()
    for stmt in statements(source):
        toks = [
            t
            for t in stmt
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
        ]
        for tok in toks:
            lines.add(tok.start[0])
            if tok.type != tokenize.COMMENT:
                break
    return lines


def blank_lines(source, count):
    """Every run of blank lines between statements made count long, but
    the one after a module docstring: Black 23 keeps it as written, Black
    24 on makes it one line, so the pass writes one."""
    starts = statement_lines(source)
    lines = source.splitlines(keepends=True)
    out = []
    keep = after_module_docstring(source)
    for number, line in enumerate(lines, 1):
        if not line.strip() and is_between(lines, number, starts):
            if number == keep:
                out.append(line)
                keep += 1
            continue
        if number in starts and number > 1 and number != keep:
            out.extend(["\n"] * count)
        out.append(line)
    return "".join(out)


def after_module_docstring(source):
    """The number of the line after the module docstring, 0 without one."""
    first = next(tokenize.generate_tokens(io.StringIO(source).readline), None)
    if (
        first is None
        or first.type != tokenize.STRING
        or not first.string.startswith('"""')
    ):
        return 0
    return first.end[0] + 1


def is_between(lines, number, starts):
    """Whether the blank line number lies between statements (not inside a
    string or brackets): the next line that is not blank starts one."""
    k = number
    while k <= len(lines) and not lines[k - 1].strip():
        k += 1
    return k in starts or k > len(lines)


KINDS = [
    "join",
    "explode",
    "comment",
    "keyword",
    "keyword+explode",
    "parens",
    "spacing",
    "tight",
    "wide",
    "quotes",
    "docstring",
    "squeeze",
    "spread",
]


CHANGES = {
    "join": join,
    "explode": explode,
    "comment": comment,
    "keyword": keyword,
    "parens": parens,
    "spacing": spacing,
    "tight": tight,
    "wide": wide,
}


def rewrite(text, kinds):
    for kind in kinds.split("+"):
        if kind == "quotes":
            text = quotes(text)
        elif kind == "docstring":
            text = docstrings(text)
        elif kind in ("squeeze", "spread"):
            text = blank_lines(text, 0 if kind == "squeeze" else 3)
        else:
            text = replace_statements(text, CHANGES[kind])
    return text


def rewrite_all(files, out):
    with open(files) as f:
        paths = f.read().split()
    n = 0
    for kinds in KINDS:
        for path in paths:
            n += 1
            with open(path) as f:
                source = f.read()
            text = rewrite(source, kinds)
            if text == source:
                continue
            with open(f"{out}/{n}.py", "w") as f:
                f.write(text)
            print(n, kinds, path)
    return 0


def program(path):
    """The program in path, its docstrings compared as Black compares them:
    each line stripped, blank lines at either end dropped."""
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines = node.value.value.splitlines()
            node.value.value = "\n".join(line.strip() for line in lines).strip()
    return ast.dump(tree)


def same_all(inputs, a, b):
    status = 0
    with open(inputs) as f:
        for line in f:
            n = line.split()[0]
            try:
                if program(f"{a}/{n}.py") == program(f"{b}/{n}.py"):
                    continue
                why = "another program"
            except SyntaxError as e:
                why = f"not Python: {e}"
            print(f"{line.strip()}: {why}")
            status = 1
    return status


def main(argv):
    if argv[1] == "rewrite":
        return rewrite_all(argv[2], argv[3])
    return same_all(argv[2], argv[3], argv[4])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
