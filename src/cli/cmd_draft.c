/*
 * cmd_draft.c - `backbone draft "DESCRIPTION" [-o FILE]`: a language model
 * writes a schema in backbone's input format from a sentence; backbone
 * checks it against the format (schemas/backbone.schema.json) and with the
 * same front end as every other input and, while it has errors, sends them
 * all back for a repair, up to --max-rounds answers.
 *
 * The model answers in the full input format. A repair asks only for the
 * tables with errors (and any table the fixes need) and merges them into
 * the draft, so a long schema is not written again for one bad column, and
 * the output cap of a repair is sized to the tables it returns. An answer
 * that is not JSON, is cut off or breaks the format costs a round, not the
 * draft: what was wrong is said in the next request. A round that repeats
 * an earlier draft or answer ends the loop.
 *
 * The model is never trusted: the file is written only when the front end
 * accepts the schema (warnings allowed) and it follows the format. Every
 * piece of model text that is printed is escaped first.
 *
 * Exit codes: 0 a valid schema was written, 1 no valid schema (the model
 * failed or never converged), 2 usage, configuration or I/O error.
 */
#include "cli/cli.h"

#include "base/bb.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/sha256.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"
#include "llm/llm.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAFT_DEFAULT_ROUNDS 3
#define DRAFT_MAX_ROUNDS 20
#define DRAFT_MAX_DESCRIPTION 4000
/* Output tokens asked for a whole schema: about 600 compact columns. */
#define DRAFT_DEFAULT_OUTPUT_TOKENS 16384
/* The least a repair asks for, however small its tables. */
#define DRAFT_MIN_REPAIR_TOKENS 2048
/* How much of the problems one repair request quotes. */
#define DRAFT_FEEDBACK_BYTES (48 * 1024)
/* Format mismatches reported for one candidate. */
#define DRAFT_MAX_MISMATCHES 200
/* Tables a repair names (the front end allows fewer tables). */
#define DRAFT_MAX_FAILING 1024

static void usage(FILE *out)
{
    fprintf(out,
            "usage: backbone draft [options] \"DESCRIPTION\"\n"
            "\n"
            "Asks a language model for a schema in backbone's format, validates it and\n"
            "sends the problems back for repair until it is valid or the rounds run out.\n"
            "The result is written only when it is valid.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE        where to write the schema (default: standard output)\n"
            "  --max-rounds N           model answers to try, repairs included (default 3)\n"
            "  --max-output-tokens N    output cap of a whole-schema answer (default 16384)\n"
            "%s"
            "  -h, --help               this help\n"
            "\n"
            "environment: BACKBONE_LLM_PROVIDER, BACKBONE_LLM_BASE_URL, BACKBONE_LLM_MODEL,\n"
            "             OPENAI_API_KEY, ANTHROPIC_API_KEY (see docs/llm.md)\n"
            "exit codes: 0 written, 1 no valid schema, 2 usage, configuration or I/O error\n",
            bb_llm_options_help);
}

static const char draft_system[] =
    "You design relational database schemas for backbone, a compiler that turns a JSON "
    "description into a Python backend (SQLAlchemy, FastAPI). Answer with one JSON object in "
    "backbone's input format and nothing else. Leave out every optional key whose value would "
    "be its default.\n"
    "- project_name: letters, digits, '-' or '_'; db_type: postgresql, mysql, sqlite or mssql; "
    "description: optional.\n"
    "- schema: the tables. A table has table_name (lower case snake_case, plural), class_name "
    "(PascalCase, singular), columns and optionally description, options {use_timestamps, "
    "use_soft_delete}, relationships, unique, indexes, checks, comment.\n"
    "- Every table has a primary key, usually {\"name\": \"id\", \"type\": \"Integer\", "
    "\"primary_key\": true}.\n"
    "- Column types: Integer, BigInteger, SmallInteger, String (give length), Text, Boolean, "
    "DateTime, Date, Time, Numeric (give precision and scale; use it for money), Float, Enum "
    "(give values), JSON, UUID, LargeBinary, Interval, ForeignKey (give target \"table.column\" "
    "and on_delete). Column keys: nullable, unique, index, default, server_default, "
    "autoincrement, description, comment.\n"
    "- Do not declare created_at/updated_at or is_deleted/deleted_at: the options add them.\n"
    "- Relationships: type one_to_many, many_to_one, one_to_one or many_to_many; target_table, "
    "target_class, back_populates (the attribute on the other class); foreign_key (the FK "
    "column: local for many_to_one, in the other table for one_to_many and one_to_one); name "
    "(this attribute's name), cascade (e.g. \"all, delete-orphan\"), through (many_to_many: "
    "the association table, which needs a ForeignKey to each side). Declare both sides.\n"
    "- unique and indexes: lists of column-name lists, or {name, columns} (indexes also "
    "{unique}); checks: SQL expressions, or {name, expression}.\n"
    "- Names must be valid Python identifiers and not Python or SQL keywords.\n"
    "When backbone reports problems, answer in the format it asks for.";

