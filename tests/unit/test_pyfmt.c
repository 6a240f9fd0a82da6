/*
 * test_pyfmt.c - the Python formatting pass: Black's line splits and blank
 * lines, isort's import block, strings and comments untouched, errors.
 *
 * Besides one test per rule: every Python file backbone generates from the
 * shipped schemas must be a fixed point, and must come back byte for byte
 * from a version with its split statements joined and its imports
 * shuffled one name per line; random long statements must come out as the
 * real Black (and isort) print them, when /usr/bin/black is installed.
 */
#include "testutil.h"

#include "output/project.h"
#include "render/pyfmt.h"
#include "render/pyline.h"

#include <dirent.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

static int run(const char *src, size_t len, const bb_pyfmt_opts *o, bb_buf *out, bb_diags *d)
{
    bb_buf_init(out, 1 << 24);
    bb_diags_init(d, "t.py", NULL, 0);
    return bb_pyfmt_format("t.py", src, len, o, out, d);
}

/* src formatted with o; fails the test on an error. Free with bb_free. */
static char *format_with(const char *src, const bb_pyfmt_opts *o)
{
    bb_buf out;
    bb_diags d;
    char *s;
    int rc = run(src, strlen(src), o, &out, &d);
    if (rc != BB_OK && d.n)
        print_error("%s\n", d.items[0].message);
    assert_int_equal(rc, BB_OK);
    bb_diags_free(&d);
    s = bb_buf_take(&out, NULL);
    return s ? s : bb_strdup("");
}

static void check_with(const char *src, const bb_pyfmt_opts *o, const char *want)
{
    char *got = format_with(src, o), *again;
    if (strcmp(got, want))
        print_error("input:\n%s\nwant:\n%s\ngot:\n%s\n", src, want, got);
    assert_string_equal(got, want);
    again = format_with(got, o); /* the output is a fixed point */
    assert_string_equal(again, got);
    bb_free(again);
    bb_free(got);
}

static void check(const char *src, const char *want)
{
    check_with(src, NULL, want);
}

/* The one error src gives: its code and message. */
static void check_error(const char *src, const char *where, const char *what)
{
    bb_buf out;
    bb_diags d;
    assert_int_equal(run(src, strlen(src), NULL, &out, &d), BB_EINVAL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].code, "BB0747");
    if (!strstr(d.items[0].message, where) || !strstr(d.items[0].message, what))
        print_error("message: %s\n", d.items[0].message);
    assert_non_null(strstr(d.items[0].message, where));
    assert_non_null(strstr(d.items[0].message, what));
    bb_diags_free(&d);
    bb_buf_free(&out);
}

/* ---- lines that fit ------------------------------------------------------ */

