/*
 * cmd_draft.c - `backbone draft "DESCRIPTION" [-o FILE]`: a language model
 * writes a schema in backbone's input format from a sentence; backbone
 * validates it with the same front end as every other input and, while it
 * is invalid, sends the diagnostics back for a repair, up to --max-rounds.
 *
 * The model is never trusted: the file is written only when the front end
 * accepts the schema (warnings allowed). Otherwise the last diagnostics are
 * printed and the exit code is 1.
 *
 * Exit codes: 0 a valid schema was written, 1 no valid schema (the model
 * failed or never converged), 2 usage, configuration or I/O error.
 */
#include "cli/cli.h"

#include "base/bb.h"
#include "base/buf.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"
#include "llm/llm.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAFT_DEFAULT_ROUNDS 3
#define DRAFT_MAX_ROUNDS 20
#define DRAFT_MAX_DESCRIPTION 4000
/* How many diagnostics one repair request quotes. */
#define DRAFT_FEEDBACK_DIAGS 40

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
    "description into a Python backend (SQLAlchemy, FastAPI). Answer with one JSON object "
    "in this format and nothing else:\n"
    "- project_name: letters, digits, '-' or '_'; db_type: postgresql, mysql, sqlite or mssql.\n"
    "- schema: the tables. Each table has table_name (lower case snake_case, plural), "
    "class_name (PascalCase, singular), description, options {use_timestamps, "
    "use_soft_delete}, columns and relationships.\n"
    "- Every table has exactly one primary key column, usually {\"name\": \"id\", \"type\": "
    "\"Integer\", \"primary_key\": true, \"autoincrement\": true}.\n"
    "- Column types: Integer, BigInteger, SmallInteger, String (give length), Text, Boolean, "
    "DateTime, Date, Time, Numeric (give precision and scale; use it for money), Float, "
    "Enum (give values), JSON, UUID, ForeignKey (give target \"table.column\" and on_delete).\n"
    "- Do not declare created_at/updated_at or is_deleted/deleted_at: the options add them.\n"
    "- Relationships: type one_to_many, many_to_one, one_to_one or many_to_many; "
    "target_table, target_class, back_populates (the attribute name on the other class); "
    "a many_to_one names its local foreign_key column. Declare both sides.\n"
    "- Names must be valid Python identifiers and not Python or SQL keywords.\n"
    "- Use null for anything that does not apply.\n"
    "When backbone reports problems, answer with the whole corrected schema.";

/* The answer's JSON Schema, strict-mode ready: every property required,
 * optional values nullable, no additional properties. */
