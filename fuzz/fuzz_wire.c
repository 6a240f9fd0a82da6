/*
 * fuzz_wire.c - the service's readers of what a client sends, on
 * arbitrary bytes: header values and names (server/wire.c), the route
 * table's path matching (server/router.c) and the log's escaping of what
 * it quotes (server/log.c).
 *
 * Properties: nothing crashes; a forwarded client address is one
 * inet_pton reads; a matched path parameter is a token; an escaped log
 * string is valid UTF-8 with no raw control character or unescaped quote.
 */
#include "base/utf8.h"
#include "server/log.h"
#include "server/router.h"
#include "server/wire.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool trusted(void *ctx, const char *addr)
{
    (void)ctx;
    return strncmp(addr, "10.", 3) == 0 || strcmp(addr, "::1") == 0;
}

static void run(bb_req *r)
{
    (void)r;
}

static const bb_route routes[] = {
    {"GET", "/health", 0, NULL, "", run},
    {"GET", "/api/v1/jobs/{id}", 0, NULL, "", run},
    {"DELETE", "/api/v1/jobs/{id}", 0, NULL, "", run},
    {"POST", "/api/v1/generate", 0, NULL, "", run},
};

static void check_wire(const char *s)
{
    size_t n;
    bb_wire_parse_size(s, &n);
    bb_wire_field_name_valid(s);
    bb_wire_is_chunked(s);
    bb_wire_media_type_is(s, "application/json");
    bb_wire_accepts(s, "application/gzip");
    bb_wire_bearer_token(s);
    bb_wire_printable(s, 2048, true);
    bb_wire_token_valid(s, 128);
    char addr[64];
    if (bb_wire_forwarded_client(s, trusted, NULL, addr, sizeof(addr))) {
        unsigned char bin[16];
        if (inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, bin) != 1)
            abort();
    }
}

static void check_router(const char *path)
{
    bb_router rt = {routes, sizeof(routes) / sizeof(routes[0]), NULL, 0};
    bool known;
    const char *param;
    static const char *const methods[] = {"GET", "HEAD", "DELETE", "POST", "PUT"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        const bb_route *r = bb_router_find(&rt, path, methods[i], &known, &param);
        if (r && !known)
            abort();
        if (param && !bb_wire_token_valid(param, 128))
            abort();
    }
    char allow[128];
    bb_router_allow(&rt, path, allow, sizeof(allow));
}

static void check_log(const char *s, size_t max)
{
    bb_log_line l;
    l.len = 0;
    l.cut = false;
    bb_log_escaped(&l, s, max);
    if (l.cut)
        return;
    for (size_t i = 0; i < l.len;) {
        unsigned char c = (unsigned char)l.data[i];
        if (c < 0x20 || c == 0x7f || (c == '"' && (i == 0 || l.data[i - 1] != '\\')))
            abort();
        char tmp[5] = {0};
        memcpy(tmp, l.data + i, l.len - i < 4 ? l.len - i : 4);
        size_t n = bb_utf8_len((const unsigned char *)tmp);
        if (n == 0)
            abort();
        i += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_wire(s);
    check_router(s);
    check_log(s, size ? data[0] : 0);
    free(s);
    return 0;
}