/* The answer's JSON Schema: backbone's whole input format
 * (schemas/backbone.schema.json), the editor-only "$schema" key aside. */
static const char answer_schema_json[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"project_name\",\"db_type\",\"schema\"],\"properties\":{"
    "\"project_name\":{\"type\":\"string\",\"minLength\":1},"
    "\"db_type\":{\"type\":\"string\",\"enum\":[\"postgresql\",\"mysql\",\"sqlite\",\"mssql\"]},"
    "\"description\":{\"type\":\"string\"},"
    "\"schema\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#/$defs/table\"}},"
    "\"allow\":{\"$ref\":\"#/$defs/allow\"}},"
    "\"$defs\":{"
    "\"table\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"table_name\",\"class_name\",\"columns\"],\"properties\":{"
    "\"table_name\":{\"type\":\"string\"},\"class_name\":{\"type\":\"string\"},"
    "\"description\":{\"type\":\"string\"},\"comment\":{\"type\":\"string\"},"
    "\"renamed_from\":{\"type\":\"string\"},\"options\":{\"$ref\":\"#/$defs/options\"},"
    "\"columns\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#/$defs/column\"}},"
    "\"relationships\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/relationship\"}},"
    "\"unique\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"$ref\":\"#/$defs/column_list\"},"
    "{\"$ref\":\"#/$defs/unique\"}]}},"
    "\"indexes\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"$ref\":\"#/$defs/column_list\"},"
    "{\"$ref\":\"#/$defs/index\"}]}},"
    "\"checks\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"string\"},"
    "{\"$ref\":\"#/$defs/check\"}]}},"
    "\"advice\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
    "\"allow\":{\"$ref\":\"#/$defs/allow\"}}},"
    "\"allow\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"options\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"use_timestamps\":{\"type\":\"boolean\"},\"use_soft_delete\":{\"type\":\"boolean\"}}},"
    "\"column\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"name\",\"type\"],\"properties\":{"
    "\"name\":{\"type\":\"string\"},"
    "\"type\":{\"type\":\"string\",\"enum\":[\"Integer\",\"BigInteger\",\"SmallInteger\","
    "\"String\",\"Text\",\"Boolean\",\"DateTime\",\"Date\",\"Time\",\"Numeric\",\"Float\","
    "\"Enum\",\"JSON\",\"UUID\",\"LargeBinary\",\"Interval\",\"ForeignKey\"]},"
    "\"length\":{\"type\":\"integer\",\"minimum\":1},"
    "\"precision\":{\"type\":\"integer\",\"minimum\":1},"
    "\"scale\":{\"type\":\"integer\",\"minimum\":0},"
    "\"primary_key\":{\"type\":\"boolean\"},\"autoincrement\":{\"type\":\"boolean\"},"
    "\"unique\":{\"type\":\"boolean\"},\"nullable\":{\"type\":\"boolean\"},"
    "\"index\":{\"type\":\"boolean\"},"
    "\"default\":{\"type\":[\"string\",\"number\",\"boolean\",\"null\"]},"
    "\"values\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}},"
    "\"target\":{\"type\":\"string\"},"
    "\"on_delete\":{\"type\":\"string\",\"enum\":[\"CASCADE\",\"RESTRICT\",\"SET NULL\","
    "\"SET DEFAULT\",\"NO ACTION\"]},"
    "\"description\":{\"type\":\"string\"},"
    "\"server_default\":{\"type\":[\"string\",\"number\",\"boolean\"]},"
    "\"comment\":{\"type\":\"string\"},\"renamed_from\":{\"type\":\"string\"},"
    "\"allow\":{\"$ref\":\"#/$defs/allow\"}}},"
    "\"relationship\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"target_table\",\"type\"],\"properties\":{"
    "\"target_table\":{\"type\":\"string\"},\"target_class\":{\"type\":\"string\"},"
    "\"type\":{\"type\":\"string\",\"enum\":[\"one_to_many\",\"many_to_one\",\"one_to_one\","
    "\"many_to_many\"]},"
    "\"back_populates\":{\"type\":\"string\"},\"foreign_key\":{\"type\":\"string\"},"
    "\"description\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"
    "\"cascade\":{\"type\":\"string\"},\"through\":{\"type\":\"string\"}}},"
    "\"column_list\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}},"
    "\"unique\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"columns\"],"
    "\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"columns\":{\"$ref\":\"#/$defs/column_list\"}}},"
    "\"index\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"columns\"],"
    "\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"columns\":{\"$ref\":\"#/$defs/column_list\"},\"unique\":{\"type\":\"boolean\"}}},"
    "\"check\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"expression\"],\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"expression\":{\"type\":\"string\"}}}}}";

typedef struct draft_opts {
    const char *description;
    const char *output; /* NULL: stdout */
    int max_rounds;
    long max_output_tokens; /* of a whole-schema answer */
    bb_llm_options llm;
} draft_opts;

/* ---- the schema as it is written -------------------------------------------------- */

/* Removes every null member, recursively: nulls stand for absent keys. */
static void strip_nulls(cJSON *v)
{
    cJSON *c = v ? v->child : NULL;
    while (c) {
        cJSON *next = c->next;
        if (cJSON_IsNull(c) && cJSON_IsObject(v))
            cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
        else
            strip_nulls(c);
        c = next;
    }
}

/* cJSON's pretty print, with two spaces for each tab of indentation and one
 * space after a colon (raw tabs only occur as formatting: JSON escapes them),
 * and every character a terminal would act on or hide as a \u escape. */
static char *pretty_print(const cJSON *v)
{
    char *s = cJSON_Print(v);
    if (!s)
        return NULL;
    bb_buf spaced, b;
    bb_buf_init(&spaced, 64u << 20);
    bb_buf_init(&b, 64u << 20);
    int rc = BB_OK;
    for (const char *p = s; *p && !rc; p++)
        rc = *p != '\t' ? bb_buf_putc(&spaced, *p)
                        : bb_buf_puts(&spaced, p > s && p[-1] == ':' ? " " : "  ");
    if (!rc)
        rc = bb_buf_putc(&spaced, '\n');
    if (!rc)
        rc = bb_jsoncheck_escape_json(&b, bb_buf_str(&spaced));
    cJSON_free(s);
    bb_buf_free(&spaced);
    if (rc) {
        bb_buf_free(&b);
        return NULL;
    }
    return bb_buf_take(&b, NULL);
}

static char *compact_print(const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    char *copy = s ? bb_strdup(s) : NULL;
    cJSON_free(s);
    return copy;
}

/* ---- judging a draft ----------------------------------------------------------------- */

/* One draft as backbone sees it: valid, or its errors and the tables they are in. */
typedef struct candidate {
    char *text; /* the schema as it would be written */
    bb_diags diags;
    bool valid;
    bool top;                       /* an error outside the tables */
    int failing[DRAFT_MAX_FAILING]; /* indices of tables with errors, ascending */
    size_t n_failing;
} candidate;

static void candidate_free(candidate *c)
{
    if (c->text)
        bb_diags_free(&c->diags);
    bb_free(c->text);
    memset(c, 0, sizeof(*c));
}

static int add_mismatch(void *ctx, const char *where, const char *why)
{
    return bb_diag_add(ctx, BB_ERROR, "BB0902", where, BB_NO_OFFSET, NULL,
                       "the draft does not follow the input format: %s", why);
}

/* The table index a pointer is in (/schema/N/...), or -1. */
static int table_of(const char *pointer)
{
    if (strncmp(pointer, "/schema/", 8) != 0)
        return -1;
    char *end;
    long n = strtol(pointer + 8, &end, 10);
    return end != pointer + 8 && (*end == '/' || *end == '\0') && n >= 0 && n < 100000 ? (int)n
                                                                                       : -1;
}

static void note_failing(candidate *c, int table)
{
    size_t i = 0;
    while (i < c->n_failing && c->failing[i] < table)
        i++;
    if ((i < c->n_failing && c->failing[i] == table) || c->n_failing == DRAFT_MAX_FAILING)
        return;
    memmove(c->failing + i + 1, c->failing + i, (c->n_failing - i) * sizeof(int));
    c->failing[i] = table;
    c->n_failing++;
}

/* Judges the draft with the format's JSON Schema and the front end. */
static int judge(candidate *c, const cJSON *draft, const cJSON *format)
{
    memset(c, 0, sizeof(*c));
    cJSON *copy = cJSON_Duplicate(draft, 1);
    if (!copy)
        return BB_ENOMEM;
    strip_nulls(copy);
    c->text = pretty_print(copy);
    if (!c->text) {
        cJSON_Delete(copy);
        return BB_ENOMEM;
    }
    bb_diags_init(&c->diags, "draft.json", c->text, strlen(c->text));
    bb_schema *s = NULL;
    bb_limits limits = bb_limits_default();
    int rc = bb_frontend("draft.json", c->text, strlen(c->text), &limits, &c->diags, &s);
    bb_schema_free(s);
    int mismatch = bb_jsoncheck_all(format, copy, DRAFT_MAX_MISMATCHES, add_mismatch, &c->diags);
    cJSON_Delete(copy);
    if (rc == BB_ENOMEM || mismatch == BB_ENOMEM)
        return BB_ENOMEM;
    c->valid = !bb_diags_has_errors(&c->diags) && mismatch == BB_OK;
    for (size_t i = 0; i < c->diags.n; i++) {
        const bb_diag *g = &c->diags.items[i];
        if (g->severity != BB_ERROR)
            continue;
        int t = table_of(g->pointer);
        if (t < 0)
            c->top = true;
        else
            note_failing(c, t);
    }
    return BB_OK;
}

/* Model text reaches the terminal through diagnostics: escape it there. */
static int escape_diags(bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char **fields[] = {&d->items[i].message, &d->items[i].hint, &d->items[i].pointer};
        for (size_t f = 0; f < 3; f++) {
            if (!*fields[f])
                continue;
            bb_buf b;
            bb_buf_init(&b, 1 << 20);
            int rc = bb_jsoncheck_quote(&b, *fields[f], 0, false);
            char *shown = rc ? NULL : bb_buf_take(&b, NULL);
            bb_buf_free(&b);
            if (!shown)
                return BB_ENOMEM;
            bb_free(*fields[f]);
            *fields[f] = shown;
        }
    }
    return BB_OK;
}

