/*
 * patterns.c - the table of suspicious patterns and its matcher (patterns.h).
 *
 * Each rule is a PCRE2 pattern that starts at a trigger, and is matched
 * anchored there:
 *   word      a word (letters, digits, '_') spelled so, in any case: "drop"
 *   prefix    a longer word that starts so: "on*" (onload, onerror...)
 *   character a byte that is not a letter or digit: "<", "'", "-"
 * Rules marked LINE are about a whole line ("import pickle", a password
 * assignment): their triggers are looked for in the first word of a line
 * only, as that word or, written "*token*", anywhere in it; the regex is
 * then matched from the start of the line.
 *
 * A scan walks the text once in C, word by word, with the triggers of the
 * rules it wants (the schema's, or the generated files'); only where a
 * trigger occurs does it run the rules that start with it. Most text holds
 * no trigger and costs one pass over its bytes; the regexes, being
 * anchored, never rescan the text.
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

enum {
    S = BB_PATTERNS_SCHEMA,
    F = BB_PATTERNS_FILE,
    PY = BB_PATTERNS_PYTHON,
};
enum {
    CASED = 1, /* the regex is matched case by case (default: case-blind) */
    LINE = 2,  /* triggered by the first word of a line, matched from its start */
};

/*
 * The rules: the uses they serve, their category (which gives the
 * diagnostic code), flags, short name, triggers (lower-case, separated by
 * spaces) and regex.
 */