static void lines_that_fit_are_kept(void **state)
{
    (void)state;
    check("x = 1\ny = f(a, b)  # note\n", "x = 1\ny = f(a, b)  # note\n");
    /* a line of exactly 88 columns */
    check(
        "x = "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
        "x = "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n");
}

static void empty_file_stays_empty(void **state)
{
    (void)state;
    check("", "");
    check("\n\n  \n", "");
}

static void trailing_whitespace_and_final_newlines(void **state)
{
    (void)state;
    check("x = 1   \ny = 2\t\n\n\n\n", "x = 1\ny = 2\n");
    check("x = 1", "x = 1\n");
    check("x = 1  #   note   \n", "x = 1  #   note\n");
    check("x = 1 # note\n", "x = 1  # note\n");
}

static void indentation_becomes_four_spaces(void **state)
{
    (void)state;
    check("if x:\n  y = 1\n  if z:\n        w = 2\n",
          "if x:\n    y = 1\n    if z:\n        w = 2\n");
}

static void columns_count_code_points(void **state)
{
    (void)state;
    /* 86 code points in more bytes: it fits */
    check(
        "x = "
        "\"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"\n",
        "x = "
        "\"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"\n");
}

/* Code points of ASCII, two-, three- and four-byte characters, at every
 * offset and length (the count goes eight bytes at a time). */
static void widths_count_code_points_at_any_offset(void **state)
{
    (void)state;
    const char *s = "a\xC3\xA9"
                    "b\xE2\x82\xAC\xF0\x9F\x98\x80"
                    "cd\xC3\xA9\xC3\xA9"
                    "efgh\xE2\x82\xAC"
                    "i";
    size_t n = strlen(s);
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            uint32_t want = 0;
            for (size_t i = a; i < b; i++)
                want += ((unsigned char)s[i] & 0xC0) != 0x80;
            assert_int_equal(bb_pyline_width(s + a, b - a), want);
        }
}

/* ---- Black's splits ------------------------------------------------------ */

static void call_right_hand_split(void **state)
{
    (void)state;
    check("class A:\n    author_id = Column(Integer, ForeignKey(\"users.id\", "
          "ondelete=\"CASCADE\"), nullable=False)\n",
          "class A:\n    author_id = Column(\n        Integer, ForeignKey(\"users.id\", "
          "ondelete=\"CASCADE\"), nullable=False\n    )\n");
}

static void body_too_long_goes_one_item_per_line(void **state)
{
    (void)state;
    check(
        "y = g(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, "
        "cccccccccccccccccccccccccccc, d)\n",
        "y = g(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\n"
        "    cccccccccccccccccccccccccccc,\n    d,\n)\n");
}

static void magic_trailing_comma_explodes(void **state)
{
    (void)state;
    check("x = f(a, b,)\nz = [1, 2,]\n", "x = f(\n    a,\n    b,\n)\nz = [\n    1,\n    2,\n]\n");
    /* a one-tuple and a one-item subscript keep theirs on one line */
    check("t = (1,)\ny = d[a,]\n", "t = (1,)\ny = d[a,]\n");
}

static void nested_brackets_split_recursively(void **state)
{
    (void)state;
    check("class A:\n    def m(self):\n        return "
          "self.session.query(Model).filter(Model.identifier "
          "== identifier_value, Model.other_column.is_(None)).order_by(Model.created_at.desc())."
          "all()\n",
          "class A:\n    def m(self):\n        return (\n            self.session.query(Model)\n"
          "            .filter(Model.identifier == identifier_value, "
          "Model.other_column.is_(None))\n"
          "            .order_by(Model.created_at.desc())\n            .all()\n        )\n");
}

static void optional_parentheses(void **state)
{
    (void)state;
    /* a right-hand side without brackets is wrapped in parentheses */
    check("DEFAULT_DATABASE_URL = \"postgresql://localhost/a_project_name_long_enough_to_overflow"
          "_the_line\"\n",
          "DEFAULT_DATABASE_URL = (\n    \"postgresql://localhost/a_project_name_long_enough_to_"
          "overflow_the_line\"\n)\n");
    /* trailers are omitted to split at the last bracket that helps */
    check("x = foo(aaaa)[bbbb](cccccccccccccccccccccccccc, dddddddddddddddddddddddddddd, "
          "eeeeeeeeeeeeeeeeee)\n",
          "x = foo(aaaa)[bbbb](\n    cccccccccccccccccccccccccc, dddddddddddddddddddddddddddd, "
          "eeeeeeeeeeeeeeeeee\n)\n");
}

/* Parens made invisible after a keyword written against them keep the
 * words apart: `return(x)` must not become `returnx`. Black's output. */
static void redundant_parens_after_a_keyword_leave_a_space(void **state)
{
    (void)state;
    check("def f():\n    return(\n        value\n    )\n", "def f():\n    return value\n");
    check("if(\n    value\n):\n    pass\n", "if value:\n    pass\n");
    check("while(\n    value\n):\n    pass\n", "while value:\n    pass\n");
    check("assert(\n    value\n)\n", "assert value\n");
    check("del(\n    value\n)\n", "del value\n");
    check("for x in(\n    value\n):\n    pass\n", "for x in value:\n    pass\n");
    check("x =((\n    value\n))\n", "x = value\n");
}

/* A line that fits loses the parentheses Black drops too; those that make
 * a tuple, or sit where Black keeps them, stay. Black's output. */
static void redundant_parens_go_on_a_line_that_fits(void **state)
{
    (void)state;
    check("def f():\n    return(a)\n\n\nif (x):\n    pass\nwhile (y and x):\n    pass\nx = (1)\n"
          "x += (2)\ny = (a, b)\nfor k in (\"a\",):\n    pass\nfor (k) in (b):\n    pass\n"
          "assert(x), \"m\"\ndel (a)\nz = not (x)\nprint((1))\n",
          "def f():\n    return a\n\n\nif x:\n    pass\nwhile y and x:\n    pass\nx = 1\nx += 2\n"
          "y = (a, b)\nfor k in (\"a\",):\n    pass\nfor k in b:\n    pass\nassert x, \"m\"\n"
          "del a\nz = not (x)\nprint((1))\n");
}

/* The blanks Black's whitespace() always sets: none inside brackets or
 * before a comma, one after a comma. Black's output. */
static void brackets_and_commas_are_spaced_as_black_does(void **state)
{
    (void)state;
    check("x = f( a ,b )\ny = [1,2,3]\nz = { \"a\": g( ) }\nt = (1, )\n",
          "x = f(a, b)\ny = [1, 2, 3]\nz = {\"a\": g()}\nt = (1,)\n");
    check("x = f(\n    a ,b\n)\n", "x = f(a, b)\n");
    /* a comment after a comma keeps its two blanks */
    check("x = [\n    1,  # one\n    2,\n]\n", "x = [\n    1,  # one\n    2,\n]\n");
}

static void def_signatures_split_at_their_parameters(void **state)
{
    (void)state;
    check("def create_item(db: Session, data: Dict[str, Any], include_deleted: bool = False) -> "
          "Optional[Item]:\n    pass\n",
          "def create_item(\n    db: Session, data: Dict[str, Any], include_deleted: bool = False\n"
          ") -> Optional[Item]:\n    pass\n");
    /* one parameter: no trailing comma is added when it fits */
    check("def one_parameter_function_with_a_long_name(parameter_with_a_long_name: Dict[str, Any]) "
          "-> None:\n    pass\n",
          "def one_parameter_function_with_a_long_name(\n    parameter_with_a_long_name: Dict[str, "
          "Any]\n) -> None:\n    pass\n");
    /* empty parameters: the return annotation is what splits */
    check("def f() -> Set[\"Muy\", \"Long\", \"Annotation\", \"That\", \"Goes\", \"On\", \"And\", "
          "\"On\", \"Forever\"]:\n    pass\n",
          "def f() -> (\n    Set[\"Muy\", \"Long\", \"Annotation\", \"That\", \"Goes\", \"On\", "
          "\"And\", \"On\", \"Forever\"]\n):\n    pass\n");
    /* no bracket with contents: nothing to split at, the line stays */
    check("def a_very_long_function_name_that_goes_on_and_on_and_on_and_on_and_on_and_on_and_on_"
          "and_ok():\n    pass\n",
          "def a_very_long_function_name_that_goes_on_and_on_and_on_and_on_and_on_and_on_and_on_"
          "and_ok():\n    pass\n");
}

static void decorators_split_like_calls(void **state)
{
    (void)state;
    check("@router.get(\"/{item_id}/related_items\", response_model=List[RelatedItemRead], "
          "status_code=200)\ndef read(item_id: int) -> List[RelatedItemRead]:\n    return []\n",
          "@router.get(\n    \"/{item_id}/related_items\", response_model=List[RelatedItemRead], "
          "status_code=200\n)\ndef read(item_id: int) -> List[RelatedItemRead]:\n    return []\n");
}

static void displays_explode_one_item_per_line(void **state)
{
    (void)state;
    check("SORT_FIELDS = {\"id\": Post.id, \"title\": Post.title, \"slug\": Post.slug, \"status\": "
          "Post.status}\n",
          "SORT_FIELDS = {\n    \"id\": Post.id,\n    \"title\": Post.title,\n    \"slug\": "
          "Post.slug,\n    \"status\": Post.status,\n}\n");
}

static void split_input_is_joined_and_split_again(void **state)
{
    (void)state;
    check("x = f(\n    a,\n    b\n)\n", "x = f(a, b)\n");
    check(
        "y = g(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, "
        "cccccccccccccccccccccccccccc, d\n)\n",
        "y = g(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\n"
        "    cccccccccccccccccccccccccccc,\n    d,\n)\n");
    /* redundant parentheses of a joined right-hand side disappear */
    check("x = (\n    a + b\n)\n", "x = a + b\n");
}

static void trailing_comma_after_star_args_follows_target_versions(void **state)
{
    (void)state;
    /* without a feature of Python 3.6+, Black adds no comma after **kwargs */
    check(
        "result = some_function_name(first_argument_value, second_argument_value, **keyword_args_x)"
        "\n",
        "result = some_function_name(\n    first_argument_value, second_argument_value, "
        "**keyword_args_x\n)\n");
    check(
        "result = some_function_name(aaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, "
        "ccccccccccccccccccccccc, **kw)\n",
        "result = some_function_name(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
        "    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\n    ccccccccccccccccccccccc,\n    **kw\n)\n");
    /* an f-string makes the file Python 3.6+: the comma is added */
    check("s = f\"{x}\"\nresult = some_function_name(aaaaaaaaaaaaaaaaaaaaaaaaaaa, "
          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccccccccccc, **kw)\n",
          "s = f\"{x}\"\nresult = some_function_name(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
          "    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\n    ccccccccccccccccccccccc,\n    **kw,\n)\n");
}

static void line_length_option(void **state)
{
    (void)state;
    bb_pyfmt_opts o = {36, NULL};
    check_with("x = call_me(argument_one, argument_two)\n", &o,
               "x = call_me(\n    argument_one, argument_two\n)\n");
}

/* ---- strings and comments ------------------------------------------------ */

