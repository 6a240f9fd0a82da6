/*
 * patterns.c - the table of suspicious patterns and its matcher (patterns.h).
 *
 * Each rule is a PCRE2 pattern that starts at a trigger: a word (drop,
 * eval, javascript...) or a character (< ; ' "). A scan walks the text once
 * in C, word by word; only where a trigger occurs does it run the rules that
 * start with it, anchored there. Most strings hold no trigger and cost one
 * pass over their bytes; the regexes, being anchored, never rescan the text.
 * The first match in text order wins; at one position, the first rule in the
 * table.
 *
 * A rule's regex is compiled the first time a trigger calls for it, and
 * JIT-compiled only once it has been tried JIT_AFTER times: JIT compiling
 * every rule costs more (~0.5 ms) than a short command spends matching, while
 * a server soon runs each rule often enough to earn it.
 */
#include "front/patterns.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Between two SQL words: whitespace or short SQL block comments, at least one. */
#define SEP "(?:\\s|/\\*[^*]{0,64}\\*/)+"

/*
 * The rules. `triggers` lists the lower-case words a match starts with
 * ("on*" is any word starting with "on"; "__*" any word starting with "__"),
 * or single characters. The regex is matched case-blind from the trigger.
 */
static const struct {
    bb_pattern_category category;
    const char *rule;
    const char *triggers;
    const char *regex;
} rules[] = {
    /* SQL injection: statements and tricks that have no place in a name or
     * a description. */
    {BB_PATTERN_SQL, "drop table", "drop",
     "drop" SEP "(?:table|database|schema|view|index|user|column|function|procedure|"
     "trigger)\\b"},
    {BB_PATTERN_SQL, "delete from", "delete", "delete" SEP "from\\b"},
    {BB_PATTERN_SQL, "truncate table", "truncate", "truncate" SEP "table\\b"},
    {BB_PATTERN_SQL, "union select", "union", "union" SEP "(?:all" SEP ")?select\\b"},
    {BB_PATTERN_SQL, "insert into ... values", "insert",
     "insert" SEP "into\\b[^;]{0,200}?\\bvalues\\s*\\("},
    {BB_PATTERN_SQL, "update ... set", "update",
     "update" SEP "[\\w.\"`]+" SEP "set" SEP "[\\w\"`]+\\s*="},
    {BB_PATTERN_SQL, "alter table", "alter",
     "alter" SEP "table" SEP "[\\w.\"`]+" SEP "(?:add|drop|rename|alter)\\b"},
    {BB_PATTERN_SQL, "; --", ";", ";\\s*--"},
    {BB_PATTERN_SQL, "' or 1=1", "' \"",
     "['\"]\\s*\\)?\\s*or" SEP "(?:['\"]?(\\w+)['\"]?\\s*=\\s*['\"]?\\g{-1}\\b|true\\b)"},
    {BB_PATTERN_SQL, "or 1=1", "or", "or" SEP "(\\d+)\\s*=\\s*\\g{-1}\\b"},
    {BB_PATTERN_SQL, "exec xp_", "exec execute", "exec(?:ute)?" SEP "(?:xp|sp)_\\w+"},
    {BB_PATTERN_SQL, "xp_cmdshell", "xp_cmdshell", "xp_cmdshell\\b"},
    {BB_PATTERN_SQL, "sleep(", "sleep pg_sleep benchmark",
     "(?:pg_sleep|sleep|benchmark)\\(\\s*\\d"},
    {BB_PATTERN_SQL, "waitfor delay", "waitfor", "waitfor" SEP "delay\\b"},
    {BB_PATTERN_SQL, "from information_schema", "from", "from" SEP "information_schema\\b"},
    {BB_PATTERN_SQL, "into outfile", "into", "into" SEP "(?:out|dump)file\\b"},
    {BB_PATTERN_SQL, "load_file(", "load_file", "load_file\\s*\\("},

    /* Script injection: HTML that runs code when a generated page shows it. */
    {BB_PATTERN_SCRIPT, "<script", "<", "<\\s*script\\b"},
    {BB_PATTERN_SCRIPT, "javascript:", "javascript vbscript", "(?:javascript|vbscript)\\s*:"},
    {BB_PATTERN_SCRIPT, "on...= event handler", "on*",
     "on(?:abort|afterprint|animation\\w+|auxclick|beforeprint|beforeunload|blur|canplay\\w*|"
     "change|click|contextmenu|copy|cut|dblclick|drag\\w*|drop|durationchange|ended|error|"
     "focus\\w*|hashchange|input|invalid|key(?:down|press|up)|load\\w*|message|mouse\\w+|"
     "offline|online|page(?:hide|show)|paste|pause|play\\w*|pointer\\w+|popstate|progress|"
     "ratechange|reset|resize|scroll|search|seek\\w+|select|show|stalled|storage|submit|"
     "suspend|timeupdate|toggle|touch\\w+|transition\\w+|unload|volumechange|waiting|"
     "wheel)\\s*="},
    {BB_PATTERN_SCRIPT, "<iframe", "<", "<\\s*(?:iframe|object|embed|applet)\\b"},
    {BB_PATTERN_SCRIPT, "data:text/html", "data", "data\\s*:\\s*text/html"},
    {BB_PATTERN_SCRIPT, "document.cookie", "document", "document\\s*\\.\\s*(?:cookie|write)\\b"},

    /* Code injection: Python that runs when generated code or a tool
     * evaluates the text. */
    {BB_PATTERN_CODE, "__import__", "__import__", "__import__\\b"},
    {BB_PATTERN_CODE, "eval(", "eval", "eval\\s*\\("},
    {BB_PATTERN_CODE, "exec(", "exec", "exec\\s*\\("},
    {BB_PATTERN_CODE, "os.system", "os",
     "os\\s*\\.\\s*(?:system|popen|exec\\w*|spawn\\w*|remove|unlink|rmdir|removedirs|kill)"
     "\\b"},
    {BB_PATTERN_CODE, "subprocess", "subprocess", "subprocess\\s*\\.\\s*\\w+"},
    {BB_PATTERN_CODE, "import subprocess", "import from", "(?:import|from)\\s+subprocess\\b"},
    {BB_PATTERN_CODE, "compile(", "compile",
     "compile\\([^()]{0,200},\\s*['\"](?:exec|eval|single)['\"]"},
    {BB_PATTERN_CODE, "open(", "open",
     "open\\(\\s*['\"][^'\"]{1,200}['\"]\\s*(?:,\\s*['\"][rwaxbt+]{1,3}['\"]\\s*)?\\)"},
    {BB_PATTERN_CODE, "dunder attribute", "__*",
     "__(?:builtins|globals|subclasses|class|bases|mro|code|reduce)__\\b"},
    {BB_PATTERN_CODE, "pickle.loads", "pickle cpickle marshal dill",
     "(?:pickle|cPickle|marshal|dill)\\s*\\.\\s*loads?\\s*\\("},
    {BB_PATTERN_CODE, "importlib", "importlib", "importlib\\s*\\.\\s*import_module\\s*\\("},
    {BB_PATTERN_CODE, "import ctypes", "import", "import\\s+(?:ctypes|shutil)\\b"},
    {BB_PATTERN_CODE, "shutil.rmtree", "shutil", "shutil\\s*\\.\\s*rmtree\\b"},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))
