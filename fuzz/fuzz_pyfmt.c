/*
 * fuzz_pyfmt.c - libFuzzer target over the formatting pass: the input is
 * Python source as a template (built in or the user's) may render it.
 * Checks the pass's promises: no crash; BB_OK, or BB_EINVAL with exactly
 * one BB0747 error naming the file, or BB_ELIMIT at the cap; output within
 * the cap; and the output of BB_OK formats again without an error.
 *
 * That formatting the output again gives the same bytes holds for Python
 * only (Black refuses anything else, and so this pass may not be a fixed
 * point on text that merely tokenizes): tests/unit/test_pyfmt.c holds it on
 * every generated file, and the end-to-end tests run Black itself.
 */
#include "render/pyfmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CAP (1u << 20)

static int format(const char *src, size_t len, bb_buf *out, bb_diags *d)
{
    bb_diags_init(d, "fuzz.py", src, len);
    bb_buf_init(out, CAP);
    return bb_pyfmt_format("fuzz.py", src, len, NULL, out, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Rendered text holds no NUL: the pass may stop reading at one. */
    if (memchr(data, '\0', size))
        return 0;
    bb_buf out;
    bb_diags d;
    int rc = format((const char *)data, size, &out, &d);
    if (out.len > CAP)
        abort();
    if (rc == BB_EINVAL && (d.n_errors != 1 || strcmp(d.items[0].code, "BB0747") ||
                            !strstr(d.items[0].message, "fuzz.py:")))
        abort();
    if (rc != BB_OK && rc != BB_EINVAL && rc != BB_ELIMIT && rc != BB_ENOMEM)
        abort();
    if (rc == BB_OK && d.n)
        abort();
    if (rc == BB_OK) {
        bb_buf again;
        bb_diags d2;
        if (format(out.data ? out.data : "", out.len, &again, &d2) != BB_OK)
            abort();
        bb_buf_free(&again);
        bb_diags_free(&d2);
    }
    bb_buf_free(&out);
    bb_diags_free(&d);
    return 0;
}