/* ---- what the model is told ---------------------------------------------------------- */

/* Appends text on one line: line breaks become spaces. */
static int put_one_line(bb_buf *out, const char *text)
{
    int rc = BB_OK;
    for (const char *p = text; *p && !rc; p++)
        rc = bb_buf_putc(out, *p == '\n' || *p == '\r' ? ' ' : *p);
    return rc;
}

/* "- error BB0206 at /schema/2/columns: message. Hint: hint." */
static int put_problem(bb_buf *out, const bb_diag *g)
{
    int rc = bb_buf_printf(out, "- %s %s at %s: ", bb_severity_name(g->severity), g->code,
                           g->pointer[0] ? g->pointer : "/");
    if (!rc)
        rc = put_one_line(out, g->message);
    if (!rc && g->hint) {
        rc = bb_buf_puts(out, ". Hint: ");
        if (!rc)
            rc = put_one_line(out, g->hint);
    }
    return rc ? rc : bb_buf_putc(out, '\n');
}

static bool is_failing(const candidate *c, int table)
{
    for (size_t i = 0; i < c->n_failing; i++)
        if (c->failing[i] == table)
            return true;
    return false;
}

static const char *table_name_at(const cJSON *draft, int i)
{
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(draft, "schema"), i);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "table_name");
    return cJSON_IsString(n) ? n->valuestring : "?";
}