static const struct {
    unsigned uses;
    bb_pattern_category category;
    unsigned flags;
    const char *rule;
    const char *triggers;
    const char *regex;
} rules[] = {
    /* SQL injection: statements and tricks that have no place in a name or
     * a description. */
    {S, BB_PATTERN_SQL, 0, "drop table", "drop",
     "drop" SEP "(?:table|database|schema|view|index|user|column|function|procedure|"
     "trigger)\\b"},
    {S, BB_PATTERN_SQL, 0, "delete from", "delete", "delete" SEP "from\\b"},
    {S, BB_PATTERN_SQL, 0, "truncate table", "truncate", "truncate" SEP "table\\b"},
    {S, BB_PATTERN_SQL, 0, "union select", "union", "union" SEP "(?:all" SEP ")?select\\b"},
    {S, BB_PATTERN_SQL, 0, "insert into ... values", "insert",
     "insert" SEP "into\\b[^;]{0,200}?\\bvalues\\s*\\("},
    {S, BB_PATTERN_SQL, 0, "update ... set", "update",
     "update" SEP "[\\w.\"`]+" SEP "set" SEP "[\\w\"`]+\\s*="},
    {S, BB_PATTERN_SQL, 0, "alter table", "alter",
     "alter" SEP "table" SEP "[\\w.\"`]+" SEP "(?:add|drop|rename|alter)\\b"},
    {S, BB_PATTERN_SQL, 0, "; --", ";", ";\\s*--"},
    {S, BB_PATTERN_SQL, 0, "' or 1=1", "' \"",
     "['\"]\\s*\\)?\\s*or" SEP "(?:['\"]?(\\w+)['\"]?\\s*=\\s*['\"]?\\g{-1}\\b|true\\b)"},
    {S, BB_PATTERN_SQL, 0, "or 1=1", "or", "or" SEP "(\\d+)\\s*=\\s*\\g{-1}\\b"},
    {S, BB_PATTERN_SQL, 0, "exec xp_", "exec execute", "exec(?:ute)?" SEP "(?:xp|sp)_\\w+"},
    {S, BB_PATTERN_SQL, 0, "xp_cmdshell", "xp_cmdshell", "xp_cmdshell\\b"},
    {S, BB_PATTERN_SQL, 0, "sleep(", "sleep pg_sleep benchmark",
     "(?:pg_sleep|sleep|benchmark)\\(\\s*\\d"},
    {S, BB_PATTERN_SQL, 0, "waitfor delay", "waitfor", "waitfor" SEP "delay\\b"},
    {S, BB_PATTERN_SQL, 0, "from information_schema", "from", "from" SEP "information_schema\\b"},
    {S, BB_PATTERN_SQL, 0, "into outfile", "into", "into" SEP "(?:out|dump)file\\b"},
    {S, BB_PATTERN_SQL, 0, "load_file(", "load_file", "load_file\\s*\\("},

    /* Script injection: HTML that runs code when a generated page shows it. */
    {S, BB_PATTERN_SCRIPT, 0, "<script", "<", "<\\s*script\\b"},
    {S, BB_PATTERN_SCRIPT, 0, "javascript:", "javascript vbscript", "(?:javascript|vbscript)\\s*:"},
    {S, BB_PATTERN_SCRIPT, 0, "on...= event handler", "on*",
     "on(?:abort|afterprint|animation\\w+|auxclick|beforeprint|beforeunload|blur|canplay\\w*|"
     "change|click|contextmenu|copy|cut|dblclick|drag\\w*|drop|durationchange|ended|error|"
     "focus\\w*|hashchange|input|invalid|key(?:down|press|up)|load\\w*|message|mouse\\w+|"
     "offline|online|page(?:hide|show)|paste|pause|play\\w*|pointer\\w+|popstate|progress|"
     "ratechange|reset|resize|scroll|search|seek\\w+|select|show|stalled|storage|submit|"
     "suspend|timeupdate|toggle|touch\\w+|transition\\w+|unload|volumechange|waiting|"
     "wheel)\\s*="},
    {S, BB_PATTERN_SCRIPT, 0, "<iframe", "<", "<\\s*(?:iframe|object|embed|applet)\\b"},
    {S, BB_PATTERN_SCRIPT, 0, "data:text/html", "data", "data\\s*:\\s*text/html"},
    {S, BB_PATTERN_SCRIPT, 0, "document.cookie", "document",
     "document\\s*\\.\\s*(?:cookie|write)\\b"},

    /* Code injection: Python that runs when generated code or a tool
     * evaluates the text. */
    {S, BB_PATTERN_CODE, 0, "__import__", "__import__", "__import__\\b"},
    {S, BB_PATTERN_CODE, 0, "eval(", "eval", "eval\\s*\\("},
    {S, BB_PATTERN_CODE, 0, "exec(", "exec", "exec\\s*\\("},
    {S, BB_PATTERN_CODE, 0, "os.system", "os",
     "os\\s*\\.\\s*(?:system|popen|exec\\w*|spawn\\w*|remove|unlink|rmdir|removedirs|kill)"
     "\\b"},
    {S, BB_PATTERN_CODE, 0, "subprocess", "subprocess", "subprocess\\s*\\.\\s*\\w+"},
    {S, BB_PATTERN_CODE, 0, "import subprocess", "import from", "(?:import|from)\\s+subprocess\\b"},
    {S, BB_PATTERN_CODE, 0, "compile(", "compile",
     "compile\\([^()]{0,200},\\s*['\"](?:exec|eval|single)['\"]"},
    {S, BB_PATTERN_CODE, 0, "open(", "open",
     "open\\(\\s*['\"][^'\"]{1,200}['\"]\\s*(?:,\\s*['\"][rwaxbt+]{1,3}['\"]\\s*)?\\)"},
    {S, BB_PATTERN_CODE, 0, "dunder attribute", "__*",
     "__(?:builtins|globals|subclasses|class|bases|mro|code|reduce)__\\b"},
    {S, BB_PATTERN_CODE, 0, "pickle.loads", "pickle cpickle marshal dill",
     "(?:pickle|cPickle|marshal|dill)\\s*\\.\\s*loads?\\s*\\("},
    {S, BB_PATTERN_CODE, 0, "importlib", "importlib", "importlib\\s*\\.\\s*import_module\\s*\\("},
    {S, BB_PATTERN_CODE, 0, "import ctypes", "import", "import\\s+(?:ctypes|shutil)\\b"},
    {S, BB_PATTERN_CODE, 0, "shutil.rmtree", "shutil", "shutil\\s*\\.\\s*rmtree\\b"},

    /* Generated Python: calls that run code or commands, unsafe
     * deserialisation. */
    {PY, BB_PATTERN_EVAL, CASED, "call of eval() or exec()", "eval exec",
     "(?<![\\w.])(?:eval|exec)\\s*\\("},
    {PY, BB_PATTERN_PICKLE, CASED | LINE, "use of pickle (unsafe deserialisation)", "import from",
     "\\s*(?:import|from)\\s+(?:c?pickle|dill|shelve)\\b"},
    {PY, BB_PATTERN_PICKLE, CASED, "use of pickle (unsafe deserialisation)", "pickle",
     "pickle\\.\\w+"},
    {PY, BB_PATTERN_SHELL, CASED, "shell command execution (shell=True, os.system, os.popen)",
     "shell", "shell\\s*=\\s*True\\b"},
    {PY, BB_PATTERN_SHELL, CASED, "shell command execution (shell=True, os.system, os.popen)", "os",
     "os\\.(?:system|popen)\\s*\\("},
    {PY, BB_PATTERN_SHELL, CASED, "shell command execution (shell=True, os.system, os.popen)",
     "subprocess", "subprocess\\.getoutput\\s*\\("},

    /* Any generated file: secrets written into it. */
    {F, BB_PATTERN_SECRET, LINE, "hard-coded secret",
     "*passw* *secret* *api_key* *apikey* *token* *private_key*",
     "\\s*\\w*(?:password|passwd|secret|api_?key|token|private_key)\\w*\\s*(?::[^=\\n]+)?"
     "=\\s*[rbu]?[\"'][^\"'\\n]{4,}[\"']"},
    {F, BB_PATTERN_SECRET, CASED, "hard-coded AWS access key", "akia* asia*",
     "(?:AKIA|ASIA)[0-9A-Z]{16}\\b"},
    {F, BB_PATTERN_SECRET, CASED, "hard-coded private key", "-",
     "-----BEGIN [A-Z ]*PRIVATE KEY-----"},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))
