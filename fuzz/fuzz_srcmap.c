/*
 * fuzz_srcmap.c - differential fuzzing of the front end's JSON reader
 * against cJSON: bb_srcmap_parse() must accept exactly what cJSON accepts
 * and build the tree cJSON builds, its offsets pointing at their nodes
 * (tests/unit/srcmap_diff.h). Any difference aborts.
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
