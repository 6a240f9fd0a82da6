/*
 * patterns.c - the table of suspicious patterns and its matcher (patterns.h).
 *
 * Each rule is one PCRE2 pattern. They are joined into one alternation,
 * each branch opened by (*MARK:<index>), so a single JIT-compiled scan finds
 * the first suspicious spot and the mark says which rule matched. Rules may
 * use capture groups, but only relative back references (\g{-1}), since
 * joining them renumbers the groups.
 */
#include "patterns.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Between two SQL words: whitespace or short SQL block comments, at least one. */
#define SEP "(?:\\s|/\\*[^*]{0,64}\\*/)+"

static const struct {
    bb_pattern_category category;
    const char *rule;
    const char *regex;
} rules[] = {
    /* SQL injection: statements and tricks that have no place in a name or
     * a description. */
    {BB_PATTERN_SQL, "drop table",
     "\\bdrop" SEP "(?:table|database|schema|view|index|user|column|function|procedure|"
     "trigger)\\b"},
    {BB_PATTERN_SQL, "delete from", "\\bdelete" SEP "from\\b"},
    {BB_PATTERN_SQL, "truncate table", "\\btruncate" SEP "table\\b"},
    {BB_PATTERN_SQL, "union select", "\\bunion" SEP "(?:all" SEP ")?select\\b"},
    {BB_PATTERN_SQL, "insert into ... values",
     "\\binsert" SEP "into\\b[^;]{0,200}?\\bvalues\\s*\\("},
    {BB_PATTERN_SQL, "update ... set", "\\bupdate" SEP "[\\w.\"`]+" SEP "set" SEP "[\\w\"`]+\\s*="},
    {BB_PATTERN_SQL, "alter table",
     "\\balter" SEP "table" SEP "[\\w.\"`]+" SEP "(?:add|drop|rename|alter)\\b"},
    {BB_PATTERN_SQL, "; --", ";\\s*--"},
    {BB_PATTERN_SQL, "' or 1=1",
     "['\"]\\s*\\)?\\s*or" SEP "(?:['\"]?(\\w+)['\"]?\\s*=\\s*['\"]?\\g{-1}\\b|true\\b)"},
    {BB_PATTERN_SQL, "or 1=1", "\\bor" SEP "(\\d+)\\s*=\\s*\\g{-1}\\b"},
    {BB_PATTERN_SQL, "exec xp_", "\\bexec(?:ute)?" SEP "(?:xp|sp)_\\w+"},
    {BB_PATTERN_SQL, "xp_cmdshell", "\\bxp_cmdshell\\b"},
    {BB_PATTERN_SQL, "sleep(", "\\b(?:pg_sleep|sleep|benchmark)\\(\\s*\\d"},
    {BB_PATTERN_SQL, "waitfor delay", "\\bwaitfor" SEP "delay\\b"},
    {BB_PATTERN_SQL, "from information_schema", "\\bfrom" SEP "information_schema\\b"},
    {BB_PATTERN_SQL, "into outfile", "\\binto" SEP "(?:out|dump)file\\b"},
    {BB_PATTERN_SQL, "load_file(", "\\bload_file\\s*\\("},

    /* Script injection: HTML that runs code when a generated page shows it. */
    {BB_PATTERN_SCRIPT, "<script", "<\\s*script\\b"},
    {BB_PATTERN_SCRIPT, "javascript:", "\\b(?:javascript|vbscript)\\s*:"},
    {BB_PATTERN_SCRIPT, "on...= event handler",
     "\\bon(?:abort|afterprint|animation\\w+|auxclick|beforeprint|beforeunload|blur|canplay\\w*|"
     "change|click|contextmenu|copy|cut|dblclick|drag\\w*|drop|durationchange|ended|error|"
     "focus\\w*|hashchange|input|invalid|key(?:down|press|up)|load\\w*|message|mouse\\w+|"
     "offline|online|page(?:hide|show)|paste|pause|play\\w*|pointer\\w+|popstate|progress|"
     "ratechange|reset|resize|scroll|search|seek\\w+|select|show|stalled|storage|submit|"
     "suspend|timeupdate|toggle|touch\\w+|transition\\w+|unload|volumechange|waiting|"
     "wheel)\\s*="},
    {BB_PATTERN_SCRIPT, "<iframe", "<\\s*(?:iframe|object|embed|applet)\\b"},
    {BB_PATTERN_SCRIPT, "data:text/html", "\\bdata\\s*:\\s*text/html"},
    {BB_PATTERN_SCRIPT, "document.cookie", "\\bdocument\\s*\\.\\s*(?:cookie|write)\\b"},

    /* Code injection: Python that runs when generated code or a tool
     * evaluates the text. */
    {BB_PATTERN_CODE, "__import__", "\\b__import__\\b"},
    {BB_PATTERN_CODE, "eval(", "\\beval\\s*\\("},
    {BB_PATTERN_CODE, "exec(", "\\bexec\\s*\\("},
    {BB_PATTERN_CODE, "os.system",
     "\\bos\\s*\\.\\s*(?:system|popen|exec\\w*|spawn\\w*|remove|unlink|rmdir|removedirs|kill)"
     "\\b"},
    {BB_PATTERN_CODE, "subprocess",
     "\\bsubprocess\\s*\\.\\s*\\w+|\\b(?:import|from)\\s+subprocess\\b"},
    {BB_PATTERN_CODE, "compile(", "\\bcompile\\([^()]{0,200},\\s*['\"](?:exec|eval|single)['\"]"},
    {BB_PATTERN_CODE, "open(",
     "\\bopen\\(\\s*['\"][^'\"]{1,200}['\"]\\s*(?:,\\s*['\"][rwaxbt+]{1,3}['\"]\\s*)?\\)"},
    {BB_PATTERN_CODE, "dunder attribute",
     "\\b__(?:builtins|globals|subclasses|class|bases|mro|code|reduce)__\\b"},
    {BB_PATTERN_CODE, "pickle.loads", "\\b(?:pickle|cPickle|marshal|dill)\\s*\\.\\s*loads?\\s*\\("},
    {BB_PATTERN_CODE, "importlib", "\\bimportlib\\s*\\.\\s*import_module\\s*\\("},
    {BB_PATTERN_CODE, "import ctypes", "\\bimport\\s+(?:ctypes|shutil)\\b"},
    {BB_PATTERN_CODE, "shutil.rmtree", "\\bshutil\\s*\\.\\s*rmtree\\b"},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static pthread_once_t compile_once = PTHREAD_ONCE_INIT;
static pcre2_code *combined;

/* Joins the rules into "(*MARK:0)(?:r0)|(*MARK:1)(?:r1)|...". */
static char *join_rules(void)
{
    /* Plain malloc: this runs once under pthread_once, and an injected
     * allocation failure must not disable the patterns for the process. */
    size_t total = 1;
    for (size_t i = 0; i < N_RULES; i++)
        total += strlen(rules[i].regex) + 32;
    char *p = malloc(total);
    if (!p)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < N_RULES; i++) {
        int n = snprintf(p + used, total - used, "%s(*MARK:%zu)(?:%s)", i ? "|" : "", i,
                         rules[i].regex);
        if (n < 0 || (size_t)n >= total - used) {
            free(p);
            return NULL;
        }
        used += (size_t)n;
    }
    return p;
}

