/*
 * dynlib.c - libcurl, libmicrohttpd and libcrypto loaded on first use
 * (dynlib.h).
 *
 * Each library has a table of function pointers, typed after the library's
 * own declarations (__typeof__), and a list of the symbol names that fill
 * it. The first call of one of its functions runs the loader once
 * (pthread_once): dlopen, then dlsym for every name. The functions below
 * have the libraries' exact signatures and forward to the table, or return
 * the API's failure value when the library could not be loaded.
 *
 * The functions defined are those the code calls; a new call of a function
 * missing here fails at link time, and is added in three places: the table,
 * the symbol list and a forwarder.
 */
#include "base/dynlib.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- the loader ------------------------------------------------------------ */

typedef struct dynlib_symbol {
    const char *name;
    size_t offset; /* of its pointer in the library's table */
} dynlib_symbol;

typedef struct dynlib {
    const char *default_soname;
    const char *package; /* the Debian package that ships the library */
    const dynlib_symbol *symbols;
    size_t n_symbols;
    void *table;
    void (*load_once)(void);
    /* Set by the loader, read after pthread_once() returned. */
    const char *soname;
    pthread_once_t once;
    bool ok;
    char error[320];
} dynlib;

/*
 * Opens lib and fills its table, or leaves lib->ok false with the reason in
 * lib->error, printed once on stderr. Runs under lib->once.
 */
static void dynlib_open(dynlib *lib)
{
    const char *soname = lib->soname ? lib->soname : lib->default_soname;
    lib->ok = false;
    lib->error[0] = '\0';
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof(lib->error),
                 "cannot load %s (%s); install the Debian package %s", soname,
                 why ? why : "unknown error", lib->package);
        goto fail;
    }
    for (size_t i = 0; i < lib->n_symbols; i++) {
        void *p = dlsym(handle, lib->symbols[i].name);
        if (!p) {
            snprintf(lib->error, sizeof(lib->error),
                     "%s has no function %s (too old a version); install the Debian package %s",
                     soname, lib->symbols[i].name, lib->package);
            dlclose(handle);
            goto fail;
        }
        /* POSIX guarantees that a function pointer round-trips through
         * void *, which is what dlsym returns. */
        memcpy((char *)lib->table + lib->symbols[i].offset, &p, sizeof(p));
    }
    lib->ok = true;
    return;
fail:
    fprintf(stderr, "backbone: %s\n", lib->error);
}

/* True when lib is loaded, loading it on the first call. */
static bool dynlib_ready(dynlib *lib)
{
    pthread_once(&lib->once, lib->load_once);
    return lib->ok;
}

#define SYMBOL(api, member, sym)                                                                   \
    {                                                                                              \
        .name = #sym, .offset = offsetof(api, member)                                              \
    }

/* ---- libcurl: the table ---------------------------------------------------- */

static struct curl_api {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_header) *easy_header;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
    __typeof__(curl_url) *url;
    __typeof__(curl_url_set) *url_set;
    __typeof__(curl_url_get) *url_get;
    __typeof__(curl_url_cleanup) *url_cleanup;
    __typeof__(curl_free) *free_mem;
} curl_fn;

static const dynlib_symbol curl_symbols[] = {
    SYMBOL(struct curl_api, global_init, curl_global_init),
    SYMBOL(struct curl_api, easy_init, curl_easy_init),
    SYMBOL(struct curl_api, easy_setopt, curl_easy_setopt),
    SYMBOL(struct curl_api, easy_perform, curl_easy_perform),
    SYMBOL(struct curl_api, easy_getinfo, curl_easy_getinfo),
    SYMBOL(struct curl_api, easy_header, curl_easy_header),
    SYMBOL(struct curl_api, easy_strerror, curl_easy_strerror),
    SYMBOL(struct curl_api, easy_cleanup, curl_easy_cleanup),
    SYMBOL(struct curl_api, slist_append, curl_slist_append),
    SYMBOL(struct curl_api, slist_free_all, curl_slist_free_all),
    SYMBOL(struct curl_api, url, curl_url),
    SYMBOL(struct curl_api, url_set, curl_url_set),
    SYMBOL(struct curl_api, url_get, curl_url_get),
    SYMBOL(struct curl_api, url_cleanup, curl_url_cleanup),
    SYMBOL(struct curl_api, free_mem, curl_free),
};

/* ---- libmicrohttpd: the table ---------------------------------------------- */

static struct mhd_api {
    __typeof__(MHD_start_daemon_va) *start_daemon_va;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_quiesce_daemon) *quiesce_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_connection_info) *get_connection_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_suspend_connection) *suspend_connection;
    __typeof__(MHD_resume_connection) *resume_connection;
    __typeof__(MHD_create_response_from_buffer_with_free_callback) *response_with_free;
    __typeof__(MHD_create_response_from_buffer_with_free_callback_cls) *response_with_free_cls;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
} mhd_fn;