/* String literals as Black normalizes them (the expected texts are Black
 * 23.1's): prefixes, double quotes unless they cost more backslashes,
 * needless escapes gone; a raw string or an f-string whose fields would
 * need a backslash keeps its quotes; comments are not touched. */
static void string_literals_are_normalized(void **state)
{
    (void)state;
    check("x = 'a'\n", "x = \"a\"\n");
    check("x = 'it\\'s'\n", "x = \"it's\"\n");
    check("x = 'say \"hi\"'\n", "x = 'say \"hi\"'\n");
    check("x = \"say \\\"hi\\\"\"\n", "x = 'say \"hi\"'\n");
    check("x = u'a' + B'b' + F'{c}' + br'd'\n", "x = \"a\" + b\"b\" + f\"{c}\" + rb\"d\"\n");
    check("x = r'a\"b'\n", "x = r'a\"b'\n");
    check("x = f'{a[\"k\"]}'\n", "x = f'{a[\"k\"]}'\n");
    check("x = '''doc'''\n", "x = \"\"\"doc\"\"\"\n");
    check("x = '''a\"'''\n", "x = '''a\"'''\n");
    check("x = 'a\\\\'\n", "x = \"a\\\\\"\n");
    check("x = {'a': 'b'}['a']  # 'c'\n", "x = {\"a\": \"b\"}[\"a\"]  # 'c'\n");
    /* one backslash less: 89 columns become 88, and the line fits */
    check("call_with_a_long_name(first_argument_value, 'it\\'s a string that makes this line "
          "longxx')\n",
          "call_with_a_long_name(first_argument_value, \"it's a string that makes this line "
          "longxx\")\n");
}

static void strings_and_comments_are_not_touched(void **state)
{
    (void)state;
    /* too long and cannot be split: kept as it is */
    check("MESSAGE = \"a string literal that is far too long to fit in eighty-eight columns, and "
          "cannot be split\"\n",
          "MESSAGE = \"a string literal that is far too long to fit in eighty-eight columns, and "
          "cannot be split\"\n");
    check("# a comment that is far too long to fit in eighty-eight columns and stays exactly as "
          "it is written\nx = 1\n",
          "# a comment that is far too long to fit in eighty-eight columns and stays exactly as "
          "it is written\nx = 1\n");
    /* brackets and quotes inside strings are text (a docstring loses the
     * blanks at the ends of its lines, as Black strips them) */
    check("def f():\n    \"\"\"Docstring with trailing spaces   \n\n\n    and ( [ { '\n    \"\"\"\n"
          "    return 1\n",
          "def f():\n    \"\"\"Docstring with trailing spaces\n\n\n    and ( [ { '\n    \"\"\"\n"
          "    return 1\n");
    check("x = f(\"a, b)\", c='#')  # (\n", "x = f(\"a, b)\", c=\"#\")  # (\n");
}

static void comments_in_split_lines_follow_their_leaf(void **state)
{
    (void)state;
    check(
        "x = Column(Integer, ForeignKey(\"users.id\", ondelete=\"CASCADE\"), nullable=False)  "
        "# noqa: E501\n",
        "x = Column(\n    Integer, ForeignKey(\"users.id\", ondelete=\"CASCADE\"), nullable=False\n"
        ")  # noqa: E501\n");
}

/* ---- blank lines --------------------------------------------------------- */

static void blank_lines_follow_black(void **state)
{
    (void)state;
    check("\n\n\nimport os\n\n\n\n\nx = 1\nclass A:\n\n    x = 1\n\n\n\n    def f(self):\n\n"
          "        return 1\n    y = 2\ndef g():\n    pass\nz = 3   \n\n\n\n",
          "import os\n\nx = 1\n\n\nclass A:\n    x = 1\n\n    def f(self):\n        return 1\n\n"
          "    y = 2\n\n\ndef g():\n    pass\n\n\nz = 3\n");
    check(
        "class A:\n    \"\"\"Doc.\"\"\"\n    x = 1\n@d\n\ndef h():\n    pass\n# comment\ndef i():\n"
        "    pass\n",
        "class A:\n    \"\"\"Doc.\"\"\"\n\n    x = 1\n\n\n@d\ndef h():\n    pass\n\n\n# comment\n"
        "def i():\n    pass\n");
}

/* Each simple statement on a line of its own, as Black writes them (the
 * expected texts are Black 23.1's). */
static void one_statement_a_line(void **state)
{
    (void)state;
    check("import sys; import os\nx = 1;\n", "import os\nimport sys\n\nx = 1\n");
    check("a(); b();  # c\nz = 1\n", "a()\nb()\n# c\nz = 1\n");
    check("class Config: extra = \"forbid\"\n", "class Config:\n    extra = \"forbid\"\n");
    check("try: import foo\nexcept ImportError: foo = None\n",
          "try:\n    import foo\nexcept ImportError:\n    foo = None\n");
    check("while x: a(); b()  # c\n", "while x:\n    a()\n    b()  # c\n");
    check("@dec\ndef f(): return 1\nclass B: x: int = 1\n",
          "@dec\ndef f():\n    return 1\n\n\nclass B:\n    x: int = 1\n");
    /* Colons and semicolons that end nothing: a lambda's, a walrus, a
     * slice, a dict, inside strings and comments. */
    check("f = lambda x: x; g = {1: 2}[1:]\n", "f = lambda x: x\ng = {1: 2}[1:]\n");
    check("if (y := f()) and g(lambda: 1): h(\"a;b: c\")\n",
          "if (y := f()) and g(lambda: 1):\n    h(\"a;b: c\")\n");
    check("def f(a,  # no: ; here\n      b): return a\n",
          "def f(a, b):  # no: ; here\n    return a\n");
    /* A body of `...` alone: Black 23 splits it, Black 24 joins it back. */
    check("class A: ...\n", "class A: ...\n");
}

/* One blank line after the module's docstring: Black 24 on puts it there,
 * Black 23 keeps it. Before a def or class, the two of either. */
static void module_docstring_is_followed_by_one_blank_line(void **state)
{
    (void)state;
    check("\"\"\"Doc.\"\"\"\n\nx = 1\n", "\"\"\"Doc.\"\"\"\n\nx = 1\n");
    check("\"\"\"Doc.\"\"\"\nx = 1\n", "\"\"\"Doc.\"\"\"\n\nx = 1\n");
    check("\"\"\"Doc.\"\"\"\n\n\n# note\nx = 1\n", "\"\"\"Doc.\"\"\"\n\n# note\nx = 1\n");
    check("\"\"\"Doc.\"\"\"\ndef f():\n    pass\n", "\"\"\"Doc.\"\"\"\n\n\ndef f():\n    pass\n");
}

/* Docstrings as Black writes them: stripped, re-indented, padded where
 * they would touch a quote; a string that is no docstring is left alone.
 * The expected text is Black 25's (Black 23's but for the module's). */