typedef uint64_t rule_set; /* bit i: rules[i] */

/* One trigger word (or character) and the rules that start with it. */
typedef struct trigger {
    char word[16];
    rule_set rules;
} trigger;

#define MAX_TRIGGERS 64

/* Interpreted tries of a rule after which it is JIT-compiled: about what
 * JIT compiling one rule costs, in interpreted matches. */
#define JIT_AFTER 64

/*
 * The regex of each rule: NULL until first needed, then interpreted, then
 * replaced by a JIT-compiled copy. The copy replaced is kept in `first`,
 * since a scan in another thread may still be using it. Neither is ever
 * freed: every thread shares them for the life of the process.
 */
static struct {
    _Atomic(pcre2_code *) code;
    _Atomic(pcre2_code *) first;
    atomic_uint tries;
} compiled[N_RULES];

static pthread_once_t triggers_once = PTHREAD_ONCE_INIT;
static bool compile_failed;
static trigger triggers[MAX_TRIGGERS]; /* sorted by word */
static size_t n_triggers;
static rule_set on_prefix, dunder_prefix; /* "on*" and "__*" */
static rule_set by_char[256];             /* single-character triggers */
static uint8_t first_pair[65536 / 8];     /* first two bytes of trigger words */
static size_t longest_trigger;