/* The repair request: every problem (errors, and the warnings of the tables
 * to correct), which tables to send back and in which form. */
static int repair_text(const candidate *c, const cJSON *draft, bb_buf *out)
{
    int rc = bb_buf_printf(out, "backbone found %zu error%s in the schema above.\n\nProblems:\n",
                           c->diags.n_errors, c->diags.n_errors == 1 ? "" : "s");
    size_t left_out = 0;
    for (size_t i = 0; i < c->diags.n && !rc; i++) {
        const bb_diag *g = &c->diags.items[i];
        int t = table_of(g->pointer);
        if (g->severity == BB_NOTE || (g->severity == BB_WARNING && !is_failing(c, t)))
            continue;
        if (out->len > DRAFT_FEEDBACK_BYTES)
            left_out++;
        else
            rc = put_problem(out, g);
    }
    if (!rc && left_out)
        rc = bb_buf_printf(out, "- and %zu more\n", left_out);
    if (!rc)
        rc = bb_buf_puts(out, "\nTables with errors:");
    for (size_t i = 0; i < c->n_failing && !rc; i++)
        rc = bb_buf_printf(out, "%s /schema/%d (%s)", i ? "," : "", c->failing[i],
                           table_name_at(draft, c->failing[i]));
    if (!rc && c->n_failing == 0)
        rc = bb_buf_puts(out, " none");
    if (!rc)
        rc = bb_buf_puts(
            out, "\nAnswer with {\"tables\": [...]} holding every table you change, each one "
                 "complete: the tables with errors corrected (an error may be fixed in another "
                 "table) and any table the corrections need that the schema does not have yet. "
                 "A table replaces the one with the same table_name, or else the same "
                 "class_name; other tables are added. List in \"remove_tables\" the table_name "
                 "of any table to drop. Add project_name, db_type or description only to change "
                 "them.");
    return rc;
}

/* ---- one conversation per round ----------------------------------------------------- */

typedef struct conversation {
    bb_llm_msg msgs[3];
    char *owned[3];
    size_t n;
} conversation;

static int say(conversation *c, const char *role, char *text_owned)
{
    if (!text_owned)
        return BB_ENOMEM;
    c->owned[c->n] = text_owned;
    c->msgs[c->n].role = role;
    c->msgs[c->n].content = text_owned;
    c->n++;
    return BB_OK;
}

static void conversation_free(conversation *c)
{
    for (size_t i = 0; i < c->n; i++)
        bb_free(c->owned[i]);
    memset(c, 0, sizeof(*c));
}

/* Two texts as one new string, with a blank line between them. */
static char *joined(const char *a, const char *b)
{
    bb_buf j;
    bb_buf_init(&j, 1 << 20);
    if (bb_buf_printf(&j, "%s%s%s", a, a[0] && b[0] ? "\n\n" : "", b) != BB_OK) {
        bb_buf_free(&j);
        return NULL;
    }
    return bb_buf_take(&j, NULL);
}

/* ---- the loop ------------------------------------------------------------------------- */

typedef struct draft_run {
    const draft_opts *o;
    bb_llm_client client;
    cJSON *format;    /* the JSON Schema of a whole schema */
    cJSON *draft;     /* the draft so far; NULL before the first usable answer */
    candidate cand;   /* the draft judged */
    char *note;       /* what was wrong with the last answer, for the next request */
    char *bad_answer; /* that answer, when it was text */
    long full_cap;    /* output cap of a whole-schema answer */
    unsigned char seen[2 * DRAFT_MAX_ROUNDS][BB_SHA256_LEN];
    size_t n_seen;
    int round;
} draft_run;