static void docstrings_are_stripped_and_reindented(void **state)
{
    (void)state;
    check(
        "\"\"\"   Module docstring.   \"\"\"\nimport os\n\n\ndef f():\n    \"\"\"  Spaces.  "
        "\"\"\"\n"
        "    return 1\n\n\nclass A:\n    \"\"\"Summary.\n\n        Indented more.\n      Less.   \n"
        "\n    \"\"\"\n\n    def g(self):\n        '''Single quoted.'''\n\n    def i(self):\n"
        "        \"\"\"Ends with a quote\\\"\"\"\"\n\n    def j(self):\n        \"\"\"\"Starts "
        "with a "
        "quote.\"\"\"\n\n    def k(self):\n        \"\"\"   \"\"\"\n\n    def m(self):\n        # "
        "comment first\n        \"\"\"Doc after a comment.  \"\"\"\n        x = \"\"\"  not a "
        "docstring  \"\"\"\n        return x\n",
        "\"\"\"Module docstring.\"\"\"\n\nimport os\n\n\ndef f():\n    \"\"\"Spaces.\"\"\"\n    "
        "return 1\n\n\nclass A:\n    \"\"\"Summary.\n\n      Indented more.\n    Less.\n\n    "
        "\"\"\"\n\n    def g(self):\n        \"\"\"Single quoted.\"\"\"\n\n    def i(self):\n      "
        "  "
        "\"\"\"Ends with a quote\\\" \"\"\"\n\n    def j(self):\n        \"\"\" \"Starts with a "
        "quote.\"\"\"\n\n    def k(self):\n        \"\"\" \"\"\"\n\n    def m(self):\n        # "
        "comment first\n        \"\"\"Doc after a comment.\"\"\"\n        x = \"\"\"  not a "
        "docstring"
        "  \"\"\"\n        return x\n");
}

static void comments_before_a_dedent_stay_in_their_block(void **state)
{
    (void)state;
    check("class A:\n    x = 1\n    # inside\n# outside\ny = 2\n",
          "class A:\n    x = 1\n    # inside\n\n\n# outside\ny = 2\n");
}

/* ---- imports ------------------------------------------------------------- */

static void imports_are_merged_sorted_and_sectioned(void **state)
{
    (void)state;
    check("\"\"\"Doc.\"\"\"\n\nfrom app.models import User\nfrom sqlalchemy import String\n"
          "from typing import List\nfrom sqlalchemy import Column\nfrom app.core.database import "
          "Base\nfrom typing import List\nimport os\nfrom __future__ import annotations\n"
          "from sqlalchemy.orm import relationship\nclass A:\n    pass\n",
          "\"\"\"Doc.\"\"\"\n\nfrom __future__ import annotations\n\nimport os\nfrom typing "
          "import List\n\nfrom sqlalchemy import Column, String\nfrom sqlalchemy.orm import "
          "relationship\n\nfrom app.core.database import Base\nfrom app.models import User\n\n\n"
          "class A:\n    pass\n");
}

/* An import line isort cannot read is left where it is, with the blank
 * lines it had: formatting the output again changes nothing. */
static void an_unreadable_import_block_is_left_alone(void **state)
{
    (void)state;
    /* (not a=b: the Black pass sets the blanks around an `=`) */
    check("\"\"\"Doc.\"\"\"\n\nfrom x import a b\n", "\"\"\"Doc.\"\"\"\n\nfrom x import a b\n");
}

static void import_names_order_by_type(void **state)
{
    (void)state;
    check("from t import ab, Ab, AB, a10, a2, A_B, _x\nx = 1\n",
          "from t import A_B, AB, Ab, _x, a2, a10, ab\n\nx = 1\n");
    /* `as` names stand on lines of their own, in the order of the names */
    check("from os import z as y\nfrom os import b\nfrom os import a\nfrom os import c\n",
          "from os import a, b, c\nfrom os import z as y\n");
    check("import sqlalchemy as sa\nimport os, sys\nimport app.models  # noqa: F401\n",
          "import os\nimport sys\n\nimport sqlalchemy as sa\n\nimport app.models  # noqa: F401\n");
}

/* In a parenthesized import, a comment on a name's line is that name's:
 * isort keeps it on a line of its own with it (a `# noqa` stays where it
 * was put). A comment after the parenthesis is the statement's. */
static void a_comment_in_an_import_list_stays_with_its_name(void **state)
{
    (void)state;
    check("from x import (\n    b,\n    a,  # c\n    z,  # d\n    y,\n)\n",
          "from x import a  # c\nfrom x import z  # d\nfrom x import b, y\n");
    check("from app.models import (  # noqa: F401\n    post,\n    user,\n)\n",
          "from app.models import post, user  # noqa: F401\n");
}

static void long_from_import_goes_in_parentheses(void **state)
{
    (void)state;
    check("from app.api.crud import sort_clause\nfrom app.api.crud import MAX_LIMIT\n"
          "from app.api.crud import get_or_404\nfrom app.api.crud import columns_of\n"
          "from app.api.crud import commit_or_raise\nfrom app.api.crud import page\n"
          "from app.api.crud import fetch_related\n",
          "from app.api.crud import (\n    MAX_LIMIT,\n    columns_of,\n    commit_or_raise,\n"
          "    fetch_related,\n    get_or_404,\n    page,\n    sort_clause,\n)\n");
}

static void lines_after_imports(void **state)
{
    (void)state;
    check("import os\n\n\n\nx = 1\n", "import os\n\nx = 1\n");
    check("import os\ndef f():\n    pass\n", "import os\n\n\ndef f():\n    pass\n");
    check("import os\n# about f\ndef f():\n    pass\n",
          "import os\n\n\n# about f\ndef f():\n    pass\n");
}

/* Every block of imports is sorted where it stands, as isort 5 does: in an
 * `if`, in a def, later in the file. A string holding import lines is not
 * one. The expected text is Black's and then isort's. */
static void every_import_block_is_sorted(void **state)
{
    (void)state;
    check(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from app.models.tags import "
        "Tag\n    import sqlalchemy as sa\n    from app.models.orders import Order\n    import "
        "os\nx = 1\n\n\ndef f():\n    import sys\n    import abc\n\n    return 1\n\n\nTEXT = "
        "\"\"\"\nimport zzz\nimport aaa\n\"\"\"\nimport sys, abc  # two\ny = 2\n",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import os\n\n    import "
        "sqlalchemy as sa\n\n    from app.models.orders import Order\n    from app.models.tags "
        "import Tag\nx = 1\n\n\ndef f():\n    import abc\n    import sys\n\n    return 1\n\n\n"
        "TEXT = \"\"\"\nimport zzz\nimport aaa\n\"\"\"\nimport abc\nimport sys  # two\n\ny = 2\n");
    /* an indented import over the limit with its indent is wrapped */
    check("if x:\n    from app.models.something_long import AlphaClassName, BetaClassName, "
          "GammaClassNameXYZW\n",
          "if x:\n    from app.models.something_long import (\n        AlphaClassName,\n        "
          "BetaClassName,\n        GammaClassNameXYZW,\n    )\n");
}