static const char draft_schema_json[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"project_name\",\"db_type\",\"description\",\"schema\"],\"properties\":{"
    "\"project_name\":{\"type\":\"string\",\"maxLength\":64},"
    "\"db_type\":{\"type\":\"string\",\"enum\":[\"postgresql\",\"mysql\",\"sqlite\",\"mssql\"]},"
    "\"description\":{\"type\":[\"string\",\"null\"],\"maxLength\":1000},"
    "\"schema\":{\"type\":\"array\",\"maxItems\":50,\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"table_name\",\"class_name\",\"description\","
    "\"options\",\"columns\",\"relationships\"],\"properties\":{"
    "\"table_name\":{\"type\":\"string\",\"maxLength\":63},"
    "\"class_name\":{\"type\":\"string\",\"maxLength\":63},"
    "\"description\":{\"type\":[\"string\",\"null\"],\"maxLength\":1000},"
    "\"options\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"use_timestamps\",\"use_soft_delete\"],\"properties\":{"
    "\"use_timestamps\":{\"type\":\"boolean\"},\"use_soft_delete\":{\"type\":\"boolean\"}}},"
    "\"columns\":{\"type\":\"array\",\"maxItems\":100,\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"name\",\"type\",\"length\",\"precision\","
    "\"scale\",\"primary_key\",\"autoincrement\",\"unique\",\"nullable\",\"index\",\"default\","
    "\"values\",\"target\",\"on_delete\",\"description\"],\"properties\":{"
    "\"name\":{\"type\":\"string\",\"maxLength\":63},"
    "\"type\":{\"type\":\"string\",\"enum\":[\"Integer\",\"BigInteger\",\"SmallInteger\","
    "\"String\",\"Text\",\"Boolean\",\"DateTime\",\"Date\",\"Time\",\"Numeric\",\"Float\","
    "\"Enum\",\"JSON\",\"UUID\",\"ForeignKey\"]},"
    "\"length\":{\"type\":[\"integer\",\"null\"]},"
    "\"precision\":{\"type\":[\"integer\",\"null\"]},"
    "\"scale\":{\"type\":[\"integer\",\"null\"]},"
    "\"primary_key\":{\"type\":[\"boolean\",\"null\"]},"
    "\"autoincrement\":{\"type\":[\"boolean\",\"null\"]},"
    "\"unique\":{\"type\":[\"boolean\",\"null\"]},"
    "\"nullable\":{\"type\":[\"boolean\",\"null\"]},"
    "\"index\":{\"type\":[\"boolean\",\"null\"]},"
    "\"default\":{\"type\":[\"string\",\"number\",\"boolean\",\"null\"]},"
    "\"values\":{\"type\":[\"array\",\"null\"],\"items\":{\"type\":\"string\"}},"
    "\"target\":{\"type\":[\"string\",\"null\"]},"
    "\"on_delete\":{\"type\":[\"string\",\"null\"],\"enum\":[\"CASCADE\",\"RESTRICT\","
    "\"SET NULL\",\"SET DEFAULT\",\"NO ACTION\",null]},"
    "\"description\":{\"type\":[\"string\",\"null\"],\"maxLength\":1000}}}},"
    "\"relationships\":{\"type\":\"array\",\"maxItems\":50,\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"target_table\",\"target_class\",\"type\","
    "\"back_populates\",\"foreign_key\",\"description\"],\"properties\":{"
    "\"target_table\":{\"type\":\"string\"},\"target_class\":{\"type\":\"string\"},"
    "\"type\":{\"type\":\"string\",\"enum\":[\"one_to_many\",\"many_to_one\",\"one_to_one\","
    "\"many_to_many\"]},"
    "\"back_populates\":{\"type\":[\"string\",\"null\"]},"
    "\"foreign_key\":{\"type\":[\"string\",\"null\"]},"
    "\"description\":{\"type\":[\"string\",\"null\"],\"maxLength\":1000}}}}}}}}}";

typedef struct draft_opts {
    const char *description;
    const char *output; /* NULL: stdout */
    int max_rounds;
    bb_llm_options llm;
} draft_opts;

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
 * space after a colon (raw tabs only occur as formatting: JSON escapes them). */
static char *pretty_print(const cJSON *v)
{
    char *s = cJSON_Print(v);
    if (!s)
        return NULL;
    bb_buf b;
    bb_buf_init(&b, 64u << 20);
    int rc = BB_OK;
    for (const char *p = s; *p && !rc; p++)
        rc = *p != '\t' ? bb_buf_putc(&b, *p) : bb_buf_puts(&b, p > s && p[-1] == ':' ? " " : "  ");
    if (!rc)
        rc = bb_buf_putc(&b, '\n');
    cJSON_free(s);
    if (rc) {
        bb_buf_free(&b);
        return NULL;
    }
    return bb_buf_take(&b, NULL);
}

/* Writes data to path through a temporary file and a rename. */
static int write_atomically(const char *path, const char *data, size_t len)
{
    bb_buf tmp;
    bb_buf_init(&tmp, 8192);
    if (bb_buf_printf(&tmp, "%s.tmp-XXXXXX", path) != BB_OK) {
        bb_buf_free(&tmp);
        return BB_ENOMEM;
    }
    int fd = mkstemp(tmp.data);
    int rc = fd < 0 ? BB_EIO : BB_OK;
    for (size_t off = 0; !rc && off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = BB_EIO;
        else
            off += (size_t)n;
    }
    if (fd >= 0) {
        if (!rc && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
            rc = BB_EIO;
        if (close(fd) != 0 && !rc)
            rc = BB_EIO;
        if (!rc && rename(tmp.data, path) != 0)
            rc = BB_EIO;
        if (rc)
            unlink(tmp.data);
    }
    bb_buf_free(&tmp);
    return rc;
}

/* The repair request: the problems backbone found, one per line. */
static int feedback_text(const bb_diags *d, bb_buf *out)
{
    int rc = bb_buf_puts(out, "backbone rejected this schema. Fix every problem below and "
                              "answer with the whole corrected schema.\n");
    size_t shown = 0;
    for (size_t i = 0; i < d->n && !rc && shown < DRAFT_FEEDBACK_DIAGS; i++) {
        const bb_diag *g = &d->items[i];
        if (g->severity != BB_ERROR)
            continue;
        shown++;
        rc = bb_buf_printf(out, "- %s at %s: %s%s%s\n", g->code, g->pointer[0] ? g->pointer : "/",
                           g->message, g->hint ? " (hint: " : "", g->hint ? g->hint : "");
        if (!rc && g->hint)
            rc = bb_buf_putc(out, ')');
    }
    return rc;
}

typedef struct conversation {
    bb_llm_msg msgs[2 * DRAFT_MAX_ROUNDS + 1];
    char *owned[2 * DRAFT_MAX_ROUNDS + 1];
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
}

/* The outcome of one candidate: valid (text kept) or its diagnostics. */
typedef struct candidate {
    char *text; /* the schema as it would be written */
    bb_diags diags;
    bool valid;
} candidate;

static int judge(candidate *cand, const cJSON *answer)
{
    cJSON *copy = cJSON_Duplicate(answer, 1);
    if (!copy)
        return BB_ENOMEM;
    strip_nulls(copy);
    cand->text = pretty_print(copy);
    cJSON_Delete(copy);
    if (!cand->text)
        return BB_ENOMEM;
    bb_diags_init(&cand->diags, "draft.json", cand->text, strlen(cand->text));
    bb_schema *s = NULL;
    bb_limits limits = bb_limits_default();
    int rc = bb_frontend("draft.json", cand->text, strlen(cand->text), &limits, &cand->diags, &s);
    bb_schema_free(s);
    cand->valid = rc == BB_OK && !bb_diags_has_errors(&cand->diags);
    return rc == BB_ENOMEM ? rc : BB_OK;
}

static void candidate_free(candidate *c)
{
    if (c->text)
        bb_diags_free(&c->diags);
    bb_free(c->text);
    memset(c, 0, sizeof(*c));
}

static int emit(const draft_opts *o, const candidate *c)
{
    size_t len = strlen(c->text);
    if (!o->output) {
        fwrite(c->text, 1, len, stdout);
        return fflush(stdout) == 0 ? BB_OK : BB_EIO;
    }
    return write_atomically(o->output, c->text, len);
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

static int run_draft(const draft_opts *o)
{
    bb_llm_config cfg;
    char err[256];
    if (bb_llm_config_load(&cfg, &o->llm, err, sizeof(err)) != BB_OK) {
        report(BB_ERROR, "BB0911", "%s", err);
        return BB_EXIT_USAGE;
    }
    bb_llm_client client;
    bb_llm_client_init(&client, &cfg);
    cJSON *schema = cJSON_Parse(draft_schema_json);
    conversation conv = {0};
    candidate last = {0};
    int exit_code = BB_EXIT_INVALID;
    int rc = schema ? say(&conv, "user", bb_strdup(o->description)) : BB_ENOMEM;
    int round = 0;
    while (!rc && round < o->max_rounds) {
        round++;
        bb_llm_request req = {draft_system, conv.msgs, conv.n, "backbone_schema", schema};
        bb_llm_reply reply;
        bb_llm_error e;
        if (bb_llm_complete(&client, &req, &reply, &e) != BB_OK) {
            char msg[512];
            snprintf(msg, sizeof(msg), "round %d: the model gave no usable schema (%s): %s", round,
                     bb_llm_error_name(e.kind), e.message);
            report(BB_ERROR, bb_llm_error_is_bad_answer(e.kind) ? "BB0902" : "BB0901", "%s", msg);
            break;
        }
        candidate_free(&last);
        rc = judge(&last, reply.value);
        char *answer = reply.text;
        reply.text = NULL;
        bb_llm_reply_free(&reply);
        if (!rc && last.valid) {
            rc = emit(o, &last);
            if (rc) {
                bb_cli_error("draft: cannot write %s: %s", o->output, strerror(errno));
                exit_code = BB_EXIT_USAGE;
            } else {
                fprintf(stderr, "backbone: draft: valid schema after %d round%s%s%s\n", round,
                        round == 1 ? "" : "s", o->output ? ", written to " : "",
                        o->output ? o->output : "");
                exit_code = BB_EXIT_OK;
            }
            bb_free(answer);
            break;
        }
        if (!rc && round < o->max_rounds) {
            fprintf(stderr, "backbone: draft: round %d: %zu error%s, asking for a repair\n", round,
                    last.diags.n_errors, last.diags.n_errors == 1 ? "" : "s");
            bb_buf fb;
            bb_buf_init(&fb, 256 * 1024);
            rc = say(&conv, "assistant", answer);
            answer = NULL;
            if (!rc)
                rc = feedback_text(&last.diags, &fb);
            if (!rc)
                rc = say(&conv, "user", bb_buf_take(&fb, NULL));
            bb_buf_free(&fb);
        }
        bb_free(answer);
    }
    if (rc == BB_ENOMEM) {
        bb_cli_error("draft: out of memory");
        exit_code = BB_EXIT_INTERNAL;
    } else if (exit_code == BB_EXIT_INVALID && last.text && !last.valid) {
        bb_diags_print(&last.diags, stderr, bb_use_color(stderr));
        char rounds[16];
        snprintf(rounds, sizeof(rounds), "%d", round);
        report(BB_ERROR, "BB0910",
               "the draft is still invalid after %s round(s); nothing was written", rounds);
    }
    if (client.stats.requests || client.stats.cache_hits)
        fprintf(stderr, "backbone: draft: %ld request%s, %ld cached, %ld+%ld tokens, %.1fs\n",
                client.stats.requests, client.stats.requests == 1 ? "" : "s",
                client.stats.cache_hits, client.stats.prompt_tokens, client.stats.completion_tokens,
                client.stats.seconds);
    candidate_free(&last);
    conversation_free(&conv);
    cJSON_Delete(schema);
    bb_llm_client_free(&client);
    return exit_code;
}

int bb_cmd_draft(int argc, char **argv)
{
    draft_opts o = {0};
    o.max_rounds = DRAFT_DEFAULT_ROUNDS;
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
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > DRAFT_MAX_ROUNDS) {
                bb_cli_error("draft: --max-rounds takes 1 to %d", DRAFT_MAX_ROUNDS);
                return BB_EXIT_USAGE;
            }
            o.max_rounds = (int)n;
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
