/* test_tarball.c - the generated project as a .tar.gz: a valid gzip'd
 * ustar archive (read back here with zlib), long paths in the prefix field,
 * unsafe paths refused, the same bytes for the same files, and the output
 * buffer's cap. */
#include "testutil.h"

#include "server/tarball.h"

#include <string.h>
#include <zlib.h>

#define BLOCK 512

/* Inflates a gzip stream into fresh memory (free()). */
static unsigned char *gunzip(const char *data, size_t len, size_t *out_len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    int zr;
    do {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        z.next_out = out + n;
        z.avail_out = (uInt)(cap - n);
        zr = inflate(&z, Z_NO_FLUSH);
        assert_true(zr == Z_OK || zr == Z_STREAM_END);
        n = cap - z.avail_out;
    } while (zr != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0); /* nothing after the gzip member */
    inflateEnd(&z);
    *out_len = n;
    return out;
}

static unsigned long long octal_field(const unsigned char *f, size_t width)
{
    char tmp[16];
    assert_true(width < sizeof(tmp));
    memcpy(tmp, f, width);
    tmp[width] = '\0';
    char *end;
    unsigned long long v = strtoull(tmp, &end, 8);
    assert_true(*end == '\0' || *end == ' ');
    return v;
}

/* Checks one ustar header and returns the full path and the size. */
static size_t check_header(const unsigned char *h, char *path, size_t path_size)
{
    assert_memory_equal(h + 257, "ustar", 6);
    assert_memory_equal(h + 263, "00", 2);
    assert_int_equal(h[156], '0'); /* a regular file */
    assert_int_equal(octal_field(h + 100, 7), 0644);
    assert_int_equal(octal_field(h + 108, 7), 0);
    assert_int_equal(octal_field(h + 116, 7), 0);
    assert_int_equal(octal_field(h + 136, 11), BB_TARBALL_MTIME);
    /* The checksum: every byte, its own field counted as spaces. */
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    assert_int_equal(octal_field(h + 148, 6), sum);
    char name[101], prefix[156];
    memcpy(name, h, 100);
    name[100] = '\0';
    memcpy(prefix, h + 345, 155);
    prefix[155] = '\0';
    snprintf(path, path_size, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
    return (size_t)octal_field(h + 124, 11);
}

/* Reads the archive back and compares it with files under dir/. */
static void check_archive(const bb_buf *tgz, const bb_file *files, size_t n, const char *dir)
{
    assert_true(tgz->len > 18);
    assert_int_equal((unsigned char)tgz->data[0], 0x1f);
    assert_int_equal((unsigned char)tgz->data[1], 0x8b);
    size_t len;
    unsigned char *tar = gunzip(tgz->data, tgz->len, &len);
    assert_int_equal(len % BLOCK, 0);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(at + BLOCK <= len);
        char path[400], want[400];
        size_t size = check_header(tar + at, path, sizeof(path));
        snprintf(want, sizeof(want), "%s/%s", dir, files[i].path);
        assert_string_equal(path, want);
        assert_int_equal(size, files[i].len);
        at += BLOCK;
        assert_true(at + size <= len);
        if (size)
            assert_memory_equal(tar + at, files[i].data, size);
        size_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
        for (size_t k = size; k < padded; k++)
            assert_int_equal(tar[at + k], 0);
        at += padded;
    }
    /* The end: two zero blocks. */
    assert_int_equal(len - at, 2 * BLOCK);
    for (size_t k = at; k < len; k++)
        assert_int_equal(tar[k], 0);
    free(tar);
}

static char big[1500];

static void sample(bb_file files[3])
{
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    files[0] = (bb_file){.path = "app/main.py", .data = "print('hi')\n", .len = 12};
    files[1] = (bb_file){.path = "app/__init__.py", .data = "", .len = 0};
    files[2] = (bb_file){.path = "app/models/big.py", .data = big, .len = sizeof(big)};
}

static void archive_is_gzipped_ustar_with_headers_checksums_and_contents(void **state)
{
    (void)state;
    bb_file files[3];
    sample(files);
    bb_buf tgz;
    bb_buf_init(&tgz, 1 << 20);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &tgz), BB_OK);
    check_archive(&tgz, files, 3, "blog");
    bb_buf_free(&tgz);
}

