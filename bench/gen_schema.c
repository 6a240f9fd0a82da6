/*
 * gen_schema.c - prints a valid benchmark schema: N tables (default 50),
 * each with a primary key, fifteen columns of every common type, foreign
 * keys to the previous table and to the first, a one_to_many/many_to_one
 * pair with its neighbour, constraints and descriptions; about 2 KB per
 * table, so 50 tables make about 100 KB.
 *
 *   gen_schema [N] > schema.json
 */
#include <stdio.h>
#include <stdlib.h>

static void column(int last, const char *fmt, int i)
{
    printf("        ");
    printf(fmt, i);
    printf("%s\n", last ? "" : ",");
}

static void table(int i, int n)
{
    printf("    {\n");
    printf("      \"table_name\": \"entity_%02d\",\n", i);
    printf("      \"class_name\": \"Entity%02d\",\n", i);
    printf("      \"description\": \"Entity number %d of the benchmark schema, with a "
           "description long enough to look like one a person would write.\",\n",
           i);
    printf("      \"options\": {\"use_timestamps\": true, \"use_soft_delete\": %s},\n",
           i % 2 ? "true" : "false");
    printf("      \"columns\": [\n");
    column(0, "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}", i);
    column(0,
           "{\"name\": \"code\", \"type\": \"String\", \"length\": 32, \"unique\": true, "
           "\"nullable\": false, \"index\": true}",
           i);
    column(0,
           "{\"name\": \"title\", \"type\": \"String\", \"length\": 200, \"nullable\": "
           "false, \"description\": \"Human readable title of entity %d\"}",
           i);
    column(0, "{\"name\": \"body\", \"type\": \"Text\", \"nullable\": true}", i);
    column(0,
           "{\"name\": \"amount\", \"type\": \"Numeric\", \"precision\": 12, \"scale\": 2, "
           "\"default\": 0}",
           i);
    column(0, "{\"name\": \"ratio\", \"type\": \"Float\", \"default\": 1.5}", i);
    column(0,
           "{\"name\": \"quantity\", \"type\": \"Integer\", \"default\": %d, \"nullable\": "
           "false}",
           i);
    column(0, "{\"name\": \"big_counter\", \"type\": \"BigInteger\", \"server_default\": 0}", i);
    column(0, "{\"name\": \"active\", \"type\": \"Boolean\", \"default\": true}", i);
    column(0, "{\"name\": \"published_at\", \"type\": \"DateTime\", \"nullable\": true}", i);
    column(0, "{\"name\": \"due_on\", \"type\": \"Date\"}", i);
    column(0,
           "{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"draft\", \"review\", "
           "\"published\", \"archived\"], \"default\": \"draft\", \"nullable\": false}",
           i);
    column(0, "{\"name\": \"settings\", \"type\": \"JSON\", \"comment\": \"free-form settings\"}",
           i);
    column(i == 0, "{\"name\": \"external_ref\", \"type\": \"UUID\", \"unique\": true}", i);
    if (i > 0)
        column(i == 1,
               "{\"name\": \"parent_id\", \"type\": \"ForeignKey\", \"target\": "
               "\"entity_%02d.id\", \"nullable\": true, \"on_delete\": \"SET NULL\"}",
               i - 1);
    if (i > 1)
        column(1,
               "{\"name\": \"owner_id\", \"type\": \"ForeignKey\", \"target\": "
               "\"entity_00.id\", \"on_delete\": \"CASCADE\"}",
               i);
    printf("      ],\n");
    printf("      \"relationships\": [");
    int first = 1;
    if (i > 0) {
        printf("\n        {\"target_table\": \"entity_%02d\", \"target_class\": \"Entity%02d\", "
               "\"type\": \"many_to_one\", \"back_populates\": \"children\", \"foreign_key\": "
               "\"parent_id\"}",
               i - 1, i - 1);
        first = 0;
    }
    if (i + 1 < n)
        printf("%s\n        {\"target_table\": \"entity_%02d\", \"target_class\": \"Entity%02d\", "
               "\"type\": \"one_to_many\", \"back_populates\": \"parent\"}",
               first ? "" : ",", i + 1, i + 1);
    printf("\n      ],\n");
    printf("      \"indexes\": [[\"title\", \"status\"]],\n");
    printf("      \"checks\": [\"quantity >= 0\"]\n");
    printf("    }%s\n", i + 1 < n ? "," : "");
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 50;
    if (n < 1 || n > 10000) {
        fprintf(stderr, "usage: gen_schema [N]   (1..10000 tables)\n");
        return 2;
    }
    printf("{\n  \"project_name\": \"bench\",\n  \"db_type\": \"postgresql\",\n");
    printf("  \"description\": \"Generated benchmark schema with %d tables\",\n", n);
    printf("  \"schema\": [\n");
    for (int i = 0; i < n; i++)
        table(i, n);
    printf("  ]\n}\n");
    return 0;
}
