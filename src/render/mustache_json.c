/* mustache_json.c - cJSON values behind the template data model (see mustache_json.h). */
#include "render/mustache_json.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *json_get(void *ud, const void *v, const char *name, size_t len)
{
    (void)ud;
    return bb_mustache_json_get(v, name, len);
}

static bool json_truthy(void *ud, const void *v)
{
    (void)ud;
    return bb_mustache_json_truthy(v);
}

static const void *json_first(void *ud, const void *v)
{
    (void)ud;
    return bb_mustache_json_first(v);
}

static const void *json_next(void *ud, const void *item)
{
    (void)ud;
    return ((const cJSON *)item)->next;
}

size_t bb_mustache_json_number(double d, char *buf, size_t n)
{
    int k;
    if (isnan(d) || isinf(d))
        k = snprintf(buf, n, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    else if (d == floor(d) && fabs(d) < 1e15)
        k = snprintf(buf, n, "%.0f", d);
    else {
        /* The shortest precision that reads back exactly, as JavaScript prints. */
        for (int prec = 1; prec <= 17; prec++) {
            k = snprintf(buf, n, "%.*g", prec, d);
            if (k > 0 && (size_t)k < n && strtod(buf, NULL) == d)
                break;
        }
    }
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

static int json_text(void *ud, const void *v, char scratch[BB_MUSTACHE_SCRATCH], const char **s,
                     size_t *n)
{
    (void)ud;
    const cJSON *j = v;
    *s = "";
    *n = 0;
    if (cJSON_IsString(j) && j->valuestring) {
        *s = j->valuestring;
        *n = strlen(j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        *n = bb_mustache_json_number(j->valuedouble, scratch, BB_MUSTACHE_SCRATCH);
        *s = scratch;
    } else if (cJSON_IsBool(j)) {
        *s = cJSON_IsTrue(j) ? "true" : "false";
        *n = strlen(*s);
    }
    return BB_OK;
}

const bb_mustache_model bb_mustache_json_model = {
    .get = json_get,
    .truthy = json_truthy,
    .first = json_first,
    .next = json_next,
    .text = json_text,
};
