/*
 * cmd_templates.c - `backbone templates`: the built-in templates, to start a
 * --templates folder from (docs/templates.md).
 *
 *   backbone templates list          every built-in template, one per line
 *   backbone templates export DIR    writes them under DIR as DIR/<name>.mustache
 *
 * export refuses a DIR that exists and holds anything, unless --force (then
 * files of the same name are overwritten and the others kept).
 *
 * Exit codes: 0 done, 1 refused (DIR not empty), 2 usage or I/O error.
 */
#include "cli/cli.h"

#include "base/bb.h"
#include "base/file.h"
#include "render/embedded.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone templates list\n"
                 "       backbone templates export DIR [--force]\n"
                 "\n"
                 "The templates backbone renders a project with. `export` writes them to\n"
                 "DIR, ready to edit and pass to `backbone generate --templates DIR`: an\n"
                 "override replaces the built-in template of the same name, or extends it\n"
                 "and replaces some of its blocks (docs/templates.md).\n"
                 "\n"
                 "options:\n"
                 "  --force     export into a folder that is not empty (files of the same\n"
                 "              name are overwritten)\n"
                 "  -h, --help  this help\n"
                 "\n"
                 "exit codes: 0 done, 1 refused (DIR is not empty), 2 usage or I/O error\n");
}

/* Whether dir exists and holds any entry; -1 when it cannot be read. */
static int not_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return found;
}

/* Makes every folder of path up to its last '/' (path is changed and put back). */
static int make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0755) == 0 || errno == EEXIST ? BB_OK : BB_EIO;
        *p = '/';
        if (rc)
            return rc;
    }
    return BB_OK;
}

static int write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return BB_EIO;
    int rc = bb_file_write_all(fd, data, len);
    if (close(fd) != 0 && !rc)
        rc = BB_EIO;
    return rc;
}

static int export_to(const char *dir, bool force)
{
    int busy = not_empty(dir);
    if (busy < 0) {
        bb_cli_error("templates: cannot read %s: %s", dir, strerror(errno));
        return BB_EXIT_USAGE;
    }
    if (busy && !force) {
        bb_cli_error("templates: %s is not empty: export into a new folder, or add --force "
                     "to overwrite the templates in it",
                     dir);
        return BB_EXIT_INVALID;
    }
    for (unsigned i = 0; i < bb_embedded_template_count; i++) {
        const bb_embedded_template *t = &bb_embedded_templates[i];
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, t->path);
        if (n < 0 || n >= (int)sizeof(path) || make_parents(path) ||
            write_file(path, t->data, t->len)) {
            bb_cli_error("templates: cannot write %s: %s", path, strerror(errno));
            return BB_EXIT_USAGE;
        }
    }
    printf("%u templates written to %s\n", bb_embedded_template_count, dir);
    return BB_EXIT_OK;
}

int bb_cmd_templates(int argc, char **argv)
{
    const char *verb = NULL, *dir = NULL;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return BB_EXIT_OK;
        } else if (!strcmp(argv[i], "--force")) {
            force = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            bb_cli_error("templates: unknown option '%s' (see 'backbone templates --help')",
                         argv[i]);
            return BB_EXIT_USAGE;
        } else if (!verb) {
            verb = argv[i];
        } else if (!dir) {
            dir = argv[i];
        } else {
            usage(stderr);
            return BB_EXIT_USAGE;
        }
    }
    if (verb && !strcmp(verb, "list") && !dir) {
        for (unsigned i = 0; i < bb_embedded_template_count; i++)
            printf("%.*s\n", (int)(strlen(bb_embedded_templates[i].path) - strlen(".mustache")),
                   bb_embedded_templates[i].path);
        return BB_EXIT_OK;
    }
    if (verb && !strcmp(verb, "export") && dir)
        return export_to(dir, force);
    usage(stderr);
    return BB_EXIT_USAGE;
}
