/*
 * validate.c - semantic validation of a loaded schema (validate.h).
 */
#include "validate.h"

int bb_validate(bb_schema *s, bb_diags *diags)
{
    (void)diags;
    if (!s)
        return BB_EUSAGE;
    s->validated = !bb_diags_has_errors(diags);
    return s->validated ? BB_OK : BB_EINVAL;
}

int bb_frontend(const char *filename, const char *bytes, size_t len, const bb_limits *limits,
                bb_diags *diags, bb_schema **out)
{
    int rc = bb_schema_load(filename, bytes, len, limits, diags, out);
    if (rc != BB_OK)
        return rc;
    return bb_validate(*out, diags);
}