typedef enum { STEP_AGAIN, STEP_DONE, STEP_STOP } step;

/* Remembers text; true when an earlier round gave the very same. */
static bool seen_before(draft_run *d, const char *text)
{
    unsigned char h[BB_SHA256_LEN];
    bb_sha256(text, strlen(text), h);
    for (size_t i = 0; i < d->n_seen; i++)
        if (memcmp(d->seen[i], h, sizeof(h)) == 0)
            return true;
    if (d->n_seen < sizeof(d->seen) / sizeof(d->seen[0]))
        memcpy(d->seen[d->n_seen++], h, sizeof(h));
    return false;
}

static void set_note(draft_run *d, char *note, char *bad_answer)
{
    bb_free(d->note);
    bb_free(d->bad_answer);
    d->note = note;
    d->bad_answer = bad_answer;
}

/* Prints a stage-style diagnostic without a source (messages of the draft loop). */
static void report(bb_severity sev, const char *code, const char *fmt, const char *arg)
{
    bb_diags d;
    bb_diags_init(&d, "draft", NULL, 0);
    (void)bb_diag_add(&d, sev, code, NULL, BB_NO_OFFSET, NULL, fmt, arg);
    bb_diags_print(&d, stderr, bb_use_color(stderr));
    bb_diags_free(&d);
}

/* The schema of a repair answer: the tables changed or added, the tables
 * dropped, and the document's own keys when they change. */
static const char repair_properties_json[] =
    "{\"tables\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/table\"}},"
    "\"remove_tables\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}";

static cJSON *repair_format(const cJSON *format)
{
    cJSON *r = cJSON_Duplicate(format, 1);
    cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "properties");
    cJSON *added = cJSON_Parse(repair_properties_json);
    cJSON *required = cJSON_CreateStringArray((const char *const[]){"tables"}, 1);
    bool ok = props && added && required &&
              cJSON_ReplaceItemInObjectCaseSensitive(r, "required", required);
    if (ok)
        required = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(props, "schema");
    for (cJSON *p = added ? added->child : NULL; ok && p;) {
        cJSON *next = p->next;
        ok = cJSON_AddItemToObject(props, p->string, cJSON_DetachItemViaPointer(added, p));
        p = next;
    }
    cJSON_Delete(added);
    cJSON_Delete(required);
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* The output cap of a repair: twice the tables it sends back, and room to add. */
static long repair_cap(const draft_run *d)
{
    size_t bytes = 0;
    const cJSON *tables = cJSON_GetObjectItemCaseSensitive(d->draft, "schema");
    for (size_t i = 0; i < d->cand.n_failing; i++) {
        char *s = cJSON_PrintUnformatted(cJSON_GetArrayItem(tables, d->cand.failing[i]));
        bytes += s ? strlen(s) : 0;
        cJSON_free(s);
    }
    long cap = 2 * (long)(bytes / 3) + 1024;
    if (cap < DRAFT_MIN_REPAIR_TOKENS)
        cap = DRAFT_MIN_REPAIR_TOKENS;
    return cap < d->full_cap ? cap : d->full_cap;
}

/* The request of this round: the whole schema until one is usable, then
 * repairs of its failing tables. */
static int build_conversation(const draft_run *d, conversation *conv)
{
    const char *note = d->note ? d->note : "";
    if (!d->draft) {
        if (!d->bad_answer)
            return say(conv, "user", joined(d->o->description, note));
        int rc = say(conv, "user", bb_strdup(d->o->description));
        if (!rc)
            rc = say(conv, "assistant", bb_strdup(d->bad_answer));
        return rc ? rc : say(conv, "user", bb_strdup(note));
    }
    cJSON *copy = cJSON_Duplicate(d->draft, 1);
    strip_nulls(copy);
    int rc = say(conv, "user", bb_strdup(d->o->description));
    if (!rc)
        rc = say(conv, "assistant", copy ? compact_print(copy) : NULL);
    cJSON_Delete(copy);
    bb_buf fb;
    bb_buf_init(&fb, 1 << 20);
    if (!rc)
        rc = repair_text(&d->cand, d->draft, &fb);
    char *text = rc ? NULL : bb_buf_take(&fb, NULL);
    bb_buf_free(&fb);
    if (!rc)
        rc = say(conv, "user", text ? joined(note, text) : NULL);
    bb_free(text);
    return rc;
}

/* A repair answer's shape: tables as objects, names of tables to drop;
 * what is inside the tables is judged once they are merged. */
static const char *repair_shape_problem(const cJSON *answer)
{
    const cJSON *tables = cJSON_GetObjectItemCaseSensitive(answer, "tables");
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(answer, "remove_tables");
    const cJSON *e;
    if (!cJSON_IsObject(answer) || !cJSON_IsArray(tables))
        return "it is not an object with a \"tables\" array";
    cJSON_ArrayForEach(e, tables) if (!cJSON_IsObject(e)) return "an entry of \"tables\" is not a "
                                                                 "table object";
    if (removed && !cJSON_IsArray(removed))
        return "\"remove_tables\" is not an array of table names";
    cJSON_ArrayForEach(e, removed) if (!cJSON_IsString(e)) return "an entry of "
                                                                  "\"remove_tables\" is not a "
                                                                  "table name";
    if (!cJSON_GetArraySize(tables) && !cJSON_GetArraySize(removed))
        return "it changes no table";
    return NULL;
}

