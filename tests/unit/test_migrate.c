/* test_migrate.c - Alembic revisions from schema changes (migrate.h). */
#include "validate_testutil.h"

#include "front/normalize.h"
#include "front/validate.h"
#include "migrate/migrate.h"
#include "migrate/ops.h"
#include "output/manifest.h"
#include "plan/architect.h"
#include "plan/plan.h"
#include "render/embedded.h"
#include "json/jdoc.h"

#include <cJSON.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A two-table schema; `extra_post_columns` is spliced into posts' columns. */
#define SCHEMA(extra_user_columns, extra_post_columns, extra_tables)                               \
    "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["                         \
    "{\"table_name\": \"users\", \"class_name\": \"User\", \"columns\": ["                         \
    "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"                            \
    "{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"a\", \"b\"], \"nullable\": false, " \
    "\"default\": \"a\"}" extra_user_columns "]},"                                                 \
    "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"columns\": ["                         \
    "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"                            \
    "{\"name\": \"author_id\", \"type\": \"ForeignKey\", \"target\": \"users.id\"},"               \
    "{\"name\": \"title\", \"type\": \"String\", \"length\": 80}" extra_post_columns               \
    "]}" extra_tables "]}"

/* The normalized schema of a valid input; fails the test otherwise. */
static cJSON *norm_of(const char *text, bb_schema **keep)
{
    bb_schema *s = vt_schema_of(text);
    cJSON *n = NULL;
    assert_int_equal(bb_normalize(s, &n), BB_OK);
    if (keep)
        *keep = s;
    else
        bb_schema_free(s);
    return n;
}

typedef struct run {
    bb_revision rev;
    bb_diags d;
    int rc;
    char *flat[2]; /* upgrade and downgrade bodies, unwrapped */
} run;

/* The revision from old to new (NULL old: the initial one). */
static void migrate(run *r, const char *old_text, const char *new_text, bool destructive,
                    const char *parent)
{
    cJSON *old = old_text ? norm_of(old_text, NULL) : NULL;
    cJSON *new_norm = norm_of(new_text, NULL);
    bb_diags_init(&r->d, "new.json", NULL, 0);
    bb_migrate_opts o = {.allow_destructive = destructive, .down_revision = parent};
    r->flat[0] = r->flat[1] = NULL;
    r->rc = bb_migrate_revision(old, new_norm, NULL, &o, &r->d, &r->rev);
    cJSON_Delete(old);
    cJSON_Delete(new_norm);
}

static void run_free(run *r)
{
    free(r->flat[0]);
    free(r->flat[1]);
    r->flat[0] = r->flat[1] = NULL;
    bb_revision_free(&r->rev);
    bb_diags_free(&r->d);
}