static void first_party_option(void **state)
{
    (void)state;
    static const char *const mine[] = {"mylib", NULL};
    bb_pyfmt_opts o = {0, mine};
    check_with("from mylib import x\nfrom app import y\nimport os\n", &o,
               "import os\n\nfrom app import y\n\nfrom mylib import x\n");
}

/* ---- errors -------------------------------------------------------------- */

static void unreadable_python_is_reported_with_position(void **state)
{
    (void)state;
    check_error("x = 1\ny = 'abc\n", "t.py:2:5:", "unterminated string");
    check_error("x = \"\"\"abc\n\n", "t.py:1:5:", "unterminated string");
    check_error("x = f(a,\n  b\n", "t.py:1:6:", "never closed");
    check_error("x = f(a]\n", "t.py:1:8:", "does not match the opening");
    check_error("x = a)\n", "t.py:1:6:", "does not match any opening");
    /* the split needs them: Black's bracket depths count on them */
    check_error("x = 1\ny = ((a for)\n# c\n(b))\n", "t.py:2:1:", "`for` without `in`");
    check_error("y = f(lambda\n# c\n, b)\n", "t.py:1:1:", "`lambda` without `:`");
}

static void brackets_nested_too_deeply_are_refused(void **state)
{
    (void)state;
    char src[1024];
    size_t n = 0;
    n += (size_t)snprintf(src + n, sizeof(src) - n, "x = ");
    for (int i = 0; i < 201; i++)
        src[n++] = '(';
    src[n] = '\0';
    check_error(src, "t.py:1:205:", "nested too deeply");
}

static void output_cap_is_reported(void **state)
{
    (void)state;
    bb_buf out;
    const char *src = "x = 1\ny = 2\n";
    bb_buf_init(&out, 4);
    assert_int_equal(bb_pyfmt_format("t.py", src, strlen(src), NULL, &out, NULL), BB_ELIMIT);
    bb_buf_free(&out);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    const char *src = "from sqlalchemy import String\nfrom app.models import User\nfrom sqlalchemy "
                      "import Column\n"
                      "\n\nclass A:\n    author_id = Column(Integer, ForeignKey(\"users.id\", "
                      "ondelete=\"CASCADE\"),"
                      " nullable=False)\n    # a comment\n    x = f(a, b,)\n";
    int rc = BB_ENOMEM;
    long n;
    for (n = 0; n < 2000 && rc == BB_ENOMEM; n++) {
        bb_buf out;
        bb_buf_init(&out, 1 << 20);
        bb_alloc_fail_after(n);
        rc = bb_pyfmt_format("t.py", src, strlen(src), NULL, &out, NULL);
        bb_alloc_fail_after(-1);
        assert_true(rc == BB_OK || rc == BB_ENOMEM);
        bb_buf_free(&out);
    }
    assert_int_equal(rc, BB_OK);
    assert_true(n > 5);
}

/* ---- the generated corpus ------------------------------------------------ */

/* s[0..n) with every statement written over several lines (no comment or
 * multiline string in it) joined onto one line, trailing commas kept. */
static void join_statements(const char *s, size_t n, bb_buf *out)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i, depth = 0, j = i;
        bool multi = false, comment = false, joinable;
        /* the extent of the logical line starting at i */
        while (j < n) {
            char c = s[j];
            if (c == '"' || c == '\'') {
                bool ml = false;
                size_t e = bb_pyline_string_end(s, n, j, &ml);
                assert_true(e != SIZE_MAX);
                multi |= ml;
                j = e;
                continue;
            }
            if (c == '#') {
                comment = true;
                while (j < n && s[j] != '\n')
                    j++;
                continue;
            }
            if (c == '(' || c == '[' || c == '{')
                depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth)
                depth--;
            else if (c == '\n' && !depth)
                break;
            j++;
        }
        joinable = !multi && !comment && memchr(s + start, '\n', j - start);
        if (!joinable) {
            assert_int_equal(bb_buf_append(out, s + start, j - start), BB_OK);
        } else {
            char prev = 0;
            for (size_t k = start; k < j;) {
                size_t e = k;
                while (e < j && s[e] != '\n')
                    e++;
                size_t a = k;
                if (k > start) {
                    while (a < e && s[a] == ' ')
                        a++;
                    char next = a < e ? s[a] : 0;
                    bool tight = prev == '(' || prev == '[' || prev == '{' || next == ')' ||
                                 next == ']' || next == '}' || next == ',' ||
                                 (next == '.' && (prev == ')' || prev == ']' || prev == '}'));
                    if (!tight)
                        assert_int_equal(bb_buf_putc(out, ' '), BB_OK);
                }
                assert_int_equal(bb_buf_append(out, s + a, e - a), BB_OK);
                if (e > a)
                    prev = s[e - 1];
                k = e < j ? e + 1 : e;
            }
        }
        if (j < n)
            assert_int_equal(bb_buf_putc(out, '\n'), BB_OK);
        i = j < n ? j + 1 : n;
    }
}

static bool starts_with(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && !memcmp(s, p, k);
}

/* The top import block of s split into one `from m import n` line per
 * name (and a few repeats), shuffled by seed; the blank lines after it
 * are cut to one. Statements must already be joined. */
static void shuffle_imports(const char *s, size_t n, unsigned seed, bb_buf *out)
{
    size_t i = 0, block, rest;
    char *lines[512];
    size_t nl = 0;
    /* past the docstring and comments */
    while (i < n && !starts_with(s + i, n - i, "import ") && !starts_with(s + i, n - i, "from ")) {
        if (s[i] == '"') {
            bool ml;
            i = bb_pyline_string_end(s, n, i, &ml);
        }
        const char *e = memchr(s + i, '\n', n - i);
        i = e ? (size_t)(e - s) + 1 : n;
    }
    block = i;
    while (i < n) {
        const char *e = memchr(s + i, '\n', n - i);
        size_t end = e ? (size_t)(e - s) : n, next = e ? end + 1 : n;
        if (end == i) {
            i = next;
            continue;
        }
        if (!starts_with(s + i, n - i, "import ") && !starts_with(s + i, n - i, "from "))
            break;
        const char *imp = strstr(s + i, " import ");
        if (starts_with(s + i, n - i, "from ") && imp && imp < s + end &&
            !memchr(s + i, '#', end - i)) {
            size_t mod = (size_t)(imp - (s + i)), a = (size_t)(imp - s) + 8, b = end;
            if (s[a] == '(') {
                a++;
                b--;
            }
            while (a < b) {
                size_t c = a;
                while (c < b && s[c] != ',')
                    c++;
                size_t x = a, y = c;
                while (x < y && s[x] == ' ')
                    x++;
                if (y > x && nl + 2 < sizeof(lines) / sizeof(lines[0])) {
                    bb_buf l;
                    bb_buf_init(&l, 4096);
                    assert_int_equal(bb_buf_append(&l, s + i, mod), BB_OK);
                    assert_int_equal(bb_buf_puts(&l, " import "), BB_OK);
                    assert_int_equal(bb_buf_append(&l, s + x, y - x), BB_OK);
                    lines[nl] = bb_buf_take(&l, NULL);
                    nl++;
                    if ((nl + seed) % 5 == 0) { /* a repeat */
                        lines[nl] = bb_strdup(lines[nl - 1]);
                        nl++;
                    }
                }
                a = c + 1;
            }
        } else if (nl < sizeof(lines) / sizeof(lines[0])) {
            lines[nl++] = bb_strndup(s + i, end - i);
        }
        i = next;
    }
    rest = i;
    for (size_t k = nl; k > 1; k--) { /* Fisher-Yates with a small LCG */
        seed = seed * 1103515245u + 12345u;
        size_t r = (seed >> 8) % k;
        char *t = lines[k - 1];
        lines[k - 1] = lines[r];
        lines[r] = t;
    }
    assert_int_equal(bb_buf_append(out, s, block), BB_OK);
    for (size_t k = 0; k < nl; k++) {
        assert_int_equal(bb_buf_puts(out, lines[k]), BB_OK);
        assert_int_equal(bb_buf_putc(out, '\n'), BB_OK);
        bb_free(lines[k]);
    }
    if (rest < n)
        assert_int_equal(bb_buf_putc(out, '\n'), BB_OK);
    assert_int_equal(bb_buf_append(out, s + rest, n - rest), BB_OK);
}