/* The index of the first table in tables whose key has the value of the
 * same key in like, skipping taken ones; -1 when none. */
static int find_table(const cJSON *tables, const char *key, const cJSON *like, const bool *taken)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(like, key);
    int i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tables)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
        if (!taken[i] && cJSON_IsString(want) && cJSON_IsString(v) &&
            strcmp(v->valuestring, want->valuestring) == 0)
            return i;
        i++;
    }
    return -1;
}

/* Puts the repair's tables into the list: each replaces the table of its
 * table_name, else of its class_name (a renamed table), else is added. */
static int merge_tables(cJSON *tables, const cJSON *changed)
{
    int n = cJSON_GetArraySize(tables);
    bool *taken = bb_malloc((size_t)n + 1);
    if (!taken)
        return BB_ENOMEM;
    memset(taken, 0, (size_t)n + 1);
    int rc = BB_OK;
    const cJSON *t;
    cJSON_ArrayForEach(t, changed)
    {
        cJSON *copy = cJSON_Duplicate(t, 1);
        int at = find_table(tables, "table_name", t, taken);
        if (at < 0)
            at = find_table(tables, "class_name", t, taken);
        bool ok = copy && (at >= 0 ? cJSON_ReplaceItemInArray(tables, at, copy)
                                   : cJSON_AddItemToArray(tables, copy));
        if (!ok) {
            cJSON_Delete(copy);
            rc = BB_ENOMEM;
            break;
        }
        if (at >= 0)
            taken[at] = true;
    }
    bb_free(taken);
    return rc;
}

/* Merges a repair into the draft: tables replaced, added and dropped, and
 * the document's own keys. */
static int merge_repair(cJSON *draft, const cJSON *answer)
{
    cJSON *tables = cJSON_GetObjectItemCaseSensitive(draft, "schema");
    int rc = merge_tables(tables, cJSON_GetObjectItemCaseSensitive(answer, "tables"));
    const cJSON *name;
    cJSON_ArrayForEach(name, cJSON_GetObjectItemCaseSensitive(answer, "remove_tables"))
    {
        for (int i = 0; !rc && i < cJSON_GetArraySize(tables); i++) {
            const cJSON *n =
                cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tables, i), "table_name");
            if (cJSON_IsString(n) && strcmp(n->valuestring, name->valuestring) == 0) {
                cJSON_DeleteItemFromArray(tables, i);
                break;
            }
        }
    }
    static const char *const top[] = {"project_name", "db_type", "description"};
    for (size_t i = 0; !rc && i < sizeof(top) / sizeof(top[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(answer, top[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        cJSON *copy = cJSON_Duplicate(v, 1);
        bool ok = copy && (cJSON_GetObjectItemCaseSensitive(draft, top[i])
                               ? cJSON_ReplaceItemInObjectCaseSensitive(draft, top[i], copy)
                               : cJSON_AddItemToObject(draft, top[i], copy));
        if (!ok) {
            cJSON_Delete(copy);
            rc = BB_ENOMEM;
        }
    }
    return rc;
}

static int emit(const draft_opts *o, const candidate *c)
{
    size_t len = strlen(c->text);
    if (!o->output) {
        fwrite(c->text, 1, len, stdout);
        return fflush(stdout) == 0 ? BB_OK : BB_EIO;
    }
    return bb_file_replace(o->output, c->text, len);
}

/* A note for the next request about an answer that could not be used. */
static char *note_text(const char *fmt, ...) BB_PRINTF(1, 2);
static char *note_text(const char *fmt, ...)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 16);
    va_list ap;
    va_start(ap, fmt);
    int rc = bb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc) {
        bb_buf_free(&b);
        return NULL;
    }
    return bb_buf_take(&b, NULL);
}

/* An answer that was not usable: a note for the next round, or the end. */
static step bad_answer(draft_run *d, const bb_llm_error *e, bb_llm_reply *reply, long cap)
{
    char *note = NULL;
    if (e->kind == BB_LLM_ERR_TRUNCATED)
        note = note_text("Your answer was cut off at the output limit (%ld tokens). Answer "
                         "again, more compactly: leave out every optional key whose value is "
                         "the default and keep descriptions short.",
                         cap);
    else if (e->kind == BB_LLM_ERR_MALFORMED)
        note = note_text("Your answer could not be used: %s. Answer with one JSON object only, "
                         "in the format asked for.",
                         e->message);
    else {
        char msg[512];
        snprintf(msg, sizeof(msg), "round %d: the model gave no usable schema (%s): %s", d->round,
                 bb_llm_error_name(e->kind), e->message);
        report(BB_ERROR, bb_llm_error_is_bad_answer(e->kind) ? "BB0902" : "BB0901", "%s", msg);
        return STEP_STOP;
    }
    char *text = reply->text;
    reply->text = NULL;
    if (text && seen_before(d, text)) {
        bb_free(text);
        bb_free(note);
        report(BB_ERROR, "BB0902", "%s", "the model repeated an earlier answer; stopping");
        return STEP_STOP;
    }
    if (!note) {
        bb_free(text);
        return STEP_STOP;
    }
    fprintf(stderr, "backbone: draft: round %d: the answer was %s, asking again\n", d->round,
            e->kind == BB_LLM_ERR_TRUNCATED ? "cut off" : "not usable");
    if (d->draft) { /* a repair round shows the draft, not the bad answer */
        bb_free(text);
        text = NULL;
    }
    set_note(d, note, text);
    return STEP_AGAIN;
}