static void set_pair(const char *w)
{
    unsigned k = (unsigned)(unsigned char)w[0] << 8 | (unsigned char)w[1];
    first_pair[k >> 3] |= (uint8_t)(1u << (k & 7));
}

static bool has_pair(const char *w)
{
    unsigned k = (unsigned)(unsigned char)w[0] << 8 | (unsigned char)w[1];
    return first_pair[k >> 3] & (1u << (k & 7));
}

static int cmp_trigger(const void *a, const void *b)
{
    return strcmp(((const trigger *)a)->word, ((const trigger *)b)->word);
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const trigger *)elem)->word);
}

static void add_trigger(const char *word, size_t n, size_t rule)
{
    rule_set bit = (rule_set)1 << rule;
    if (n == 1 && !isalnum((unsigned char)word[0])) {
        by_char[(unsigned char)word[0]] |= bit;
        return;
    }
    if (n == 3 && memcmp(word, "on*", 3) == 0) {
        on_prefix |= bit;
        return;
    }
    if (n == 3 && memcmp(word, "__*", 3) == 0) {
        dunder_prefix |= bit;
        return;
    }
    for (size_t i = 0; i < n_triggers; i++)
        if (strlen(triggers[i].word) == n && memcmp(triggers[i].word, word, n) == 0) {
            triggers[i].rules |= bit;
            return;
        }
    if (n_triggers == MAX_TRIGGERS || n >= sizeof(triggers[0].word)) {
        compile_failed = true; /* the table above is wrong: caught by the tests */
        return;
    }
    if (n > longest_trigger)
        longest_trigger = n;
    memcpy(triggers[n_triggers].word, word, n);
    triggers[n_triggers].word[n] = '\0';
    triggers[n_triggers++].rules = bit;
}

/* Builds the trigger tables from the rules, once per process. */
static void build_triggers(void)
{
    for (size_t i = 0; i < N_RULES; i++) {
        for (const char *t = rules[i].triggers; *t;) {
            size_t n = strcspn(t, " ");
            add_trigger(t, n, i);
            t += n;
            t += strspn(t, " ");
        }
    }
    qsort(triggers, n_triggers, sizeof(*triggers), cmp_trigger);
    for (size_t i = 0; i < n_triggers; i++)
        set_pair(triggers[i].word);
}

/* Rule i compiled anchored (it starts at its trigger), in byte mode (no
 * UTF), which keeps the scan safe on any input; NULL if it does not compile
 * (the table is wrong: the tests catch it) or memory ran out. */
static pcre2_code *compile_rule(size_t i)
{
    int err;
    PCRE2_SIZE erroff;
    return pcre2_compile((PCRE2_SPTR)rules[i].regex, PCRE2_ZERO_TERMINATED,
                         PCRE2_CASELESS | PCRE2_ANCHORED, &err, &erroff, NULL);
}

/*
 * The regex of rule i, compiled on first use. Threads racing to compile it
 * keep the first copy published. The try that reaches JIT_AFTER swaps in a
 * JIT-compiled copy (where the platform has a JIT); that try is one thread's
 * only, so the swap happens once.
 */
