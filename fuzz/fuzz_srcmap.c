/*
 * fuzz_srcmap.c - differential fuzzing of the front end's fast JSON path
 * against cJSON: whenever bb_srcmap_parse() accepts a text, its tree must be
 * the one cJSON builds (tests/unit/srcmap_diff.h). Any difference aborts.
 */
#include "../tests/unit/srcmap_diff.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    /* A NUL inside the text ends cJSON's input early: the loader refuses
     * such input before parsing, so the comparison skips it too. */
    if (memchr(src, '\0', size) == NULL && srcmap_diff_check(src, size) < 0)
        abort();
    free(src);
    return 0;
}