static void long_paths_are_split_into_prefix_and_name(void **state)
{
    (void)state;
    /* 60 + 1 + 60 + 1 + 90 bytes: over 100, split at a '/'. */
    char path[256];
    memset(path, 'd', 60);
    path[60] = '/';
    memset(path + 61, 'e', 60);
    path[121] = '/';
    memset(path + 122, 'f', 87);
    memcpy(path + 209, ".py", 4);
    bb_file f = {.path = path, .data = "x = 1\n", .len = 6};
    bb_buf tgz;
    bb_buf_init(&tgz, 1 << 20);
    assert_int_equal(bb_tarball_gzip(&f, 1, "p", &tgz), BB_OK);
    check_archive(&tgz, &f, 1, "p");
    bb_buf_free(&tgz);
}

static void paths_ustar_cannot_hold_are_refused(void **state)
{
    (void)state;
    char name[128]; /* a last segment over 100 bytes */
    memset(name, 'n', 110);
    name[110] = '\0';
    char deep[300]; /* 280 bytes: over 155 + 1 + 100 */
    for (size_t i = 0; i < 280; i++)
        deep[i] = i % 10 == 9 ? '/' : 'x';
    deep[280] = '\0';
    const char *bad[] = {name, deep, "../etc/passwd", "/abs.py", "a//b.py", "a/../b.py", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_file f = {.path = (char *)bad[i], .data = "", .len = 0};
        bb_buf tgz;
        bb_buf_init(&tgz, 1 << 20);
        assert_int_equal(bb_tarball_gzip(&f, 1, NULL, &tgz), BB_ELIMIT);
        bb_buf_free(&tgz);
    }
}

static void same_files_give_the_same_bytes(void **state)
{
    (void)state;
    bb_file files[3];
    sample(files);
    bb_buf a, b;
    bb_buf_init(&a, 1 << 20);
    bb_buf_init(&b, 1 << 20);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &a), BB_OK);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &b), BB_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* gzip's own MTIME (bytes 4-7) is zero too. */
    assert_memory_equal(a.data + 4, "\0\0\0\0", 4);
    bb_buf_free(&a);
    bb_buf_free(&b);
}

static void no_dir_puts_files_at_the_root(void **state)
{
    (void)state;
    bb_file f = {.path = "README.md", .data = "# x\n", .len = 4};
    bb_buf tgz;
    bb_buf_init(&tgz, 1 << 20);
    assert_int_equal(bb_tarball_gzip(&f, 1, NULL, &tgz), BB_OK);
    size_t len;
    unsigned char *tar = gunzip(tgz.data, tgz.len, &len);
    char path[400];
    check_header(tar, path, sizeof(path));
    assert_string_equal(path, "README.md");
    free(tar);
    bb_buf_free(&tgz);
}

static void an_archive_fits_a_cap_of_its_size_and_not_one_byte_less(void **state)
{
    (void)state;
    bb_file files[3];
    sample(files);
    bb_buf tgz;
    bb_buf_init(&tgz, 1 << 20);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &tgz), BB_OK);
    size_t size = tgz.len;
    bb_buf_free(&tgz);

    bb_buf_init(&tgz, size);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &tgz), BB_OK);
    assert_int_equal(tgz.len, size);
    check_archive(&tgz, files, 3, "blog");
    bb_buf_free(&tgz);

    bb_buf_init(&tgz, size - 1);
    assert_int_equal(bb_tarball_gzip(files, 3, "blog", &tgz), BB_ELIMIT);
    assert_true(tgz.len <= size - 1);
    bb_buf_free(&tgz);
}

static void every_allocation_failure_is_reported(void **state)
{
    (void)state;
    bb_file files[3];
    sample(files);
    int rc = BB_ENOMEM;
    for (long n = 0; rc == BB_ENOMEM && n < 1000; n++) {
        bb_buf tgz;
        bb_buf_init(&tgz, 1 << 20);
        bb_alloc_fail_after(n);
        rc = bb_tarball_gzip(files, 3, "blog", &tgz);
        bb_alloc_fail_after(-1);
        if (rc == BB_OK)
            check_archive(&tgz, files, 3, "blog");
        bb_buf_free(&tgz);
    }
    assert_int_equal(rc, BB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(archive_is_gzipped_ustar_with_headers_checksums_and_contents),
        cmocka_unit_test(long_paths_are_split_into_prefix_and_name),
        cmocka_unit_test(paths_ustar_cannot_hold_are_refused),
        cmocka_unit_test(same_files_give_the_same_bytes),
        cmocka_unit_test(no_dir_puts_files_at_the_root),
        cmocka_unit_test(an_archive_fits_a_cap_of_its_size_and_not_one_byte_less),
        cmocka_unit_test(every_allocation_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