/* Compiles the combined regex once per process. It is never freed: it is
 * shared by every thread for the life of the process. Byte mode (no UTF)
 * keeps the scan safe on any input and fast. */
static void compile_patterns(void)
{
    char *src = join_rules();
    if (!src)
        return;
    int err;
    PCRE2_SIZE erroff;
    combined =
        pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &erroff, NULL);
    free(src);
    if (combined)
        (void)pcre2_jit_compile(combined, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
}

const char *bb_pattern_category_name(bb_pattern_category c)
{
    switch (c) {
    case BB_PATTERN_SQL:
        return "SQL injection";
    case BB_PATTERN_SCRIPT:
        return "script injection";
    case BB_PATTERN_CODE:
        return "code injection";
    }
    return "injection";
}

/* pcre2's allocator hooks, so match data goes through bb_malloc. */
static void *pattern_malloc(size_t n, void *ctx)
{
    (void)ctx;
    return bb_malloc(n);
}

static void pattern_free(void *p, void *ctx)
{
    (void)ctx;
    bb_free(p);
}

int bb_patterns_scan(const char *s, size_t len, bb_pattern_hit *hit)
{
    pthread_once(&compile_once, compile_patterns);
    if (!combined)
        return BB_ESTATE;
    pcre2_general_context *gc = pcre2_general_context_create(pattern_malloc, pattern_free, NULL);
    if (!gc)
        return BB_ENOMEM;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(combined, gc);
    if (!md) {
        pcre2_general_context_free(gc);
        return BB_ENOMEM;
    }
    int rc = pcre2_match(combined, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
    int result = 0;
    if (rc >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        PCRE2_SPTR mark = pcre2_get_mark(md);
        size_t i = mark ? strtoul((const char *)mark, NULL, 10) : 0;
        if (i >= N_RULES)
            i = 0;
        hit->category = rules[i].category;
        hit->rule = rules[i].rule;
        hit->start = ov[0];
        hit->end = ov[1];
        result = 1;
    } else if (rc != PCRE2_ERROR_NOMATCH) {
        /* A match limit or JIT stack overflow: treat the text as clean
         * rather than fail the run; the limits are far above any rule. */
        result = 0;
    }
    pcre2_match_data_free(md);
    pcre2_general_context_free(gc);
    return result;
}

static const char *category_code(bb_pattern_category c)
{
    switch (c) {
    case BB_PATTERN_SQL:
        return "BB0501";
    case BB_PATTERN_SCRIPT:
        return "BB0502";
    case BB_PATTERN_CODE:
        return "BB0503";
    }
    return "BB0501";
}

/* Copies the matched text for a message: at most 40 bytes, control bytes and
 * quotes replaced, so the message stays on one line. */
static void quote_match(const char *s, const bb_pattern_hit *hit, char *out, size_t out_size)
{
    size_t n = hit->end - hit->start;
    if (n > 40)
        n = 40;
    if (n >= out_size)
        n = out_size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[hit->start + i];
        out[i] = (c < 0x20 || c == 0x7f || c == '"') ? ' ' : (char)c;
    }
    out[n] = '\0';
}

int bb_patterns_check(bb_diags *d, const char *s, size_t len, const char *pointer, size_t offset)
{
    bb_pattern_hit hit;
    int rc = bb_patterns_scan(s, len, &hit);
    if (rc <= 0)
        return rc;
    char text[48];
    quote_match(s, &hit, text, sizeof(text));
    bb_diag_add(d, BB_ERROR, category_code(hit.category), pointer, offset,
                "strings are copied into generated code, SQL and documentation, so backbone "
                "refuses text that looks like an attack; rephrase it",
                "suspicious content: \"%s\" looks like %s (%s)", text,
                bb_pattern_category_name(hit.category), hit.rule);
    return BB_EINVAL;
}