typedef uint64_t rule_set; /* bit i: rules[i] */
_Static_assert(N_RULES <= 64, "a rule_set has a bit per rule");

/* One trigger and the rules that start with it. */
typedef struct trigger {
    char word[16];
    size_t len;
    rule_set rules;
} trigger;

#define MAX_TRIGGERS 64
#define MAX_SPECIAL 8 /* prefixes, and a line's words and parts of words */

/*
 * The triggers of one group of rules: the schema's, and the generated
 * files' (a scan only ever looks for one group's).
 */
typedef struct group {
    trigger words[MAX_TRIGGERS]; /* sorted by word */
    size_t n_words, longest;
    trigger prefixes[MAX_SPECIAL];
    size_t n_prefixes;
    rule_set by_char[256];         /* single-character triggers */
    uint8_t kind[256];             /* K_* of each byte, for the walk */
    uint8_t first_pair[65536 / 8]; /* first two bytes of words and prefixes */
    uint8_t part_pair[65536 / 8];  /* first two bytes of line_parts */
    /* LINE rules: the first word of a line, as a whole or a part of it. */
    trigger line_words[MAX_SPECIAL], line_parts[MAX_SPECIAL];
    size_t n_line_words, n_line_parts;
    rule_set line_rules;
} group;

enum { G_SCHEMA, G_FILES, N_GROUPS };

/* What a byte is to the walk: most bytes are none of these and are skipped
 * in a tight loop (K_OTHER only matters while a line has no word yet). */
enum { K_WORD = 1, K_TRIGGER = 2, K_NEWLINE = 4, K_OTHER = 8 };

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
static group groups[N_GROUPS];

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

/* What \s matches in the regexes (byte mode). */
static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static unsigned pair_of(const char *w)
{
    return (unsigned)(unsigned char)w[0] << 8 | (unsigned char)w[1];
}

/* The two (lower-case) letters of w in every case: has_pair, which runs
 * on every word, then takes the bytes as they are. */