/* Takes a usable answer: the first draft, or a repair merged into it. */
static step take_answer(draft_run *d, cJSON *answer, int *rc)
{
    if (d->draft) {
        const char *problem = repair_shape_problem(answer);
        if (problem) {
            cJSON_Delete(answer);
            set_note(d,
                     note_text("Your answer does not follow the repair format: %s. Answer with "
                               "{\"tables\": [...]} as asked.",
                               problem),
                     NULL);
            fprintf(stderr,
                    "backbone: draft: round %d: the repair was not in the form asked "
                    "for, asking again\n",
                    d->round);
            return d->note ? STEP_AGAIN : (*rc = BB_ENOMEM, STEP_STOP);
        }
        *rc = merge_repair(d->draft, answer);
        cJSON_Delete(answer);
    } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(answer, "schema")) > 0 &&
               cJSON_IsObject(answer)) {
        d->draft = answer;
    } else { /* nothing to repair table by table: the whole schema again */
        char *text = compact_print(answer);
        bool again = text && seen_before(d, text);
        bb_free(text);
        cJSON_Delete(answer);
        if (again) {
            report(BB_ERROR, "BB0902", "%s", "the model repeated an earlier answer; stopping");
            return STEP_STOP;
        }
        set_note(d,
                 note_text("%s", "Your answer is not a schema in the format asked for: one JSON "
                                 "object with project_name, db_type and a schema array of at "
                                 "least one table."),
                 NULL);
        fprintf(stderr, "backbone: draft: round %d: the answer holds no tables, asking again\n",
                d->round);
        return d->note ? STEP_AGAIN : (*rc = BB_ENOMEM, STEP_STOP);
    }
    set_note(d, NULL, NULL);
    candidate_free(&d->cand);
    if (!*rc)
        *rc = judge(&d->cand, d->draft, d->format);
    if (*rc)
        return STEP_STOP;
    if (seen_before(d, d->cand.text)) {
        report(BB_ERROR, "BB0902", "%s",
               "the model's repair gave an earlier draft again; stopping");
        return STEP_STOP;
    }
    return d->cand.valid ? STEP_DONE : STEP_AGAIN;
}

static step one_round(draft_run *d, int *rc)
{
    conversation conv = {0};
    cJSON *format = d->draft ? repair_format(d->format) : d->format;
    *rc = format ? build_conversation(d, &conv) : BB_ENOMEM;
    if (*rc) {
        conversation_free(&conv);
        if (format != d->format)
            cJSON_Delete(format);
        return STEP_STOP;
    }
    bb_llm_request req = {draft_system, conv.msgs, conv.n,
                          d->draft ? "backbone_repair" : "backbone_schema", format};
    bb_llm_ask ask = {.sparse = true,
                      .max_output_tokens = d->draft ? repair_cap(d) : d->full_cap,
                      .keep_bad_answer = true};
    bb_llm_reply reply;
    bb_llm_error e;
    int got = bb_llm_complete_with(&d->client, &req, &ask, &reply, &e);
    conversation_free(&conv);
    if (format != d->format)
        cJSON_Delete(format);
    /* an answer off the format is still a draft: the problems go back */
    if (got != BB_OK && !(e.kind == BB_LLM_ERR_SCHEMA && reply.value)) {
        step s = bad_answer(d, &e, &reply, ask.max_output_tokens);
        bb_llm_reply_free(&reply);
        return s;
    }
    cJSON *answer = reply.value;
    reply.value = NULL;
    bb_llm_reply_free(&reply);
    return take_answer(d, answer, rc);
}

static void print_summary(const draft_run *d)
{
    const bb_llm_stats *s = &d->client.stats;
    if (s->requests || s->cache_hits)
        fprintf(stderr, "backbone: draft: %ld request%s, %ld cached, %ld+%ld tokens, %.1fs\n",
                s->requests, s->requests == 1 ? "" : "s", s->cache_hits, s->prompt_tokens,
                s->completion_tokens, s->seconds);
}

