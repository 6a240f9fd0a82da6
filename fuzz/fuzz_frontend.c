/*
 * fuzz_frontend.c - libFuzzer target over the whole front end: bb_frontend()
 * (byte checks, parse, source map, shape, validation) on arbitrary bytes,
 * then both outputs of the diagnostics. Checks the front end's promises:
 * no crash; BB_OK only without errors; any failure explained by an error;
 * a schema handed out only on BB_OK or BB_EINVAL; every position inside the
 * input. Small limits on half of the runs reach the limit paths too.
 */
#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bb_limits lim = bb_limits_default();
    /* An odd length selects small limits, so inputs the fuzzer can reach
     * (it keeps them under 64 KiB) also cross every cap. */
    if (size % 2) {
        lim.max_input_bytes = 4096;
        lim.max_tables = 3;
        lim.max_columns = 4;
        lim.max_relationships = 2;
        lim.max_string_chars = 16;
        lim.max_depth = 8;
    }
    const char *text = (const char *)data;
    bb_diags d;
    bb_diags_init(&d, "fuzz.json", text, size);
    bb_schema *s = NULL;
    int rc = bb_frontend("fuzz.json", text, size, &lim, &d, &s);
    if (rc == BB_OK && bb_diags_has_errors(&d))
        abort();
    if (rc != BB_OK && rc != BB_ENOMEM && !bb_diags_has_errors(&d))
        abort();
    if (s && rc != BB_OK && rc != BB_EINVAL)
        abort();
    for (size_t i = 0; i < d.n; i++)
        if (d.items[i].offset != BB_NO_OFFSET && d.items[i].offset > size)
            abort();
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        (void)bb_diags_print(&d, null, true);
        fclose(null);
    }
    cJSON_Delete(bb_diags_to_json(&d));
    bb_schema_free(s);
    bb_diags_free(&d);
    return 0;
}