static bool has_code(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

/* Skips a newline and the indentation after it; NULL when p is no newline. */
static const char *past_newline(const char *p)
{
    if (*p != '\n')
        return NULL;
    while (*++p == ' ')
        ;
    return p;
}

/*
 * Undoes Black-style wrapping, so the tests read calls on one line whatever
 * their length: "(\n    a,\n    b,\n)" becomes "(a, b)". Statements stay on
 * their own lines. The caller frees the result.
 */
static char *unwrap(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    assert_non_null(out);
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *q;
        if ((*p == '(' || *p == '[') && (q = past_newline(p + 1)) != NULL) {
            out[n++] = *p;
            p = q;
        } else if (*p == ',' && (q = past_newline(p + 1)) != NULL) {
            if (*q == ')' || *q == ']') {
                p = q; /* the trailing comma goes */
            } else {
                out[n++] = ',';
                out[n++] = ' ';
                p = q;
            }
        } else if ((q = past_newline(p)) != NULL && (*q == ')' || *q == ']')) {
            p = q;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

/* The text of the upgrade() or downgrade() body, unwrapped. */
static const char *body(run *r, const char *fn)
{
    char head[32];
    snprintf(head, sizeof(head), "def %s():\n", fn);
    const char *p = strstr(r->rev.text, head);
    assert_non_null(p);
    int i = strcmp(fn, "upgrade") == 0 ? 0 : 1;
    free(r->flat[i]);
    r->flat[i] = unwrap(p);
    return r->flat[i];
}

/* Fails unless each part is in s, each after the one before. */
static void in_order(const char *s, const char *const *parts, size_t n)
{
    const char *at = s;
    for (size_t i = 0; i < n; i++) {
        const char *p = strstr(at, parts[i]);
        if (!p)
            fail_msg("\"%s\" does not follow \"%s\" in:\n%s", parts[i], i ? parts[i - 1] : "", s);
        at = p + strlen(parts[i]);
    }
}

#define assert_in_order(s, ...)                                                                    \
    in_order((s), (const char *const[]){__VA_ARGS__},                                              \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void initial_revision_creates_tables_in_dependency_order(void **state)
{
    (void)state;
    run r;
    migrate(&r, NULL, SCHEMA("", "", ""), false, NULL);
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_in_order(up, "op.create_table(\"users\"", "op.create_table(\"posts\"");
    assert_non_null(strstr(up, "_create_enum(\"users_status\", \"a\", \"b\")"));
    assert_non_null(strstr(up, "sa.ForeignKeyConstraint([\"author_id\"], [\"users.id\"], "
                               "name=\"fk_posts_author_id_users\")"));
    assert_non_null(strstr(up, "sa.PrimaryKeyConstraint(\"id\", name=\"pk_users\")"));
    assert_string_equal(r.rev.message, "initial");
    assert_null(r.rev.down_revision);
    assert_non_null(strstr(r.rev.text, "down_revision = None\n"));
    assert_true(strncmp(r.rev.path, "alembic/versions/", 17) == 0);
    assert_non_null(strstr(r.rev.path, "_initial.py"));
    run_free(&r);
}

static void initial_downgrade_drops_in_reverse_order_then_enums(void **state)
{
    (void)state;
    run r;
    migrate(&r, NULL, SCHEMA("", "", ""), false, NULL);
    assert_int_equal(r.rc, BB_OK);
    const char *down = body(&r, "downgrade");
    assert_in_order(down, "op.drop_table(\"posts\")", "op.drop_table(\"users\")",
                    "_drop_enum(\"users_status\")");
    run_free(&r);
}

static void revision_ids_are_deterministic_and_depend_on_the_parent(void **state)
{
    (void)state;
    run a, b, c;
    migrate(&a, NULL, SCHEMA("", "", ""), false, NULL);
    migrate(&b, NULL, SCHEMA("", "", ""), false, NULL);
    migrate(&c, NULL, SCHEMA("", "", ""), false, "abc123");
    assert_int_equal(strlen(a.rev.id), BB_REVISION_ID_LEN);
    assert_string_equal(a.rev.id, b.rev.id);
    assert_string_equal(a.rev.text, b.rev.text);
    assert_string_not_equal(a.rev.id, c.rev.id);
    assert_non_null(strstr(c.rev.text, "down_revision = \"abc123\"\n"));
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

static void an_unchanged_schema_needs_no_revision(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", "", ""), SCHEMA("", "", ""), false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_int_equal(r.rev.n_ops, 0);
    assert_null(r.rev.text);
    assert_string_equal(r.rev.id, "");
    run_free(&r);
}

static void dropping_a_column_is_refused_without_allow_destructive(void **state)
{
    (void)state;
    const char *old = SCHEMA("", ",{\"name\": \"legacy\", \"type\": \"Text\"}", "");
    run r;
    migrate(&r, old, SCHEMA("", "", ""), false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0820"));
    assert_null(r.rev.text);
    run_free(&r);

    migrate(&r, old, SCHEMA("", "", ""), true, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "batch_op.drop_column(\"legacy\")"));
    assert_non_null(strstr(body(&r, "downgrade"), "batch_op.add_column(sa.Column(\"legacy\""));
    run_free(&r);
}

static void dropping_a_table_is_refused_without_allow_destructive(void **state)
{
    (void)state;
    const char *old = SCHEMA("", "",
                             ",{\"table_name\": \"logs\", \"class_name\": \"Log\", \"columns\": "
                             "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}");
    run r;
    migrate(&r, old, SCHEMA("", "", ""), false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0820"));
    run_free(&r);
    migrate(&r, old, SCHEMA("", "", ""), true, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "op.drop_table(\"logs\")"));
    assert_non_null(strstr(body(&r, "downgrade"), "op.create_table(\"logs\""));
    run_free(&r);
}

static void a_not_null_column_without_default_is_refused(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", "", ""),
            SCHEMA("", ",{\"name\": \"views\", \"type\": \"Integer\", \"nullable\": false}", ""),
            false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0821"));
    run_free(&r);
}

static void a_not_null_column_with_default_gets_a_server_default(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", "", ""),
            SCHEMA("",
                   ",{\"name\": \"views\", \"type\": \"Integer\", \"nullable\": false, "
                   "\"default\": 0}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_non_null(strstr(up, "with op.batch_alter_table(\"posts\") as batch_op:"));
    assert_non_null(strstr(up, "batch_op.add_column(sa.Column(\"views\", sa.Integer(), "
                               "nullable=False, server_default=sa.text(\"0\")))"));
    assert_non_null(strstr(body(&r, "downgrade"), "batch_op.drop_column(\"views\")"));
    assert_string_equal(r.rev.message, "add column posts.views");
    assert_non_null(strstr(r.rev.path, "_add_column_posts_views.py"));
    run_free(&r);
}

static void making_a_column_nullable_alters_it_both_ways(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\", \"nullable\": false}", ""),
            SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\"}", ""), false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "batch_op.alter_column(\"slug\", "
                                                "existing_type=sa.Text(), nullable=True)"));
    assert_non_null(strstr(body(&r, "downgrade"), "nullable=False)"));
    run_free(&r);
}

static void tightening_to_not_null_fills_nulls_with_the_default(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\"}", ""),
            SCHEMA("",
                   ",{\"name\": \"slug\", \"type\": \"Text\", \"nullable\": false, "
                   "\"default\": \"x\"}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_in_order(up, "_fill_nulls(\"posts\", \"slug\", \"x\")", "nullable=False");
    assert_false(has_code(&r.d, "BB0825"));
    run_free(&r);
}

static void tightening_to_not_null_without_default_warns(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\"}", ""),
            SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\", \"nullable\": false}", ""), false,
            "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_true(has_code(&r.d, "BB0825"));
    assert_int_equal(r.d.n_errors, 0);
    run_free(&r);
}

static void a_type_change_alters_the_type_and_warns(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"n\", \"type\": \"Text\"}", ""),
            SCHEMA("", ",{\"name\": \"n\", \"type\": \"Integer\"}", ""), false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "batch_op.alter_column(\"n\", "
                                                "existing_type=sa.Text(), "
                                                "type_=sa.Integer(), existing_nullable=True)"));
    assert_non_null(strstr(body(&r, "downgrade"), "type_=sa.Text()"));
    assert_true(has_code(&r.d, "BB0826"));
    run_free(&r);
}

static void a_widening_type_change_does_not_warn(void **state)
{
    (void)state;
    run r;
    migrate(&r,
            SCHEMA("",
                   ",{\"name\": \"n\", \"type\": \"Integer\"},"
                   "{\"name\": \"s\", \"type\": \"String\", \"length\": 10}",
                   ""),
            SCHEMA("",
                   ",{\"name\": \"n\", \"type\": \"BigInteger\"},"
                   "{\"name\": \"s\", \"type\": \"String\", \"length\": 20}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "type_=sa.BigInteger()"));
    assert_non_null(strstr(body(&r, "upgrade"), "type_=sa.String(length=20)"));
    assert_false(has_code(&r.d, "BB0826"));
    run_free(&r);
}

/* docs/migrations.md: widening String to Text is not reported. */
static void a_string_becoming_text_does_not_warn(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"s\", \"type\": \"String\", \"length\": 120}", ""),
            SCHEMA("", ",{\"name\": \"s\", \"type\": \"Text\"}", ""), false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "type_=sa.Text()"));
    assert_false(has_code(&r.d, "BB0826"));
    assert_null(strstr(r.rev.text, "_check_cast"));
    run_free(&r);
    /* Text to a bounded String may cut values: reported. */
    migrate(&r, SCHEMA("", ",{\"name\": \"s\", \"type\": \"Text\"}", ""),
            SCHEMA("", ",{\"name\": \"s\", \"type\": \"String\", \"length\": 120}", ""), false,
            "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_true(has_code(&r.d, "BB0826"));
    run_free(&r);
}