/* Prints a unified-style diff of the first differing lines. */
static void print_diff(const char *path, const char *want, const char *got)
{
    int line = 1;
    while (*want && *got && *want == *got) {
        if (*want == '\n')
            line++;
        want++;
        got++;
    }
    while (line > 1 && want[-1] != '\n') {
        want--;
        got--;
    }
    print_error("--- %s (generated)\n+++ %s (formatted)\n@@ line %d @@\n", path, path, line);
    for (int k = 0; k < 6 && *want; k++) {
        const char *e = strchr(want, '\n');
        int len = e ? (int)(e - want) : (int)strlen(want);
        print_error("-%.*s\n", len, want);
        want += len + (e != NULL);
    }
    for (int k = 0; k < 6 && *got; k++) {
        const char *e = strchr(got, '\n');
        int len = e ? (int)(e - got) : (int)strlen(got);
        print_error("+%.*s\n", len, got);
        got += len + (e != NULL);
    }
}

static bool same_after_format(const char *path, const char *want, size_t wlen, const char *in,
                              size_t ilen)
{
    bb_buf out;
    bb_diags d;
    int rc = run(in, ilen, NULL, &out, &d);
    bool same = rc == BB_OK && out.len == wlen && !memcmp(bb_buf_str(&out), want, wlen);
    if (rc != BB_OK)
        print_error("%s: %s\n", path, d.n ? d.items[0].message : bb_strerror(rc));
    else if (!same)
        print_diff(path, want, bb_buf_str(&out));
    bb_buf_free(&out);
    bb_diags_free(&d);
    return same;
}

/* Runs both corpus checks over the Python files generated from one schema. */
static size_t check_schema(const char *schema, size_t *n_files, size_t *n_joined)
{
    bb_pipeline_opts opts;
    bb_diags d;
    bb_output *o = NULL;
    bb_project p;
    size_t len, bad = 0;
    char *bytes = tu_read_file(schema, &len);
    bb_pipeline_opts_default(&opts);
    opts.python = ""; /* the built-in check: no Python process */
    bb_diags_init(&d, schema, bytes, len);
    assert_int_equal(bb_pipeline_run(schema, bytes, len, &opts, &d, &o), BB_OK);
    assert_int_equal(bb_project_build(o, &d, &p), BB_OK);
    for (size_t i = 0; i < p.n_files; i++) {
        const bb_file *f = &p.files[i];
        size_t pl = strlen(f->path);
        bb_buf joined, shuffled;
        if (pl < 3 || strcmp(f->path + pl - 3, ".py"))
            continue;
        (*n_files)++;
        /* (a) a generated file is a fixed point */
        if (!same_after_format(f->path, f->data, f->len, f->data, f->len))
            bad++;
        /* (b) joined and shuffled, it formats back to itself */
        bb_buf_init(&joined, 1 << 24);
        bb_buf_init(&shuffled, 1 << 24);
        join_statements(f->data, f->len, &joined);
        *n_joined += joined.len != f->len;
        shuffle_imports(bb_buf_str(&joined), joined.len, (unsigned)(i + 7), &shuffled);
        if (!same_after_format(f->path, f->data, f->len, bb_buf_str(&shuffled), shuffled.len))
            bad++;
        bb_buf_free(&joined);
        bb_buf_free(&shuffled);
    }
    bb_project_free(&p);
    bb_output_free(o);
    bb_diags_free(&d);
    free(bytes);
    return bad;
}

static void generated_files_are_fixed_points(void **state)
{
    (void)state;
    static const char *const dirs[] = {"schemas", "tests/e2e"};
    size_t bad = 0, n_files = 0, n_joined = 0, n_schemas = 0;
    for (size_t k = 0; k < 2; k++) {
        DIR *dir = opendir(dirs[k]);
        struct dirent *e;
        assert_non_null(dir);
        while ((e = readdir(dir))) {
            size_t l = strlen(e->d_name);
            char path[512];
            if (l < 6 || strcmp(e->d_name + l - 5, ".json") || strstr(e->d_name, ".schema."))
                continue;
            snprintf(path, sizeof(path), "%s/%s", dirs[k], e->d_name);
            bad += check_schema(path, &n_files, &n_joined);
            n_schemas++;
        }
        closedir(dir);
    }
    print_message("pyfmt corpus: %zu schemas, %zu Python files, %zu with joined statements\n",
                  n_schemas, n_files, n_joined);
    assert_true(n_files > 100);
    assert_true(n_joined > 50);
    assert_int_equal(bad, 0);
}

/* ---- against the real Black ---------------------------------------------- */

typedef struct rng {
    unsigned long long s;
} rng;

static unsigned pick(rng *r, unsigned n)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((r->s >> 33) % n);
}

static const char *const names[] = {"a",        "value",   "session",    "item_id",
                                    "Column",   "Integer", "ForeignKey", "relationship",
                                    "x",        "db",      "query",      "some_long_identifier",
                                    "status",   "model",   "data",       "response_model",
                                    "Optional", "List",    "Dict",       "another_long_name_here"};
static const char *const strings[] = {"\"users.id\"", "\"CASCADE\"", "\"\"",
                                      "\"a fairly long string literal with some words\"",
                                      "\"posts_status\""};

static void gen_expr(rng *r, bb_buf *b, int d);