static void set_pair(uint8_t *pairs, const char *w)
{
    for (unsigned variant = 0; variant < 4; variant++) {
        char c[2] = {w[0], w[1]};
        for (int i = 0; i < 2; i++)
            if ((variant >> i & 1) && c[i] >= 'a' && c[i] <= 'z')
                c[i] = (char)(c[i] - 32);
        unsigned k = pair_of(c);
        pairs[k >> 3] |= (uint8_t)(1u << (k & 7));
    }
}

static bool has_pair(const uint8_t *pairs, const char *w)
{
    unsigned k = pair_of(w);
    return pairs[k >> 3] & (1u << (k & 7));
}

static int cmp_trigger(const void *a, const void *b)
{
    return strcmp(((const trigger *)a)->word, ((const trigger *)b)->word);
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const trigger *)elem)->word);
}

/* Adds a rule's bit to the trigger word[0..n) of list (*n_list entries,
 * room for max). */
static void add_to(trigger *list, size_t *n_list, size_t max, const char *word, size_t n,
                   rule_set bit)
{
    for (size_t i = 0; i < *n_list; i++)
        if (list[i].len == n && memcmp(list[i].word, word, n) == 0) {
            list[i].rules |= bit;
            return;
        }
    if (*n_list == max || n >= sizeof(list[0].word)) {
        compile_failed = true; /* the table above is wrong: caught by the tests */
        return;
    }
    trigger *t = &list[(*n_list)++];
    memcpy(t->word, word, n);
    t->word[n] = '\0';
    t->len = n;
    t->rules = bit;
}

static void add_trigger(group *g, const char *word, size_t n, size_t rule)
{
    rule_set bit = (rule_set)1 << rule;
    if (rules[rule].flags & LINE) {
        g->line_rules |= bit;
        if (n > 2 && word[0] == '*' && word[n - 1] == '*')
            add_to(g->line_parts, &g->n_line_parts, MAX_SPECIAL, word + 1, n - 2, bit);
        else
            add_to(g->line_words, &g->n_line_words, MAX_SPECIAL, word, n, bit);
    } else if (n == 1 && !isalnum((unsigned char)word[0])) {
        g->by_char[(unsigned char)word[0]] |= bit;
    } else if (n > 2 && word[n - 1] == '*') {
        add_to(g->prefixes, &g->n_prefixes, MAX_SPECIAL, word, n - 1, bit);
    } else {
        add_to(g->words, &g->n_words, MAX_TRIGGERS, word, n, bit);
        if (n > g->longest)
            g->longest = n;
    }
}

/* Builds the trigger tables from the rules, once per process. */
static void build_triggers(void)
{
    for (size_t i = 0; i < N_RULES; i++) {
        group *g = &groups[rules[i].uses & BB_PATTERNS_SCHEMA ? G_SCHEMA : G_FILES];
        for (const char *t = rules[i].triggers; *t;) {
            size_t n = strcspn(t, " ");
            add_trigger(g, t, n, i);
            t += n;
            t += strspn(t, " ");
        }
    }
    for (size_t k = 0; k < N_GROUPS; k++) {
        group *g = &groups[k];
        for (unsigned c = 0; c < 256; c++)
            g->kind[c] = (uint8_t)((word_bytes[c] ? K_WORD : 0) | (g->by_char[c] ? K_TRIGGER : 0) |
                                   (c == '\n' ? K_NEWLINE : 0) |
                                   (!word_bytes[c] && !is_space((unsigned char)c) ? K_OTHER : 0));
        qsort(g->words, g->n_words, sizeof(*g->words), cmp_trigger);
        for (size_t i = 0; i < g->n_words; i++)
            if (g->words[i].len >= 2)
                set_pair(g->first_pair, g->words[i].word);
        for (size_t i = 0; i < g->n_prefixes; i++)
            set_pair(g->first_pair, g->prefixes[i].word);
        for (size_t i = 0; i < g->n_line_parts; i++) {
            if (g->line_parts[i].len < 2)
                compile_failed = true; /* rules_of_line finds parts by two letters */
            else
                set_pair(g->part_pair, g->line_parts[i].word);
        }
    }
}

