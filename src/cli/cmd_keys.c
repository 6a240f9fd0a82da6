/* cmd_keys.c - `backbone keys new|list|revoke`: API keys of the HTTP
 * service. Only SHA-256 digests are written; a new key is printed once. */
#include "base/file.h"
#include "cli/cli.h"
#include "server/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS_FILE_MAX (1024 * 1024)

static void keys_usage(FILE *out)
{
    fputs("usage: backbone keys new NAME      create a key; prints it once\n"
          "       backbone keys list          names and digest prefixes\n"
          "       backbone keys revoke NAME   remove a key\n\n"
          "  --api-keys-file PATH   the keys file (default $XDG_CONFIG_HOME/backbone/api-keys\n"
          "                         or ~/.config/backbone/api-keys), created mode 0600\n\n"
          "The file holds one \"NAME sha256hex\" line per key: the keys themselves are\n"
          "never stored. Restart `backbone serve` to load changes.\n",
          out);
}

/* mkdir -p for the file's folder, mode 0700 for what it creates. */
static int make_parent_dirs(const char *path)
{
    char dir[4096];
    int n = snprintf(dir, sizeof(dir), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return BB_EUSAGE;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return BB_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return BB_EIO;
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return BB_EIO;
    return BB_OK;
}

static int load_keys(const char *path, bb_auth **out)
{
    *out = bb_auth_new();
    if (!*out)
        return BB_EXIT_INTERNAL;
    bb_buf err;
    bb_buf_init(&err, 1024);
    int rc = bb_auth_load_keys_file(*out, path, &err);
    if (rc)
        bb_cli_error("keys: %s", bb_buf_str(&err));
    bb_buf_free(&err);
    return rc ? BB_EXIT_USAGE : BB_EXIT_OK;
}

static bool has_name(const bb_auth *a, const char *name)
{
    for (size_t i = 0; i < bb_auth_key_count(a); i++)
        if (strcmp(bb_auth_key_name(a, i), name) == 0)
            return true;
    return false;
}

static int keys_new(const char *path, const char *name)
{
    if (!bb_auth_valid_name(name)) {
        bb_cli_error("keys: '%s' is not a key name ([A-Za-z0-9._-], 1 to %d characters)", name,
                     BB_AUTH_NAME_MAX);
        return BB_EXIT_USAGE;
    }
    bb_auth *a;
    int code = load_keys(path, &a);
    if (!code && has_name(a, name)) {
        bb_cli_error("keys: a key named '%s' exists already (revoke it first)", name);
        code = BB_EXIT_USAGE;
    }
    bb_auth_free(a);
    if (code)
        return code;
    char key[BB_AUTH_KEY_BUF], hex[65];
    if (bb_auth_new_key(key, sizeof(key), hex) != BB_OK) {
        bb_cli_error("keys: no randomness available");
        return BB_EXIT_INTERNAL;
    }
    if (make_parent_dirs(path) != BB_OK) {
        bb_cli_error("keys: cannot create the folder of %s: %s", path, strerror(errno));
        return BB_EXIT_USAGE;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        bb_cli_error("keys: cannot open %s: %s", path, strerror(errno));
        return BB_EXIT_USAGE;
    }
    char line[BB_AUTH_NAME_MAX + 80];
    int n = snprintf(line, sizeof(line), "%s %s\n", name, hex);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        bb_cli_error("keys: cannot write %s: %s", path, strerror(errno));
        return BB_EXIT_USAGE;
    }
    printf("%s\n", key);
    fprintf(stderr,
            "backbone: key '%s' created; it is shown only now (its SHA-256 digest is in %s).\n"
            "backbone: send it as the X-API-Key header; restart `backbone serve` to load it.\n",
            name, path);
    return BB_EXIT_OK;
}

static int keys_list(const char *path)
{
    bb_auth *a;
    int code = load_keys(path, &a);
    if (code) {
        bb_auth_free(a);
        return code;
    }
    for (size_t i = 0; i < bb_auth_key_count(a); i++) {
        char hex[65];
        bb_auth_key_hex(a, i, hex);
        printf("%-24s sha256:%.12s\n", bb_auth_key_name(a, i), hex);
    }
    if (bb_auth_key_count(a) == 0)
        fprintf(stderr, "backbone: no keys in %s\n", path);
    bb_auth_free(a);
    return BB_EXIT_OK;
}

/* True when a keys-file line is NAME's entry. */
static bool line_is(const char *line, size_t len, const char *name)
{
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    size_t n = strlen(name);
    return len > n && memcmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

/* Rewrites the file without NAME's line (comments kept), atomically. */
static int keys_revoke(const char *path, const char *name)
{
    char *data;
    size_t len;
    int rc = bb_file_read(path, KEYS_FILE_MAX, &data, &len);
    if (rc) {
        bb_cli_error("keys: cannot read %s: %s", path,
                     rc == BB_EIO ? strerror(errno) : bb_strerror(rc));
        return BB_EXIT_USAGE;
    }
    bb_buf out;
    bb_buf_init(&out, KEYS_FILE_MAX);
    bool found = false;
    for (size_t i = 0; i < len && !rc;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
        if (line_is(data + i, n, name))
            found = true;
        else
            rc = bb_buf_append(&out, data + i, n);
        i += n;
    }
    bb_free(data);
    if (!rc && !found) {
        bb_cli_error("keys: no key named '%s' in %s", name, path);
        bb_buf_free(&out);
        return BB_EXIT_INVALID;
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = rc ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, out.data ? out.data : "", out.len) == (ssize_t)out.len &&
              fsync(fd) == 0;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    bb_buf_free(&out);
    if (!ok) {
        bb_cli_error("keys: cannot rewrite %s: %s", path, strerror(errno));
        unlink(tmp);
        return BB_EXIT_USAGE;
    }
    fprintf(stderr, "backbone: key '%s' revoked; restart `backbone serve` to apply.\n", name);
    return BB_EXIT_OK;
}

int bb_cmd_keys(int argc, char **argv)
{
    const char *path = NULL, *action = NULL, *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--api-keys-file") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            keys_usage(stdout);
            return BB_EXIT_OK;
        } else if (argv[i][0] == '-') {
            bb_cli_error("keys: unknown option '%s'", argv[i]);
            return BB_EXIT_USAGE;
        } else if (!action) {
            action = argv[i];
        } else if (!name) {
            name = argv[i];
        } else {
            bb_cli_error("keys: unexpected argument '%s'", argv[i]);
            return BB_EXIT_USAGE;
        }
    }
    bb_buf def;
    bb_buf_init(&def, 4096);
    if (!path && bb_auth_default_keys_file(&def) == BB_OK)
        path = bb_buf_str(&def);
    int code;
    if (!path) {
        bb_cli_error("keys: no keys file: give --api-keys-file or set HOME");
        code = BB_EXIT_USAGE;
    } else if (action && strcmp(action, "new") == 0 && name) {
        code = keys_new(path, name);
    } else if (action && strcmp(action, "list") == 0 && !name) {
        code = keys_list(path);
    } else if (action && strcmp(action, "revoke") == 0 && name) {
        code = keys_revoke(path, name);
    } else {
        keys_usage(stderr);
        code = BB_EXIT_USAGE;
    }
    bb_buf_free(&def);
    return code;
}