static void gen_call(rng *r, bb_buf *b, int d)
{
    unsigned n = pick(r, 6), kw = pick(r, n + 1);
    assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
    assert_int_equal(bb_buf_putc(b, '('), BB_OK);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            assert_int_equal(bb_buf_puts(b, ", "), BB_OK);
        if (i >= kw) {
            assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
            assert_int_equal(bb_buf_putc(b, '='), BB_OK);
        }
        gen_expr(r, b, d + 1);
    }
    if (n && pick(r, 10) == 0)
        assert_int_equal(bb_buf_putc(b, ','), BB_OK);
    assert_int_equal(bb_buf_putc(b, ')'), BB_OK);
}

static void gen_expr(rng *r, bb_buf *b, int d)
{
    unsigned k = d > 3 ? 0 : pick(r, 10);
    switch (k) {
    case 0:
    case 1:
        assert_int_equal(bb_buf_puts(b, pick(r, 2) ? names[pick(r, 20)] : strings[pick(r, 5)]),
                         BB_OK);
        break;
    case 2:
    case 3:
    case 4:
        gen_call(r, b, d);
        break;
    case 5: { /* a list or a dict */
        bool dict = pick(r, 2);
        unsigned n = pick(r, 5);
        assert_int_equal(bb_buf_putc(b, dict ? '{' : '['), BB_OK);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                assert_int_equal(bb_buf_puts(b, ", "), BB_OK);
            if (dict) {
                assert_int_equal(bb_buf_puts(b, strings[pick(r, 5)]), BB_OK);
                assert_int_equal(bb_buf_puts(b, ": "), BB_OK);
            }
            gen_expr(r, b, d + 1);
        }
        assert_int_equal(bb_buf_putc(b, dict ? '}' : ']'), BB_OK);
        break;
    }
    case 6: /* attribute calls */
        gen_call(r, b, d + 1);
        assert_int_equal(bb_buf_putc(b, '.'), BB_OK);
        gen_call(r, b, d + 1);
        break;
    case 7: /* a subscript */
        assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
        assert_int_equal(bb_buf_putc(b, '['), BB_OK);
        gen_expr(r, b, d + 1);
        assert_int_equal(bb_buf_putc(b, ']'), BB_OK);
        break;
    case 8: /* a comparison or an operation */
        gen_expr(r, b, d + 1);
        assert_int_equal(bb_buf_puts(b, pick(r, 2) ? " == " : " + "), BB_OK);
        gen_expr(r, b, d + 1);
        break;
    default:
        assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
        assert_int_equal(bb_buf_putc(b, '.'), BB_OK);
        assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
        break;
    }
}

/* A file of random long statements: imports, assignments, returns, defs,
 * decorated defs, all on one line each. */
static void gen_file(rng *r, bb_buf *b)
{
    static const char *const mods[] = {"typing", "sqlalchemy", "sqlalchemy.orm", "app.models",
                                       "os",     "fastapi",    "app.api.crud",   "datetime"};
    for (unsigned i = 0, n = 3 + pick(r, 10); i < n; i++) {
        assert_int_equal(bb_buf_puts(b, "from "), BB_OK);
        assert_int_equal(bb_buf_puts(b, mods[pick(r, 8)]), BB_OK);
        assert_int_equal(bb_buf_puts(b, " import "), BB_OK);
        assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
        assert_int_equal(bb_buf_putc(b, '\n'), BB_OK);
    }
    for (int i = 0; i < 40; i++) {
        unsigned k = pick(r, 5);
        assert_int_equal(bb_buf_puts(b, "\n\n"), BB_OK);
        if (k >= 3) {
            if (k == 4) {
                assert_int_equal(bb_buf_putc(b, '@'), BB_OK);
                gen_call(r, b, 1);
                assert_int_equal(bb_buf_putc(b, '\n'), BB_OK);
            }
            assert_int_equal(bb_buf_puts(b, "def "), BB_OK);
            assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
            assert_int_equal(bb_buf_putc(b, '('), BB_OK);
            for (unsigned j = 0, np = pick(r, 5); j < np; j++) {
                if (j)
                    assert_int_equal(bb_buf_puts(b, ", "), BB_OK);
                assert_int_equal(bb_buf_printf(b, "p%u: %s", j, names[pick(r, 20)]), BB_OK);
                if (pick(r, 3) == 0) {
                    assert_int_equal(bb_buf_puts(b, " = "), BB_OK);
                    gen_expr(r, b, 2);
                }
            }
            assert_int_equal(bb_buf_puts(b, ") -> "), BB_OK);
            gen_expr(r, b, 3);
            assert_int_equal(bb_buf_puts(b, ":\n    return "), BB_OK);
            gen_expr(r, b, 0);
        } else {
            assert_int_equal(bb_buf_puts(b, names[pick(r, 20)]), BB_OK);
            assert_int_equal(bb_buf_puts(b, " = "), BB_OK);
            gen_expr(r, b, 0);
        }
        assert_int_equal(bb_buf_putc(b, '\n'), BB_OK);
    }
}

/* The output of a shell command fed with the file in. */
static char *tool_output(const char *cmd, const char *in, size_t len)
{
    char path[] = "/tmp/pyfmt_diff_XXXXXX", line[1024];
    int fd = mkstemp(path);
    bb_buf out;
    FILE *p;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, len), (ssize_t)len);
    close(fd);
    snprintf(line, sizeof(line), "(%s) < %s 2>/dev/null", cmd, path);
    p = popen(line, "r");
    assert_non_null(p);
    bb_buf_init(&out, 1 << 24);
    for (size_t n; (n = fread(line, 1, sizeof(line), p)) > 0;)
        assert_int_equal(bb_buf_append(&out, line, n), BB_OK);
    pclose(p);
    unlink(path);
    return bb_buf_take(&out, NULL);
}

static void random_statements_come_out_as_black_prints_them(void **state)
{
    (void)state;
    size_t bad = 0;
    if (access("/usr/bin/black", X_OK) || access("/usr/bin/isort", X_OK)) {
        print_message("skipped: /usr/bin/black or /usr/bin/isort is not installed\n");
        skip();
    }
    for (unsigned seed = 1; seed <= 12; seed++) {
        rng r = {seed};
        bb_buf in;
        bb_buf_init(&in, 1 << 24);
        gen_file(&r, &in);
        char *want = tool_output("/usr/bin/black -q --fast -l 88 - | /usr/bin/isort -q --profile "
                                 "black -p app -p tests -p alembic -",
                                 bb_buf_str(&in), in.len);
        assert_non_null(want);
        assert_true(strlen(want) > 0);
        if (!same_after_format("random.py", want, strlen(want), bb_buf_str(&in), in.len)) {
            print_error("seed %u\n", seed);
            bad++;
        }
        bb_free(want);
        bb_buf_free(&in);
    }
    assert_int_equal(bad, 0);
}

/* Blanks around operators, `=`, `->`, colons, slices, powers and keywords,
 * written every which way, come out as Black sets them. */