/* Rule i compiled anchored (it starts at its trigger, or at its line), in
 * byte mode (no UTF), which keeps the scan safe on any input; NULL if it
 * does not compile (the table is wrong: the tests catch it) or memory ran
 * out. */
static pcre2_code *compile_rule(size_t i)
{
    int err;
    PCRE2_SIZE erroff;
    uint32_t options = PCRE2_ANCHORED | (rules[i].flags & CASED ? 0 : PCRE2_CASELESS);
    return pcre2_compile((PCRE2_SPTR)rules[i].regex, PCRE2_ZERO_TERMINATED, options, &err, &erroff,
                         NULL);
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

const char *bb_pattern_category_name(bb_pattern_category c)
{
    switch (c) {
    case BB_PATTERN_SQL:
        return "SQL injection";
    case BB_PATTERN_SCRIPT:
        return "script injection";
    case BB_PATTERN_CODE:
        return "code injection";
    case BB_PATTERN_EVAL:
        return "eval or exec call";
    case BB_PATTERN_PICKLE:
        return "unsafe deserialisation";
    case BB_PATTERN_SHELL:
        return "shell command";
    case BB_PATTERN_SECRET:
        return "hard-coded secret";
    }
    return "injection";
}

static const char *category_code(bb_pattern_category c)
{
    static const char *const codes[] = {
        [BB_PATTERN_SQL] = "BB0501",    [BB_PATTERN_SCRIPT] = "BB0502",
        [BB_PATTERN_CODE] = "BB0503",   [BB_PATTERN_EVAL] = "BB0742",
        [BB_PATTERN_PICKLE] = "BB0743", [BB_PATTERN_SHELL] = "BB0744",
        [BB_PATTERN_SECRET] = "BB0745",
    };
    return (size_t)c < sizeof(codes) / sizeof(codes[0]) ? codes[c] : "BB0501";
}

/* s[0..n) starts with the lower-case word w (k bytes), in any case. */
static bool starts_with(const char *s, size_t n, const char *w, size_t k)
{
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (ascii_lower((unsigned char)s[i]) != (unsigned char)w[i])
            return false;
    return true;
}

/* The rules the word s[0..n) may start. */
static rule_set rules_of_word(const group *g, const char *s, size_t n)
{
    /* Most words of prose or code start with no trigger's first two letters. */
    if (n < 2 || !has_pair(g->first_pair, s))
        return 0;
    rule_set set = 0;
    for (size_t i = 0; i < g->n_prefixes; i++)
        if (n > g->prefixes[i].len && starts_with(s, n, g->prefixes[i].word, g->prefixes[i].len))
            set |= g->prefixes[i].rules;
    if (n > g->longest)
        return set;
    char low[16];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)ascii_lower((unsigned char)s[i]);
    low[n] = '\0';
    const trigger *t = bsearch(low, g->words, g->n_words, sizeof(*g->words), cmp_key);
    return t ? set | t->rules : set;
}

/* The LINE rules the first word of a line, s[0..n), triggers. */
static rule_set rules_of_line(const group *g, const char *s, size_t n)
{
    rule_set set = 0;
    for (size_t i = 0; i < g->n_line_words; i++)
        if (n == g->line_words[i].len && starts_with(s, n, g->line_words[i].word, n))
            set |= g->line_words[i].rules;
    /* a part is looked for only where the word has its first two letters */
    for (size_t at = 0; at + 2 <= n; at++) {
        if (!has_pair(g->part_pair, s + at))
            continue;
        for (size_t i = 0; i < g->n_line_parts; i++) {
            const trigger *w = &g->line_parts[i];
            if (!(set & w->rules) && starts_with(s + at, n - at, w->word, w->len))
                set |= w->rules;
        }
    }
    return set;
}

/* The state of one scan. */
typedef struct scan {
    const char *s;
    size_t len;
    unsigned uses;
    bb_pattern_fn fn;
    void *ctx;
    pcre2_general_context *gc;
    pcre2_match_data *md;
    bool started;        /* gc, md and end[] are set */
    size_t end[N_RULES]; /* where each rule's last match ended */
} scan;