/* The end of a draft that found no valid schema: the last draft's problems. */
static int give_up(draft_run *d)
{
    if (!d->cand.text)
        return BB_EXIT_INVALID; /* no draft: the model's failure was reported */
    if (escape_diags(&d->cand.diags) == BB_OK)
        bb_diags_print(&d->cand.diags, stderr, bb_use_color(stderr));
    char rounds[16];
    snprintf(rounds, sizeof(rounds), "%d", d->round);
    report(BB_ERROR, "BB0910", "the draft is still invalid after %s round(s); nothing was written",
           rounds);
    return BB_EXIT_INVALID;
}

static int finish(draft_run *d)
{
    if (emit(d->o, &d->cand) != BB_OK) {
        bb_cli_error("draft: cannot write %s: %s", d->o->output ? d->o->output : "the output",
                     strerror(errno));
        return BB_EXIT_USAGE;
    }
    fprintf(stderr, "backbone: draft: valid schema after %d round%s%s%s\n", d->round,
            d->round == 1 ? "" : "s", d->o->output ? ", written to " : "",
            d->o->output ? d->o->output : "");
    return BB_EXIT_OK;
}

static int run_draft(const draft_opts *o)
{
    bb_llm_config cfg;
    char err[256];
    if (bb_llm_config_load(&cfg, &o->llm, err, sizeof(err)) != BB_OK) {
        report(BB_ERROR, "BB0911", "%s", err);
        return BB_EXIT_USAGE;
    }
    draft_run d = {.o = o, .full_cap = o->max_output_tokens};
    bb_llm_client_init(&d.client, &cfg);
    d.format = cJSON_Parse(answer_schema_json);
    int rc = d.format ? BB_OK : BB_ENOMEM;
    step s = STEP_STOP;
    for (d.round = 1; !rc && d.round <= o->max_rounds; d.round++) {
        s = one_round(&d, &rc);
        if (s != STEP_AGAIN || d.round == o->max_rounds)
            break;
        if (!d.note && d.cand.text)
            fprintf(stderr,
                    "backbone: draft: round %d: %zu error%s in %zu table%s, asking for a "
                    "repair\n",
                    d.round, d.cand.diags.n_errors, d.cand.diags.n_errors == 1 ? "" : "s",
                    d.cand.n_failing, d.cand.n_failing == 1 ? "" : "s");
    }
    if (d.round > o->max_rounds)
        d.round = o->max_rounds;
    int exit_code;
    if (rc == BB_ENOMEM) {
        bb_cli_error("draft: out of memory");
        exit_code = BB_EXIT_INTERNAL;
    } else {
        exit_code = s == STEP_DONE ? finish(&d) : give_up(&d);
    }
    print_summary(&d);
    candidate_free(&d.cand);
    set_note(&d, NULL, NULL);
    cJSON_Delete(d.draft);
    cJSON_Delete(d.format);
    bb_llm_client_free(&d.client);
    return exit_code;
}

/* A positive count option's value, or 0 after printing why not. */
static long count_option(const char *name, const char *v, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > max) {
        bb_cli_error("draft: %s takes 1 to %ld", name, max);
        return 0;
    }
    return n;
}

/* The default output cap of a whole schema: BACKBONE_LLM_MAX_OUTPUT_TOKENS
 * when set, else DRAFT_DEFAULT_OUTPUT_TOKENS. */
static long default_output_tokens(void)
{
    const char *v = getenv("BACKBONE_LLM_MAX_OUTPUT_TOKENS");
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && n > 0 ? n : DRAFT_DEFAULT_OUTPUT_TOKENS;
}

int bb_cmd_draft(int argc, char **argv)
{
    draft_opts o = {0};
    o.max_rounds = DRAFT_DEFAULT_ROUNDS;
    o.max_output_tokens = default_output_tokens();
    o.llm.mode = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int k = bb_llm_parse_option(&o.llm, argc, argv, &i);
        if (k < 0)
            return BB_EXIT_USAGE;
        if (k > 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return BB_EXIT_OK;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            o.output = argv[++i];
        } else if (strcmp(a, "--max-rounds") == 0 && i + 1 < argc) {
            o.max_rounds = (int)count_option(a, argv[++i], DRAFT_MAX_ROUNDS);
            if (!o.max_rounds)
                return BB_EXIT_USAGE;
        } else if (strcmp(a, "--max-output-tokens") == 0 && i + 1 < argc) {
            o.max_output_tokens = count_option(a, argv[++i], 1000000);
            if (!o.max_output_tokens)
                return BB_EXIT_USAGE;
        } else if (a[0] == '-' && a[1]) {
            bb_cli_error("draft: unknown option '%s' (see 'backbone draft --help')", a);
            return BB_EXIT_USAGE;
        } else if (!o.description) {
            o.description = a;
        } else {
            bb_cli_error("draft: give the description as one argument (quote it)");
            return BB_EXIT_USAGE;
        }
    }
    if (!o.description || !*o.description) {
        usage(stderr);
        return BB_EXIT_USAGE;
    }
    if (strlen(o.description) > DRAFT_MAX_DESCRIPTION) {
        bb_cli_error("draft: the description is longer than %d bytes", DRAFT_MAX_DESCRIPTION);
        return BB_EXIT_USAGE;
    }
    return run_draft(&o);
}