static const char operators_src[] =
    "import os\n"
    "from os import*\n"
    "@ property\n"
    "def f(a:int=1, *args:Any, b: str='x', **kw:Any)->Dict[str,int]:\n"
    "    x=lambda k=1,*a,**b:k+1\n"
    "    y = [lambda q :q, lambda:-1]\n"
    "    z={**kw, \"b\":-1, 'c':~a}\n"
    "    w = f(*args, ** kw)\n"
    "    if not -a<=b!=c:\n"
    "        return-1\n"
    "    elif a is-1 and b in-args:\n"
    "        return x if y else-z\n"
    "    v:int=-1\n"
    "    v+=1;v-=2\n"
    "    s = \"%s\"%v\n"
    "    t = a|b&c^d<<1>>2\n"
    "    u = a//b%c@d\n"
    "    print(*args, sep = \"\", end=\"\")\n"
    "    with open(x)as fh:pass\n"
    "    if x  and not  x:\n"
    "        return\"x\"\n"
    "    y = \"a\"if x else\"b\"\n"
    "    z = rb\"\\d\"  # note\n"
    "    if x in(1, 2) and not(x):\n"
    "        return(x)\n"
    "    try:\n"
    "        pass\n"
    "    except(ValueError, TypeError):\n"
    "        raise\n"
    "    y = [a for a in(1, 2)]\n"
    "    return {k:v for k , v in kw.items()}\n"
    "x = a[1 : 2]\n"
    "x = a[b+1:]\n"
    "x = a[:b+1]\n"
    "x = a[b.c:d]\n"
    "x = a[f(b):]\n"
    "x = a[1:-1]\n"
    "x = a[:: f(2)]\n"
    "x = a[lo+1 : hi+1 : step]\n"
    "x = a[1:2, ::3]\n"
    "x = a[b+1:, c]\n"
    "x = a[lambda:0]\n"
    "y = 2 ** 8\n"
    "y = a.b ** c.d\n"
    "y = f(x)**2\n"
    "y = x ** -y\n"
    "y = -x ** 2\n"
    "y = -x.y ** 2\n"
    "y = 5 ** ~4\n"
    "y = x[1] ** 2\n"
    "y = [i ** 2 for i in range(3)]\n"
    "z = -a ** -b ** c\n"
    "class A(B, metaclass = M):\n"
    "    x:int=1\n";

/* src formatted by the pass is what black and isort make of it. */
static void comes_out_as_black_writes_it(const char *name, const char *src, size_t len)
{
    if (access("/usr/bin/black", X_OK) || access("/usr/bin/isort", X_OK)) {
        print_message("skipped: /usr/bin/black or /usr/bin/isort is not installed\n");
        skip();
    }
    char *want = tool_output("/usr/bin/black -q --fast -l 88 - | /usr/bin/isort -q --profile "
                             "black -",
                             src, len);
    assert_non_null(want);
    assert_true(strlen(want) > 0);
    assert_true(same_after_format(name, want, strlen(want), src, len));
    bb_free(want);
}

static void operators_come_out_as_black_spaces_them(void **state)
{
    (void)state;
    comes_out_as_black_writes_it("operators.py", operators_src, sizeof(operators_src) - 1);
}

/* Number literals Black writes otherwise, on lines that fit and on lines the
 * normal form makes too long. */
static const char numbers_src[] =
    "a = 0XFF + 0xabc_def + 0B101 + 0O17\n"
    "b = 1E5 + 1e+5 + 1.E-3 + 1.5e10 + 1e-5\n"
    "c = 1. + .5 + 10J + 1.J + 1.5j\n"
    "d = [1., .25, 3, 1_000_000, 0x_1f]\n"
    "e = table_01.v2 + abc1 * 2 - x[1:2]\n"
    "f = some_function_name(argument_number_one, argument_number_two, .5, 1.)\n"
    "g = call(first_argument_value, second_argument_value, third_argument_1, .5)\n";

static void numbers_come_out_as_black_writes_them(void **state)
{
    (void)state;
    const char *want = "x = 0xFF + 1e5 + 1.0 + 0.5 + 1.0j\n",
               *in = "x = 0XfF + 1E+5 + 1. + .5 + 1.J\n";
    assert_true(same_after_format("n.py", want, strlen(want), in, strlen(in)));
    comes_out_as_black_writes_it("numbers.py", numbers_src, sizeof(numbers_src) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_that_fit_are_kept),
        cmocka_unit_test(empty_file_stays_empty),
        cmocka_unit_test(trailing_whitespace_and_final_newlines),
        cmocka_unit_test(indentation_becomes_four_spaces),
        cmocka_unit_test(columns_count_code_points),
        cmocka_unit_test(widths_count_code_points_at_any_offset),
        cmocka_unit_test(call_right_hand_split),
        cmocka_unit_test(body_too_long_goes_one_item_per_line),
        cmocka_unit_test(magic_trailing_comma_explodes),
        cmocka_unit_test(nested_brackets_split_recursively),
        cmocka_unit_test(optional_parentheses),
        cmocka_unit_test(redundant_parens_after_a_keyword_leave_a_space),
        cmocka_unit_test(redundant_parens_go_on_a_line_that_fits),
        cmocka_unit_test(brackets_and_commas_are_spaced_as_black_does),
        cmocka_unit_test(def_signatures_split_at_their_parameters),
        cmocka_unit_test(decorators_split_like_calls),
        cmocka_unit_test(displays_explode_one_item_per_line),
        cmocka_unit_test(split_input_is_joined_and_split_again),
        cmocka_unit_test(trailing_comma_after_star_args_follows_target_versions),
        cmocka_unit_test(line_length_option),
        cmocka_unit_test(strings_and_comments_are_not_touched),
        cmocka_unit_test(string_literals_are_normalized),
        cmocka_unit_test(comments_in_split_lines_follow_their_leaf),
        cmocka_unit_test(blank_lines_follow_black),
        cmocka_unit_test(one_statement_a_line),
        cmocka_unit_test(module_docstring_is_followed_by_one_blank_line),
        cmocka_unit_test(docstrings_are_stripped_and_reindented),
        cmocka_unit_test(comments_before_a_dedent_stay_in_their_block),
        cmocka_unit_test(imports_are_merged_sorted_and_sectioned),
        cmocka_unit_test(import_names_order_by_type),
        cmocka_unit_test(a_comment_in_an_import_list_stays_with_its_name),
        cmocka_unit_test(an_unreadable_import_block_is_left_alone),
        cmocka_unit_test(every_import_block_is_sorted),
        cmocka_unit_test(long_from_import_goes_in_parentheses),
        cmocka_unit_test(lines_after_imports),
        cmocka_unit_test(first_party_option),
        cmocka_unit_test(unreadable_python_is_reported_with_position),
        cmocka_unit_test(brackets_nested_too_deeply_are_refused),
        cmocka_unit_test(output_cap_is_reported),
        cmocka_unit_test(allocation_failures_are_clean),
        cmocka_unit_test(generated_files_are_fixed_points),
        cmocka_unit_test(random_statements_come_out_as_black_prints_them),
        cmocka_unit_test(operators_come_out_as_black_spaces_them),
        cmocka_unit_test(numbers_come_out_as_black_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