static const dynlib_symbol mhd_symbols[] = {
    SYMBOL(struct mhd_api, start_daemon_va, MHD_start_daemon_va),
    SYMBOL(struct mhd_api, get_daemon_info, MHD_get_daemon_info),
    SYMBOL(struct mhd_api, quiesce_daemon, MHD_quiesce_daemon),
    SYMBOL(struct mhd_api, stop_daemon, MHD_stop_daemon),
    SYMBOL(struct mhd_api, get_connection_info, MHD_get_connection_info),
    SYMBOL(struct mhd_api, lookup_connection_value, MHD_lookup_connection_value),
    SYMBOL(struct mhd_api, suspend_connection, MHD_suspend_connection),
    SYMBOL(struct mhd_api, resume_connection, MHD_resume_connection),
    SYMBOL(struct mhd_api, response_with_free, MHD_create_response_from_buffer_with_free_callback),
    SYMBOL(struct mhd_api, response_with_free_cls,
           MHD_create_response_from_buffer_with_free_callback_cls),
    SYMBOL(struct mhd_api, add_response_header, MHD_add_response_header),
    SYMBOL(struct mhd_api, queue_response, MHD_queue_response),
    SYMBOL(struct mhd_api, destroy_response, MHD_destroy_response),
};

/* ---- libcrypto: the table -------------------------------------------------- */

static struct crypto_api {
    __typeof__(EVP_sha256) *sha256_md;
    __typeof__(EVP_Digest) *digest;
    __typeof__(EVP_MD_CTX_new) *ctx_new;
    __typeof__(EVP_DigestInit_ex) *digest_init;
    __typeof__(EVP_DigestUpdate) *digest_update;
    __typeof__(EVP_DigestFinal_ex) *digest_final;
    __typeof__(EVP_MD_CTX_free) *ctx_free;
    __typeof__(SHA256) *sha256;
    __typeof__(HMAC) *hmac;
    __typeof__(RAND_bytes) *rand_bytes;
    __typeof__(CRYPTO_memcmp) *memcmp_ct;
    __typeof__(OPENSSL_cleanse) *cleanse;
} crypto_fn;

static const dynlib_symbol crypto_symbols[] = {
    SYMBOL(struct crypto_api, sha256_md, EVP_sha256),
    SYMBOL(struct crypto_api, digest, EVP_Digest),
    SYMBOL(struct crypto_api, ctx_new, EVP_MD_CTX_new),
    SYMBOL(struct crypto_api, digest_init, EVP_DigestInit_ex),
    SYMBOL(struct crypto_api, digest_update, EVP_DigestUpdate),
    SYMBOL(struct crypto_api, digest_final, EVP_DigestFinal_ex),
    SYMBOL(struct crypto_api, ctx_free, EVP_MD_CTX_free),
    SYMBOL(struct crypto_api, sha256, SHA256),
    SYMBOL(struct crypto_api, hmac, HMAC),
    SYMBOL(struct crypto_api, rand_bytes, RAND_bytes),
    SYMBOL(struct crypto_api, memcmp_ct, CRYPTO_memcmp),
    SYMBOL(struct crypto_api, cleanse, OPENSSL_cleanse),
};

/* ---- the registry ---------------------------------------------------------- */

static void load_curl(void);
static void load_mhd(void);
static void load_crypto(void);

static dynlib libs[] = {
    [BB_DYNLIB_CURL] = {"libcurl.so.4", "libcurl4", curl_symbols,
                        sizeof(curl_symbols) / sizeof(curl_symbols[0]), &curl_fn, load_curl, NULL,
                        PTHREAD_ONCE_INIT, false, ""},
    [BB_DYNLIB_MHD] = {"libmicrohttpd.so.12", "libmicrohttpd12", mhd_symbols,
                       sizeof(mhd_symbols) / sizeof(mhd_symbols[0]), &mhd_fn, load_mhd, NULL,
                       PTHREAD_ONCE_INIT, false, ""},
    [BB_DYNLIB_CRYPTO] = {"libcrypto.so.3", "libssl3", crypto_symbols,
                          sizeof(crypto_symbols) / sizeof(crypto_symbols[0]), &crypto_fn,
                          load_crypto, NULL, PTHREAD_ONCE_INIT, false, ""},
};

static void load_curl(void)
{
    dynlib_open(&libs[BB_DYNLIB_CURL]);
}

static void load_mhd(void)
{
    dynlib_open(&libs[BB_DYNLIB_MHD]);
}