/* Runs the rules of set anchored at pos (LINE rules at line); the scan's
 * callback gets each match. 1 when it stopped the scan. */
static int try_rules(scan *sc, rule_set set, size_t pos, size_t line)
{
    if (!sc->started) {
        sc->gc = pcre2_general_context_create(pattern_malloc, pattern_free, NULL);
        sc->md = sc->gc ? pcre2_match_data_create(4, sc->gc) : NULL;
        sc->started = true;
        memset(sc->end, 0, sizeof(sc->end));
    }
    if (!sc->md)
        return BB_ENOMEM;
    for (size_t i = 0; i < N_RULES; i++) {
        if (!(set & ((rule_set)1 << i)) || !(rules[i].uses & sc->uses))
            continue;
        size_t at = rules[i].flags & LINE ? line : pos;
        if (at < sc->end[i])
            continue; /* inside this rule's last match */
        pcre2_code *code = rule_code(i);
        if (!code)
            return BB_ESTATE;
        int rc = pcre2_match(code, (PCRE2_SPTR)sc->s, sc->len, at, 0, sc->md, NULL);
        if (rc < 0)
            continue; /* no match, or a match limit: not suspicious here */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        bb_pattern_hit hit = {.category = rules[i].category,
                              .code = category_code(rules[i].category),
                              .rule = rules[i].rule,
                              .start = ov[0],
                              .end = ov[1]};
        sc->end[i] = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        if (sc->fn(sc->ctx, &hit))
            return 1;
    }
    return 0;
}

/* The walk over the text: word by word, a trigger's rules tried where it
 * stands. */
static int walk(scan *sc, const group *g)
{
    const unsigned char *u = (const unsigned char *)sc->s;
    size_t len = sc->len, line = 0, i = 0;
    bool first_word = g->line_rules != 0; /* no word on this line yet */
    int result = 0;
    while (result == 0) {
        unsigned want = K_WORD | K_TRIGGER | K_NEWLINE | (first_word ? K_OTHER : 0);
        while (i < len && !(g->kind[u[i]] & want))
            i++;
        if (i >= len)
            break;
        unsigned k = g->kind[u[i]];
        size_t next = i + 1;
        rule_set set = 0;
        if (k & K_WORD) {
            while (next < len && (g->kind[u[next]] & K_WORD))
                next++;
            if (first_word) {
                first_word = false;
                rule_set at_line = rules_of_line(g, sc->s + i, next - i);
                if (at_line && (result = try_rules(sc, at_line, i, line)) != 0)
                    break;
            }
            set = rules_of_word(g, sc->s + i, next - i);
        } else {
            set = k & K_TRIGGER ? g->by_char[u[i]] : 0;
            if (k & K_NEWLINE) {
                line = next;
                first_word = g->line_rules != 0;
            } else if (k & K_OTHER) {
                first_word = false;
            }
        }
        if (set)
            result = try_rules(sc, set, i, line);
        i = next;
    }
    if (sc->started) {
        pcre2_match_data_free(sc->md);
        if (sc->gc)
            pcre2_general_context_free(sc->gc);
    }
    return result;
}

int bb_patterns_each(const char *s, size_t len, unsigned uses, bb_pattern_fn fn, void *ctx)
{
    pthread_once(&triggers_once, build_triggers);
    if (compile_failed)
        return BB_ESTATE;
    /* Set field by field: end[] is only cleared once a trigger occurs, and
     * most strings hold none. */
    scan sc;
    sc.s = s;
    sc.len = len;
    sc.uses = uses;
    sc.fn = fn;
    sc.ctx = ctx;
    sc.started = false;
    return walk(&sc, &groups[uses & BB_PATTERNS_SCHEMA ? G_SCHEMA : G_FILES]);
}

static int first_hit(void *ctx, const bb_pattern_hit *hit)
{
    *(bb_pattern_hit *)ctx = *hit;
    return 1;
}

int bb_patterns_scan(const char *s, size_t len, bb_pattern_hit *hit)
{
    return bb_patterns_each(s, len, BB_PATTERNS_SCHEMA, first_hit, hit);
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