/* SQLite's table copy CASTs a column to its new type: text that is no
 * number becomes 0. The revision checks the values first (under the
 * column's name before the batch renames it) and stops if one would
 * change; the downgrade, back to text, needs no check. */
static void a_change_sqlite_would_cast_is_checked_before_the_copy(void **state)
{
    (void)state;
    run r;
    migrate(
        &r, SCHEMA("", ",{\"name\": \"code\", \"type\": \"String\", \"length\": 9}", ""),
        SCHEMA("", ",{\"name\": \"ref\", \"type\": \"Integer\", \"renamed_from\": \"code\"}", ""),
        false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_in_order(up, "_check_cast(\"posts\", \"code\", sa.Integer())",
                    "with op.batch_alter_table(\"posts\")");
    assert_non_null(strstr(r.rev.text, "def _check_cast(table, column, type_):"));
    assert_null(strstr(body(&r, "downgrade"), "_check_cast("));
    assert_true(has_code(&r.d, "BB0826"));
    run_free(&r);
}

/* The NULLs are filled before the batch that renames the column: under
 * its old name. */
static void nulls_are_filled_under_the_name_before_a_rename(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\"}", ""),
            SCHEMA("",
                   ",{\"name\": \"handle\", \"type\": \"Text\", \"nullable\": false, "
                   "\"default\": \"x\", \"renamed_from\": \"slug\"}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "_fill_nulls(\"posts\", \"slug\", \"x\")"));
    run_free(&r);
}

static void a_primary_key_change_is_refused(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"code\", \"type\": \"Integer\"}", ""),
            SCHEMA("", ",{\"name\": \"code\", \"type\": \"Integer\", \"primary_key\": true}", ""),
            false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0822"));
    run_free(&r);
}