static void load_crypto(void)
{
    dynlib_open(&libs[BB_DYNLIB_CRYPTO]);
}

int bb_dynlib_load(bb_dynlib_id id)
{
    return dynlib_ready(&libs[id]) ? BB_OK : BB_ENOTFOUND;
}

const char *bb_dynlib_error(bb_dynlib_id id)
{
    dynlib *lib = &libs[id];
    pthread_once(&lib->once, lib->load_once);
    return lib->error;
}

void bb_dynlib__set_soname(bb_dynlib_id id, const char *soname)
{
    dynlib *lib = &libs[id];
    lib->soname = soname;
    lib->ok = false;
    lib->error[0] = '\0';
    static const pthread_once_t fresh = PTHREAD_ONCE_INIT;
    lib->once = fresh;
}

#define CURL_READY() dynlib_ready(&libs[BB_DYNLIB_CURL])
#define MHD_READY() dynlib_ready(&libs[BB_DYNLIB_MHD])
#define CRYPTO_READY() dynlib_ready(&libs[BB_DYNLIB_CRYPTO])

/* ---- libcurl: the functions ------------------------------------------------ */

/* Names in parentheses: <curl/curl.h> may define the variadic ones as
 * macros that check argument types. */

CURLcode(curl_global_init)(long flags)
{
    return CURL_READY() ? curl_fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *(curl_easy_init)(void)
{
    return CURL_READY() ? curl_fn.easy_init() : NULL;
}

/* A function pointer of any type: function options are passed as one. */
typedef void (*any_function)(void);

/*
 * The option's number says the type of its one argument: long, object
 * pointer (strings, lists, callback data), function pointer, curl_off_t or
 * struct curl_blob pointer, each in a block of 10000 numbers.
 */
CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
    if (!CURL_READY())
        return CURLE_FAILED_INIT;
    CURLcode rc;
    va_list ap;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = curl_fn.easy_setopt(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = curl_fn.easy_setopt(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = curl_fn.easy_setopt(curl, option, va_arg(ap, any_function));
    else if (option < CURLOPTTYPE_BLOB)
        rc = curl_fn.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    else if (option < CURLOPTTYPE_BLOB + 10000)
        rc = curl_fn.easy_setopt(curl, option, va_arg(ap, struct curl_blob *));
    else
        rc = CURLE_UNKNOWN_OPTION;
    va_end(ap);
    return rc;
}

CURLcode(curl_easy_perform)(CURL *curl)
{
    return CURL_READY() ? curl_fn.easy_perform(curl) : CURLE_FAILED_INIT;
}

/*
 * The info's type bits say what its one argument points to: a string, a
 * long, a double, a list or other pointer, a socket or a curl_off_t.
 */
CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
    if (!CURL_READY())
        return CURLE_FAILED_INIT;
    CURLcode rc;
    va_list ap;
    va_start(ap, info);
    switch ((int)info & CURLINFO_TYPEMASK) {
    case CURLINFO_STRING:
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, char **));
        break;
    case CURLINFO_LONG:
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, long *));
        break;
    case CURLINFO_DOUBLE:
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, double *));
        break;
    case CURLINFO_SLIST: /* also CURLINFO_PTR: a pointer to some pointer */
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, void *));
        break;
    case CURLINFO_SOCKET:
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, curl_socket_t *));
        break;
    case CURLINFO_OFF_T:
        rc = curl_fn.easy_getinfo(curl, info, va_arg(ap, curl_off_t *));
        break;
    default:
        rc = CURLE_UNKNOWN_OPTION;
        break;
    }
    va_end(ap);
    return rc;
}

CURLHcode(curl_easy_header)(CURL *easy, const char *name, size_t index, unsigned int origin,
                            int request, struct curl_header **hout)
{
    if (!CURL_READY())
        return CURLHE_NOT_BUILT_IN;
    return curl_fn.easy_header(easy, name, index, origin, request, hout);
}

/* Without libcurl the message says why it is missing. */
const char *(curl_easy_strerror)(CURLcode code)
{
    return CURL_READY() ? curl_fn.easy_strerror(code) : libs[BB_DYNLIB_CURL].error;
}

void(curl_easy_cleanup)(CURL *curl)
{
    if (CURL_READY())
        curl_fn.easy_cleanup(curl);
}

struct curl_slist *(curl_slist_append)(struct curl_slist *list, const char *data)
{
    return CURL_READY() ? curl_fn.slist_append(list, data) : NULL;
}

void(curl_slist_free_all)(struct curl_slist *list)
{
    if (CURL_READY())
        curl_fn.slist_free_all(list);
}

CURLU *(curl_url)(void)
{
    return CURL_READY() ? curl_fn.url() : NULL;
}