static pcre2_code *rule_code(size_t i)
{
    pcre2_code *c = atomic_load_explicit(&compiled[i].code, memory_order_acquire);
    if (!c) {
        pcre2_code *fresh = compile_rule(i);
        if (!fresh)
            return NULL;
        if (atomic_compare_exchange_strong_explicit(&compiled[i].code, &c, fresh,
                                                    memory_order_acq_rel, memory_order_acquire))
            return fresh;
        pcre2_code_free(fresh); /* another thread was first: c is its copy */
        return c;
    }
    if (atomic_load_explicit(&compiled[i].first, memory_order_relaxed) ||
        atomic_fetch_add_explicit(&compiled[i].tries, 1, memory_order_relaxed) != JIT_AFTER)
        return c;
    pcre2_code *jit = compile_rule(i);
    if (!jit)
        return c;
    if (pcre2_jit_compile(jit, PCRE2_JIT_COMPLETE) != 0) {
        pcre2_code_free(jit); /* no JIT on this platform: keep interpreting */
        return c;
    }
    atomic_store_explicit(&compiled[i].first, c, memory_order_relaxed);
    atomic_store_explicit(&compiled[i].code, jit, memory_order_release);
    return jit;
}

static void *pattern_malloc(size_t n, void *ctx);
static void pattern_free(void *p, void *ctx);

/* Runs the rules of set anchored at pos; true and *hit on the first match. */
static int try_rules(const char *s, size_t len, size_t pos, rule_set set, pcre2_match_data **md,
                     pcre2_general_context *gc, bb_pattern_hit *hit)
{
    for (size_t i = 0; i < N_RULES; i++) {
        if (!(set & ((rule_set)1 << i)))
            continue;
        if (!*md) {
            *md = pcre2_match_data_create(4, gc);
            if (!*md)
                return BB_ENOMEM;
        }
        pcre2_code *code = rule_code(i);
        if (!code)
            return BB_ESTATE;
        int rc = pcre2_match(code, (PCRE2_SPTR)s, len, pos, 0, *md, NULL);
        if (rc < 0)
            continue; /* no match, or a match limit: not suspicious here */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(*md);
        hit->category = rules[i].category;
        hit->rule = rules[i].rule;
        hit->start = ov[0];
        hit->end = ov[1];
        return 1;
    }
    return 0;
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

/* ASCII only, independent of the locale: the scan runs in byte mode. */
static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Letters, digits and '_' (ASCII): the bytes of a word. */
/* clang-format off */
static const bool word_bytes[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

static bool is_word_byte(unsigned char c)
{
    return word_bytes[c];
}

/* The rules the word s[0..n) may start. */
static rule_set rules_of_word(const char *s, size_t n)
{
    if (n < 2)
        return 0;
    char low[16];
    low[0] = (char)ascii_lower((unsigned char)s[0]);
    low[1] = (char)ascii_lower((unsigned char)s[1]);
    rule_set set = 0;
    if (low[0] == 'o' && low[1] == 'n' && n > 2)
        set |= on_prefix;
    if (low[0] == '_' && low[1] == '_' && n > 2)
        set |= dunder_prefix;
    /* Most words of prose start with no trigger's first two letters. */
    if (n > longest_trigger || !has_pair(low))
        return set;
    for (size_t i = 2; i < n; i++)
        low[i] = (char)ascii_lower((unsigned char)s[i]);
    low[n] = '\0';
    const trigger *t = bsearch(low, triggers, n_triggers, sizeof(*triggers), cmp_key);
    return t ? set | t->rules : set;
}

int bb_patterns_scan(const char *s, size_t len, bb_pattern_hit *hit)
{
    pthread_once(&triggers_once, build_triggers);
    if (compile_failed)
        return BB_ESTATE;
    pcre2_general_context *gc = NULL;
    pcre2_match_data *md = NULL;
    int result = 0;
    for (size_t i = 0; i < len && result == 0;) {
        rule_set set;
        size_t next = i + 1;
        if (is_word_byte((unsigned char)s[i])) {
            while (next < len && is_word_byte((unsigned char)s[next]))
                next++;
            set = rules_of_word(s + i, next - i);
        } else {
            set = by_char[(unsigned char)s[i]];
        }
        if (set && !gc) {
            gc = pcre2_general_context_create(pattern_malloc, pattern_free, NULL);
            if (!gc)
                return BB_ENOMEM;
        }
        if (set)
            result = try_rules(s, len, i, set, &md, gc, hit);
        i = next;
    }
    if (gc) {
        pcre2_match_data_free(md);
        pcre2_general_context_free(gc);
    }
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