static void a_renamed_column_is_renamed_not_dropped(void **state)
{
    (void)state;
    run r;
    migrate(
        &r, SCHEMA("", ",{\"name\": \"body\", \"type\": \"Text\"}", ""),
        SCHEMA("", ",{\"name\": \"content\", \"type\": \"Text\", \"renamed_from\": \"body\"}", ""),
        false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(
        strstr(body(&r, "upgrade"), "batch_op.alter_column(\"body\", new_column_name=\"content\""));
    assert_non_null(strstr(body(&r, "downgrade"),
                           "batch_op.alter_column(\"content\", new_column_name=\"body\""));
    assert_null(strstr(r.rev.text, "drop_column"));
    run_free(&r);
}

static void a_rename_after_a_new_column_and_its_constraint_get_their_own_batch(void **state)
{
    (void)state;
    run r;
    migrate(&r,
            SCHEMA("",
                   ",{\"name\": \"code\", \"type\": \"String\", \"length\": 9, "
                   "\"unique\": true}",
                   ""),
            SCHEMA("",
                   ",{\"name\": \"extra\", \"type\": \"Text\"},"
                   "{\"name\": \"ref\", \"type\": \"String\", \"length\": 12, "
                   "\"unique\": true, \"renamed_from\": \"code\"}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    const char *drop = strstr(up, "batch_op.drop_constraint(\"uq_posts_code\", type_=\"unique\")");
    const char *rename = strstr(up, "batch_op.alter_column(\"code\", new_column_name=\"ref\"");
    assert_non_null(drop);
    assert_non_null(rename);
    /* A second batch block holds what uses the new name. */
    const char *second = strstr(rename, "with op.batch_alter_table(\"posts\") as batch_op:");
    assert_non_null(second);
    assert_non_null(strstr(second, "batch_op.add_column(sa.Column(\"extra\""));
    assert_non_null(strstr(second, "type_=sa.String(length=12)"));
    assert_non_null(
        strstr(second, "batch_op.create_unique_constraint(\"uq_posts_ref\", [\"ref\"])"));
    const char *dropped = strstr(up, "drop_column");
    assert_true(!dropped || dropped > strstr(up, "def downgrade"));
    run_free(&r);
}

static void a_rename_from_an_unknown_column_is_an_error(void **state)
{
    (void)state;
    run r;
    migrate(
        &r, SCHEMA("", "", ""),
        SCHEMA("", ",{\"name\": \"content\", \"type\": \"Text\", \"renamed_from\": \"bdy\"}", ""),
        false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0824"));
    run_free(&r);
}

static void a_renamed_table_is_renamed(void **state)
{
    (void)state;
    const char *old = SCHEMA("", "",
                             ",{\"table_name\": \"logs\", \"class_name\": \"Log\", \"columns\": "
                             "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}");
    const char *new_text =
        SCHEMA("", "",
               ",{\"table_name\": \"events\", \"class_name\": \"Event\", \"renamed_from\": "
               "\"logs\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\", "
               "\"primary_key\": true}]}");
    run r;
    migrate(&r, old, new_text, false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "op.rename_table(\"logs\", \"events\")"));
    assert_non_null(strstr(body(&r, "downgrade"), "op.rename_table(\"events\", \"logs\")"));
    run_free(&r);
}

static void an_added_enum_value_alters_the_postgresql_type(void **state)
{
    (void)state;
    const char *new_text =
        "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["
        "{\"table_name\": \"users\", \"class_name\": \"User\", \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        "{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"a\", \"b\", \"c\"], "
        "\"nullable\": false, \"default\": \"a\"}]},"
        "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        "{\"name\": \"author_id\", \"type\": \"ForeignKey\", \"target\": \"users.id\"},"
        "{\"name\": \"title\", \"type\": \"String\", \"length\": 80}]}]}";
    run r;
    migrate(&r, SCHEMA("", "", ""), new_text, false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_non_null(strstr(up, "ALTER TYPE \\\"users_status\\\" ADD VALUE IF NOT EXISTS 'c'"));
    assert_non_null(strstr(up, "if _dialect() != \"postgresql\":"));
    run_free(&r);

    migrate(&r, new_text, SCHEMA("", "", ""), false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0823"));
    run_free(&r);
}

/* PostgreSQL refuses a value added by ALTER TYPE in the transaction that
 * added it ("unsafe use of new enum value"): the revision commits it first,
 * so the same revision can make it the column's default. */
static void an_added_enum_value_is_committed_before_it_is_used(void **state)
{
    (void)state;
    const char *new_text = SCHEMA(",{\"name\": \"tier\", \"type\": \"Enum\", \"values\": "
                                  "[\"x\", \"y\", \"z\"], \"nullable\": false, \"default\": \"z\"}",
                                  "", "");
    const char *old_text = SCHEMA(",{\"name\": \"tier\", \"type\": \"Enum\", \"values\": "
                                  "[\"x\", \"y\"], \"nullable\": false, \"default\": \"x\"}",
                                  "", "");
    run r;
    migrate(&r, old_text, new_text, false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_in_order(up, "with op.get_context().autocommit_block():\n",
                    "ADD VALUE IF NOT EXISTS 'z'", "server_default=\"z\"");
    run_free(&r);
}

/* The generated models name a check "<name>" and the naming convention
 * makes it ck_<table>_<name>; the normalized schema holds that final name,
 * which the revision marks final (op.f) so the convention does not add
 * ck_<table>_ a second time. */
static void check_constraint_names_are_not_prefixed_twice(void **state)
{
    (void)state;
    const char *checked =
        "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["
        "{\"table_name\": \"items\", \"class_name\": \"Item\", \"checks\": "
        "[{\"name\": \"price_ok\", \"expression\": \"price >= 0\"}], \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        "{\"name\": \"price\", \"type\": \"Integer\"}]}]}";
    const char *unchecked = "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["
                            "{\"table_name\": \"items\", \"class_name\": \"Item\", \"columns\": ["
                            "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
                            "{\"name\": \"price\", \"type\": \"Integer\"}]}]}";
    run r;
    migrate(&r, NULL, checked, false, NULL);
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"),
                           "sa.CheckConstraint(\"price >= 0\", name=op.f(\"ck_items_price_ok\"))"));
    run_free(&r);
    migrate(&r, unchecked, checked, false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"),
                           "batch_op.create_check_constraint("
                           "op.f(\"ck_items_price_ok\"), sa.text(\"price >= 0\"))"));
    assert_non_null(strstr(body(&r, "downgrade"), "batch_op.drop_constraint("
                                                  "op.f(\"ck_items_price_ok\"), type_=\"check\")"));
    run_free(&r);
}

/* --sql prints every value as SQL: a NULL filled with a plain Python value
 * needs a type to be printed. */
static void filled_nulls_are_typed_literals(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", ",{\"name\": \"slug\", \"type\": \"Text\"}", ""),
            SCHEMA("",
                   ",{\"name\": \"slug\", \"type\": \"Text\", \"nullable\": false, "
                   "\"default\": \"\"}",
                   ""),
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_non_null(strstr(body(&r, "upgrade"), "_fill_nulls(\"posts\", \"slug\", \"\")"));
    assert_non_null(strstr(r.rev.text, "        value = sa.literal(value)\n"));
    run_free(&r);
}

static void a_many_to_many_creates_its_association_table(void **state)
{
    (void)state;
    const char *tags = ",{\"table_name\": \"tags\", \"class_name\": \"Tag\", \"columns\": "
                       "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}], "
                       "\"relationships\": [{\"target_table\": \"posts\", \"target_class\": "
                       "\"Post\", \"type\": \"many_to_many\", \"back_populates\": \"tags\"}]}";
    run r;
    char new_text[4096];
    snprintf(new_text, sizeof(new_text), SCHEMA("", "", "%s"), tags);
    migrate(&r, SCHEMA("", "", ""), new_text, false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    const char *t = strstr(up, "op.create_table(\"tags\"");
    const char *pt = strstr(up, "op.create_table(\"posts_tags\"");
    assert_non_null(t);
    assert_non_null(pt);
    assert_true(t < pt);
    assert_non_null(strstr(pt, "sa.PrimaryKeyConstraint(\"post_id\", \"tag_id\""));
    assert_non_null(strstr(pt, "ondelete=\"CASCADE\""));
    run_free(&r);
}

/* posts and tags linked by an automatic many-to-many; posts named as given. */
#define LINKED(posts_table, posts_class, rename)                                                   \
    "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["                         \
    "{\"table_name\": \"" posts_table "\", \"class_name\": \"" posts_class "\"" rename ", "        \
    "\"columns\": [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}], "            \
    "\"relationships\": [{\"target_table\": \"tags\", \"target_class\": \"Tag\", "                 \
    "\"type\": \"many_to_many\", \"back_populates\": \"items\"}]},"                                \
    "{\"table_name\": \"tags\", \"class_name\": \"Tag\", \"columns\": "                            \
    "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}], "                         \
    "\"relationships\": [{\"target_table\": \"" posts_table "\", \"target_class\": "               \
    "\"" posts_class "\", \"type\": \"many_to_many\", \"back_populates\": \"tags\", "              \
    "\"name\": \"items\"}]}]}"

/*
 * The table of an automatic many-to-many is named after the tables it
 * links: renaming one renames it too, with its link column named after the
 * class, and keeps the rows (it was refused with BB0820 and, with
 * --allow-destructive, dropped).
 */
static void a_renamed_table_renames_its_association_table(void **state)
{
    (void)state;
    run r;
    migrate(&r, LINKED("posts", "Post", ""),
            LINKED("articles", "Article", ", \"renamed_from\": \"posts\""), false, "p1");
    assert_int_equal(r.rc, BB_OK);
    assert_false(has_code(&r.d, "BB0820"));
    const char *up = body(&r, "upgrade");
    assert_non_null(strstr(up, "op.rename_table(\"posts\", \"articles\")"));
    assert_non_null(strstr(up, "op.rename_table(\"posts_tags\", \"articles_tags\")"));
    assert_non_null(
        strstr(up, "batch_op.alter_column(\"post_id\", new_column_name=\"article_id\""));
    assert_non_null(strstr(up,
                           "batch_op.create_foreign_key(\"fk_articles_tags_article_id_articles\", "
                           "\"articles\", [\"article_id\"], [\"id\"], ondelete=\"CASCADE\")"));
    assert_null(strstr(r.rev.text, "drop_table"));
    assert_null(strstr(r.rev.text, "create_table"));
    const char *down = body(&r, "downgrade");
    assert_non_null(strstr(down, "op.rename_table(\"articles_tags\", \"posts_tags\")"));
    assert_non_null(
        strstr(down, "batch_op.alter_column(\"article_id\", new_column_name=\"post_id\""));
    run_free(&r);

    /* A many-to-many that is gone: its links are dropped, the hint says so. */
    migrate(&r, LINKED("posts", "Post", ""),
            "{\"project_name\": \"t\", \"db_type\": \"postgresql\", \"schema\": ["
            "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"columns\": "
            "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]},"
            "{\"table_name\": \"tags\", \"class_name\": \"Tag\", \"columns\": "
            "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}",
            false, "p1");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0820"));
    assert_non_null(strstr(r.d.items[0].hint, "many_to_many"));
    run_free(&r);
}

static void a_cyclic_foreign_key_is_added_after_the_tables(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/fixtures/circular_dependency_schema.json",
             tu_shared_dir());
    char *text = tu_read_file(path, NULL);
    run r;
    migrate(&r, NULL, text, false, NULL);
    free(text);
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    const char *late = strstr(up, "op.create_foreign_key(");
    assert_non_null(late);
    assert_non_null(strstr(up, "*_sqlite_only(sa.ForeignKeyConstraint("));
    const char *down = body(&r, "downgrade");
    const char *drop_fk = strstr(down, "op.drop_constraint(");
    const char *drop_t = strstr(down, "op.drop_table(");
    assert_non_null(drop_fk);
    assert_true(drop_fk < drop_t);
    run_free(&r);
}

static void an_added_index_is_created_and_dropped(void **state)
{
    (void)state;
    run r;
    migrate(&r, SCHEMA("", "", ""),
            "{\"project_name\": \"t\", \"db_type\": \"sqlite\", \"schema\": ["
            "{\"table_name\": \"users\", \"class_name\": \"User\", \"columns\": ["
            "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
            "{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"a\", \"b\"], "
            "\"nullable\": false, \"default\": \"a\"}]},"
            "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"indexes\": [[\"title\", "
            "\"author_id\"]], \"columns\": ["
            "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
            "{\"name\": \"author_id\", \"type\": \"ForeignKey\", \"target\": \"users.id\"},"
            "{\"name\": \"title\", \"type\": \"String\", \"length\": 80, \"index\": true}]}]}",
            false, "p1");
    assert_int_equal(r.rc, BB_OK);
    const char *up = body(&r, "upgrade");
    assert_non_null(strstr(up, "op.create_index(\"ix_posts_title\", \"posts\", [\"title\"], "
                               "unique=False)"));
    assert_non_null(strstr(up, "op.create_index(\"ix_posts_title_author_id\", \"posts\", "
                               "[\"title\", \"author_id\"], unique=False)"));
    assert_non_null(
        strstr(body(&r, "downgrade"), "op.drop_index(\"ix_posts_title\", table_name=\"posts\")"));
    run_free(&r);
}

/* The initial revision of a one-table schema, with the message given. */
static int initial_with_message(const char *message, bb_revision *rev)
{
    cJSON *new_norm = norm_of(SCHEMA("", "", ""), NULL);
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_migrate_opts o = {.message = message};
    int rc = bb_migrate_revision(NULL, new_norm, NULL, &o, &d, rev);
    bb_diags_free(&d);
    cJSON_Delete(new_norm);
    return rc;
}

static void a_long_message_gives_a_short_file_name(void **state)
{
    (void)state;
    bb_revision rev;
    assert_int_equal(
        initial_with_message("a very long message about renaming the user name column", &rev),
        BB_OK);
    char expected[128];
    snprintf(expected, sizeof(expected),
             "alembic/versions/%s_a_very_long_message_about_renaming_the.py", rev.id);
    assert_string_equal(rev.path, expected);
    assert_non_null(
        strstr(rev.text, "\"\"\"a very long message about renaming the user name column\n"));
    bb_revision_free(&rev);
}

/* The docstring must not end early, nor grow without bound. */
static void quotes_in_a_message_are_escaped_and_its_length_capped(void **state)
{
    (void)state;
    bb_revision rev;
    assert_int_equal(initial_with_message("say \"\"\"hi\"\"\" \\ bye", &rev), BB_OK);
    assert_non_null(strstr(rev.text, "\"\"\"say \\\"\\\"\\\"hi\\\"\\\"\\\" \\\\ bye\n\n"));
    bb_revision_free(&rev);
    static char long_msg[16 * 1024 + 2];
    memset(long_msg, '"', 8 * 1024 + 1); /* escaped, one byte over */
    assert_int_equal(initial_with_message(long_msg, &rev), BB_ELIMIT);
}

static void a_bad_down_revision_is_refused(void **state)
{
    (void)state;
    run r;
    migrate(&r, NULL, SCHEMA("", "", ""), false, "x\"; import os");
    assert_int_equal(r.rc, BB_EINVAL);
    assert_true(has_code(&r.d, "BB0827"));
    run_free(&r);
}

/* What the manifest records (printed, read back) must compare equal to the
 * fresh normalization: otherwise every run would add a revision. */
static void a_recorded_schema_equals_the_fresh_one(void **state)
{
    (void)state;
    static const char *const files[] = {"schemas/kitchen_sink.json",
                                        "schemas/shop.json",
                                        "schemas/org_chart.json",
                                        "schemas/evolution/v10.json",
                                        "EXAMPLES/complex_schema.json",
                                        "EXAMPLES/ecommerce_schema.json",
                                        "INLINE"};
    /* Numbers written in a form cJSON does not print back. */
    static const char inline_schema[] =
        SCHEMA("",
               ",{\"name\": \"price\", \"type\": \"Float\", \"default\": 1.50},"
               "{\"name\": \"big\", \"type\": \"Float\", \"default\": 1e3}",
               "");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        if (strncmp(files[i], "EXAMPLES/", 9) == 0)
            snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/%s", tu_shared_dir(),
                     files[i] + 9);
        else
            snprintf(path, sizeof(path), "%s", files[i]);
        bool is_inline = strcmp(files[i], "INLINE") == 0;
        char *text = is_inline ? NULL : tu_read_file(path, NULL);
        cJSON *fresh = norm_of(is_inline ? inline_schema : text, NULL);
        free(text);
        char *printed = cJSON_Print(fresh);
        cJSON *recorded = cJSON_Parse(printed);
        cJSON_free(printed);
        bb_diags d;
        bb_diags_init(&d, "t", NULL, 0);
        bb_revision rev;
        bb_migrate_opts o = {.down_revision = "p1"};
        assert_int_equal(bb_migrate_revision(recorded, fresh, NULL, &o, &d, &rev), BB_OK);
        if (rev.n_ops)
            fail_msg("%s: %zu changes against itself:\n%s", path, rev.n_ops, rev.text);
        bb_revision_free(&rev);
        bb_diags_free(&d);
        cJSON_Delete(recorded);
        cJSON_Delete(fresh);
    }
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    cJSON *new_norm = norm_of(SCHEMA("", "", ""), NULL);
    int rc = BB_ENOMEM;
    for (long n = 0; rc == BB_ENOMEM && n < 100000; n++) {
        bb_diags d;
        bb_diags_init(&d, "t", NULL, 0);
        bb_revision rev;
        bb_alloc_fail_after(n);
        rc = bb_migrate_revision(NULL, new_norm, NULL, NULL, &d, &rev);
        bb_alloc_fail_after(-1);
        if (rc == BB_OK)
            assert_non_null(rev.text);
        else
            assert_int_equal(rc, BB_ENOMEM);
        bb_revision_free(&rev);
        bb_diags_free(&d);
    }
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(new_norm);
}

/* The operations render through the template whoever made them: one
 * batch with a column added, and an index after it. */
static void hand_made_operations_render_through_the_template(void **state)
{
    (void)state;
    bb_ops up, down;
    bb_ops_init(&up, 1u << 20);
    bb_ops_init(&down, 1u << 20);
    bb_op *b = bb_ops_add(&up, &up.ops, BB_OP_BATCH);
    assert_non_null(b);
    b->u.batch.table = bb_ops_name(&up, "posts");
    bb_op *add = bb_ops_add(&up, &b->u.batch.ops, BB_OP_ADD_COLUMN);
    assert_non_null(add);
    add->u.column.name = bb_ops_name(&up, "note \"x\"");
    add->u.column.type = bb_ops_python(&up, "sa.Text()", 9);
    add->u.column.nullable = bb_ops_flag(true);
    bb_op *ix = bb_ops_add(&up, &up.ops, BB_OP_CREATE_INDEX);
    assert_non_null(ix);
    ix->u.cons.name = bb_ops_name(&up, "ix_posts_note");
    ix->u.cons.table = bb_ops_name(&up, "posts");
    ix->u.cons.columns = bb_ops_atoms(&up, 1);
    ix->u.cons.columns.items[0] = bb_ops_name(&up, "note");
    bb_ops_note_of(&up, "add column posts.note");
    assert_int_equal(up.rc, BB_OK);

    bb_revision r;
    memset(&r, 0, sizeof(r));
    cJSON *norm = cJSON_Parse("{\"normalized\": 1, \"tables\": []}");
    assert_int_equal(bb_revision_name(&r, "p1", norm, NULL, false, &up), BB_OK);
    cJSON_Delete(norm);
    assert_string_equal(r.message, "add column posts.note");
    assert_int_equal(bb_revision_render(&r, &up, &down), BB_OK);
    assert_non_null(strstr(r.text, "    with op.batch_alter_table(\"posts\") as batch_op:\n"
                                   "        batch_op.add_column(sa.Column('note \"x\"', sa.Text(), "
                                   "nullable=True))\n"
                                   "    op.create_index(\"ix_posts_note\", \"posts\", [\"note\"], "
                                   "unique=False)\n"));
    assert_non_null(strstr(r.text, "  - add column posts.note\n"));
    assert_non_null(strstr(r.text, "def downgrade():\n    pass\n"));
    bb_revision_free(&r);
    bb_ops_free(&up);
    bb_ops_free(&down);
}

/* The revision template is embedded, but no plan makes a project file of it. */
static void the_revision_template_is_no_project_file(void **state)
{
    (void)state;
    bool embedded = false;
    for (unsigned i = 0; i < bb_embedded_template_count; i++)
        embedded |= strcmp(bb_embedded_templates[i].path, "alembic/revision.py.mustache") == 0;
    assert_true(embedded);
    char *text = tu_read_file("schemas/kitchen_sink.json", NULL);
    bb_schema *s = vt_schema_of(text);
    free(text);
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_plan *plan = NULL;
    assert_int_equal(bb_architect_plan(s, NULL, &d, &plan), BB_OK);
    for (size_t i = 0; i < plan->files.n; i++)
        assert_null(strstr(plan->files.v[i].template, "revision"));
    assert_true(plan->files.n > 10);
    bb_plan_free(plan);
    bb_diags_free(&d);
    bb_schema_free(s);
}

/* ---- the generate hook ---- */

static void generate_hook_adds_one_revision_after_the_recorded_ones(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb_test_migrate_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    bb_schema *s1, *s2;
    cJSON *n1 = norm_of(SCHEMA("", "", ""), &s1);
    cJSON_Delete(n1);
    cJSON *n2 = norm_of(SCHEMA("", ",{\"name\": \"body\", \"type\": \"Text\"}", ""), &s2);
    cJSON_Delete(n2);

    /* First run: no manifest, the initial revision. */
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_migrate_result r1;
    assert_int_equal(bb_migrate_generate(s1, dir, NULL, NULL, &d, &r1), BB_OK);
    assert_int_equal(r1.n_files, 1);
    assert_true(r1.created);
    snprintf(path, sizeof(path), "%s/alembic", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/alembic/versions", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/%s", dir, r1.files[0].path);
    /* The user edits the recorded revision: it is carried over as edited. */
    tu_write_file(path, "# edited by the user\n");
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddItemToObject(manifest, "schema", r1.schema);
    cJSON_AddItemToObject(manifest, "revisions", r1.revisions);
    r1.schema = r1.revisions = NULL;

    /* Second run: the recorded revision plus a new one whose parent it is. */
    bb_migrate_result r2;
    assert_int_equal(bb_migrate_generate(s2, dir, manifest, NULL, &d, &r2), BB_OK);
    assert_int_equal(r2.n_files, 2);
    assert_true(r2.created);
    assert_string_equal(r2.files[0].path, r1.files[0].path);
    assert_string_equal(r2.files[0].data, "# edited by the user\n");
    assert_int_equal(cJSON_GetArraySize(r2.revisions), 2);
    const cJSON *second = cJSON_GetArrayItem(r2.revisions, 1);
    const cJSON *first = cJSON_GetArrayItem(r2.revisions, 0);
    assert_string_equal(cJSON_GetObjectItem(second, "down_revision")->valuestring,
                        cJSON_GetObjectItem(first, "id")->valuestring);
    assert_non_null(strstr(r2.files[1].data, "batch_op.add_column(sa.Column(\"body\""));

    /* Third run with the same schema: nothing new. */
    cJSON_ReplaceItemInObject(manifest, "schema", r2.schema);
    cJSON_ReplaceItemInObject(manifest, "revisions", r2.revisions);
    r2.schema = r2.revisions = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, r2.files[1].path);
    tu_write_file(path, r2.files[1].data);
    bb_migrate_result r3;
    assert_int_equal(bb_migrate_generate(s2, dir, manifest, NULL, &d, &r3), BB_OK);
    assert_int_equal(r3.n_files, 2);
    assert_false(r3.created);
    unlink(path);
    snprintf(path, sizeof(path), "%s/%s", dir, r1.files[0].path);
    unlink(path);

    /* A recorded revision file that is gone is an error, not a silent loss. */
    bb_migrate_result r4;
    assert_int_equal(bb_migrate_generate(s2, dir, manifest, NULL, &d, &r4), BB_EINVAL);
    assert_true(has_code(&d, "BB0828"));

    snprintf(path, sizeof(path), "%s/alembic/versions", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/alembic", dir);
    rmdir(path);
    rmdir(dir);
    bb_migrate_result_free(&r1);
    bb_migrate_result_free(&r2);
    bb_migrate_result_free(&r3);
    cJSON_Delete(manifest);
    bb_diags_free(&d);
    bb_schema_free(s1);
    bb_schema_free(s2);
}

/* A revision written by hand, the way Alembic's template writes it. */
static void write_hand_revision(const char *dir, const char *id, const char *down)
{
    char path[512], text[512];
    snprintf(path, sizeof(path), "%s/alembic/versions/%s_by_hand.py", dir, id);
    snprintf(text, sizeof(text),
             "\"\"\"by hand\n\nRevision ID: %s\n\"\"\"\nfrom alembic import op\n\n"
             "revision: str = '%s'\ndown_revision = %s\nbranch_labels = None\n",
             id, id, down);
    tu_write_file(path, text);
}

/*
 * docs/migrations.md: after a revision written by hand (and `alembic
 * merge heads`), the next revision follows the head of alembic/versions,
 * not the last one backbone recorded; that record stays readable. Two
 * heads are refused (BB0830).
 */
static void generate_hook_follows_the_head_of_the_versions_folder(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb_test_migrate_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof(path), "%s/alembic", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/alembic/versions", dir);
    mkdir(path, 0700);
    bb_schema *s1, *s2, *s3;
    cJSON_Delete(norm_of(SCHEMA("", "", ""), &s1));
    cJSON_Delete(norm_of(SCHEMA("", ",{\"name\": \"body\", \"type\": \"Text\"}", ""), &s2));
    cJSON_Delete(norm_of(SCHEMA("",
                                ",{\"name\": \"body\", \"type\": \"Text\"},"
                                "{\"name\": \"summary\", \"type\": \"Text\"}",
                                ""),
                         &s3));
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_migrate_result r1, r2, r3, r4;
    assert_int_equal(bb_migrate_generate(s1, dir, NULL, NULL, &d, &r1), BB_OK);
    snprintf(path, sizeof(path), "%s/%s", dir, r1.files[0].path);
    tu_write_file(path, r1.files[0].data);
    char first[BB_REVISION_ID_LEN + 1];
    snprintf(first, sizeof(first), "%s", cJSON_GetArrayItem(r1.revisions, 0)->child->valuestring);
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddItemToObject(manifest, "schema", r1.schema);
    cJSON_AddItemToObject(manifest, "revisions", r1.revisions);
    r1.schema = r1.revisions = NULL;

    /* By hand after the initial revision, then a merge of it alone. */
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "'%s'", first);
    write_hand_revision(dir, "aaaa1111", quoted);
    write_hand_revision(dir, "bbbb2222", "(\n    'aaaa1111',\n)");
    assert_int_equal(bb_migrate_generate(s2, dir, manifest, NULL, &d, &r2), BB_OK);
    assert_true(r2.created);
    const cJSON *added = cJSON_GetArrayItem(r2.revisions, 1);
    assert_string_equal(cJSON_GetObjectItem(added, "down_revision")->valuestring, "bbbb2222");
    assert_non_null(strstr(r2.files[1].data, "down_revision = \"bbbb2222\"\n"));

    /* The record names a parent it does not hold: still one history. */
    snprintf(path, sizeof(path), "%s/%s", dir, r2.files[1].path);
    tu_write_file(path, r2.files[1].data);
    cJSON_ReplaceItemInObject(manifest, "schema", r2.schema);
    cJSON_ReplaceItemInObject(manifest, "revisions", r2.revisions);
    r2.schema = r2.revisions = NULL;
    assert_int_equal(bb_migrate_generate(s3, dir, manifest, NULL, &d, &r3), BB_OK);
    assert_true(r3.created);
    assert_int_equal(d.n_errors, 0);

    /* A second revision beside the head: two heads, refused. */
    write_hand_revision(dir, "cccc3333", "'bbbb2222'");
    assert_int_equal(bb_migrate_generate(s3, dir, manifest, NULL, &d, &r4), BB_EINVAL);
    assert_true(has_code(&d, "BB0830"));

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    bb_migrate_result_free(&r1);
    bb_migrate_result_free(&r2);
    bb_migrate_result_free(&r3);
    cJSON_Delete(manifest);
    bb_diags_free(&d);
    bb_schema_free(s1);
    bb_schema_free(s2);
    bb_schema_free(s3);
}

static void generate_hook_rejects_a_recorded_path_outside_versions(void **state)
{
    (void)state;
    bb_schema *s;
    cJSON_Delete(norm_of(SCHEMA("", "", ""), &s));
    cJSON *manifest = cJSON_Parse("{\"schema\": {\"normalized\": 1, \"tables\": []}, "
                                  "\"revisions\": [{\"id\": \"abc\", \"down_revision\": null, "
                                  "\"path\": \"../../etc/passwd\", \"message\": \"x\"}]}");
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_migrate_result r;
    assert_int_equal(bb_migrate_generate(s, "/tmp", manifest, NULL, &d, &r), BB_EINVAL);
    assert_true(has_code(&d, "BB0829"));
    bb_diags_free(&d);
    cJSON_Delete(manifest);
    bb_schema_free(s);
}

/* A recorded schema whose column type no schema can have (the manifest
 * was edited) is refused: the type would go into the revision as code. */
static void a_recorded_type_no_schema_has_is_refused(void **state)
{
    (void)state;
    cJSON *fresh = norm_of(SCHEMA("", "", ""), NULL);
    cJSON *recorded = cJSON_Duplicate(fresh, 1);
    cJSON *col = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(recorded, "tables"), 0), "columns"),
        0);
    cJSON_ReplaceItemInObjectCaseSensitive(col, "type",
                                           cJSON_CreateString("Integer(); import os  #"));
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_revision rev;
    assert_int_equal(bb_migrate_revision(recorded, fresh, NULL, NULL, &d, &rev), BB_EINVAL);
    assert_true(has_code(&d, "BB0829"));
    assert_non_null(strstr(d.items[0].message, "'Integer(); import os  #'"));
    assert_null(rev.text);
    bb_revision_free(&rev);
    bb_diags_free(&d);
    cJSON_Delete(recorded);
    cJSON_Delete(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initial_revision_creates_tables_in_dependency_order),
        cmocka_unit_test(initial_downgrade_drops_in_reverse_order_then_enums),
        cmocka_unit_test(revision_ids_are_deterministic_and_depend_on_the_parent),
        cmocka_unit_test(an_unchanged_schema_needs_no_revision),
        cmocka_unit_test(dropping_a_column_is_refused_without_allow_destructive),
        cmocka_unit_test(dropping_a_table_is_refused_without_allow_destructive),
        cmocka_unit_test(a_not_null_column_without_default_is_refused),
        cmocka_unit_test(a_not_null_column_with_default_gets_a_server_default),
        cmocka_unit_test(making_a_column_nullable_alters_it_both_ways),
        cmocka_unit_test(tightening_to_not_null_fills_nulls_with_the_default),
        cmocka_unit_test(tightening_to_not_null_without_default_warns),
        cmocka_unit_test(a_type_change_alters_the_type_and_warns),
        cmocka_unit_test(a_widening_type_change_does_not_warn),
        cmocka_unit_test(a_string_becoming_text_does_not_warn),
        cmocka_unit_test(a_change_sqlite_would_cast_is_checked_before_the_copy),
        cmocka_unit_test(nulls_are_filled_under_the_name_before_a_rename),
        cmocka_unit_test(a_primary_key_change_is_refused),
        cmocka_unit_test(a_renamed_column_is_renamed_not_dropped),
        cmocka_unit_test(a_rename_after_a_new_column_and_its_constraint_get_their_own_batch),
        cmocka_unit_test(a_rename_from_an_unknown_column_is_an_error),
        cmocka_unit_test(a_renamed_table_is_renamed),
        cmocka_unit_test(an_added_enum_value_alters_the_postgresql_type),
        cmocka_unit_test(an_added_enum_value_is_committed_before_it_is_used),
        cmocka_unit_test(check_constraint_names_are_not_prefixed_twice),
        cmocka_unit_test(filled_nulls_are_typed_literals),
        cmocka_unit_test(a_many_to_many_creates_its_association_table),
        cmocka_unit_test(a_renamed_table_renames_its_association_table),
        cmocka_unit_test(a_cyclic_foreign_key_is_added_after_the_tables),
        cmocka_unit_test(an_added_index_is_created_and_dropped),
        cmocka_unit_test(a_long_message_gives_a_short_file_name),
        cmocka_unit_test(quotes_in_a_message_are_escaped_and_its_length_capped),
        cmocka_unit_test(a_bad_down_revision_is_refused),
        cmocka_unit_test(a_recorded_schema_equals_the_fresh_one),
        cmocka_unit_test(allocation_failures_are_clean),
        cmocka_unit_test(hand_made_operations_render_through_the_template),
        cmocka_unit_test(the_revision_template_is_no_project_file),
        cmocka_unit_test(generate_hook_adds_one_revision_after_the_recorded_ones),
        cmocka_unit_test(generate_hook_follows_the_head_of_the_versions_folder),
        cmocka_unit_test(generate_hook_rejects_a_recorded_path_outside_versions),
        cmocka_unit_test(a_recorded_type_no_schema_has_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