CURLUcode(curl_url_set)(CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
    return CURL_READY() ? curl_fn.url_set(handle, what, part, flags) : CURLUE_BAD_HANDLE;
}

CURLUcode(curl_url_get)(CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
    return CURL_READY() ? curl_fn.url_get(handle, what, part, flags) : CURLUE_BAD_HANDLE;
}

void(curl_url_cleanup)(CURLU *handle)
{
    if (CURL_READY())
        curl_fn.url_cleanup(handle);
}

void(curl_free)(void *p)
{
    if (CURL_READY())
        curl_fn.free_mem(p);
}

/* ---- libmicrohttpd: the functions ------------------------------------------ */

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    if (!MHD_READY())
        return NULL;
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *d = mhd_fn.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

/* The two info queries are variadic, but no info type of libmicrohttpd
 * reads the variadic arguments: none are passed on. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
                                                enum MHD_DaemonInfoType info_type, ...)
{
    return MHD_READY() ? mhd_fn.get_daemon_info(daemon, info_type) : NULL;
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
                                                        enum MHD_ConnectionInfoType info_type, ...)
{
    return MHD_READY() ? mhd_fn.get_connection_info(connection, info_type) : NULL;
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
    return MHD_READY() ? mhd_fn.quiesce_daemon(daemon) : MHD_INVALID_SOCKET;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
    if (MHD_READY())
        mhd_fn.stop_daemon(daemon);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                        const char *key)
{
    return MHD_READY() ? mhd_fn.lookup_connection_value(connection, kind, key) : NULL;
}

void MHD_suspend_connection(struct MHD_Connection *connection)
{
    if (MHD_READY())
        mhd_fn.suspend_connection(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
    if (MHD_READY())
        mhd_fn.resume_connection(connection);
}

struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback(size_t size, void *buffer,
                                                   MHD_ContentReaderFreeCallback crfc)
{
    return MHD_READY() ? mhd_fn.response_with_free(size, buffer, crfc) : NULL;
}

struct MHD_Response *MHD_create_response_from_buffer_with_free_callback_cls(
    size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc, void *crfc_cls)
{
    return MHD_READY() ? mhd_fn.response_with_free_cls(size, buffer, crfc, crfc_cls) : NULL;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
                                        const char *content)
{
    return MHD_READY() ? mhd_fn.add_response_header(response, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    return MHD_READY() ? mhd_fn.queue_response(connection, status_code, response) : MHD_NO;
}

void MHD_destroy_response(struct MHD_Response *response)
{
    if (MHD_READY())
        mhd_fn.destroy_response(response);
}

/* ---- libcrypto: the functions ---------------------------------------------- */

/* Without libcrypto every function fails the way OpenSSL reports failure
 * (0 or NULL). Digests that callers may use unchecked are zero-filled, and
 * CRYPTO_memcmp calls everything different, so a check fails closed. */

const EVP_MD *EVP_sha256(void)
{
    return CRYPTO_READY() ? crypto_fn.sha256_md() : NULL;
}

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
               const EVP_MD *type, ENGINE *impl)
{
    return CRYPTO_READY() ? crypto_fn.digest(data, count, md, size, type, impl) : 0;
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
    return CRYPTO_READY() ? crypto_fn.ctx_new() : NULL;
}

int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl)
{
    return CRYPTO_READY() ? crypto_fn.digest_init(ctx, type, impl) : 0;
}

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt)
{
    return CRYPTO_READY() ? crypto_fn.digest_update(ctx, d, cnt) : 0;
}

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
    return CRYPTO_READY() ? crypto_fn.digest_final(ctx, md, s) : 0;
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
    if (CRYPTO_READY())
        crypto_fn.ctx_free(ctx);
}

unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md)
{
    if (CRYPTO_READY())
        return crypto_fn.sha256(d, n, md);
    if (md)
        memset(md, 0, SHA256_DIGEST_LENGTH);
    return NULL;
}

unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,
                    size_t data_len, unsigned char *md, unsigned int *md_len)
{
    return CRYPTO_READY() ? crypto_fn.hmac(evp_md, key, key_len, data, data_len, md, md_len) : NULL;
}

int RAND_bytes(unsigned char *buf, int num)
{
    return CRYPTO_READY() ? crypto_fn.rand_bytes(buf, num) : 0;
}

int CRYPTO_memcmp(const void *in_a, const void *in_b, size_t len)
{
    return CRYPTO_READY() ? crypto_fn.memcmp_ct(in_a, in_b, len) : 1;
}

/* Wiping a secret must happen even without libcrypto. */
void OPENSSL_cleanse(void *ptr, size_t len)
{
    if (CRYPTO_READY())
        crypto_fn.cleanse(ptr, len);
    else
        explicit_bzero(ptr, len);
}
