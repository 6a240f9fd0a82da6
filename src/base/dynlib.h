/*
 * dynlib.h - libcurl, libmicrohttpd and libcrypto, loaded when first used.
 *
 * The binary is not linked against libcurl or libmicrohttpd: between them
 * they pull in some thirty shared libraries (TLS, Kerberos, LDAP, SSH...)
 * whose loading and relocation every command would pay for at startup,
 * while only `serve` needs libmicrohttpd and only model calls need libcurl.
 * libcrypto alone costs about 1 ms of relocations at startup, and only
 * `generate` (the manifest's SHA-256), `serve` and model calls use it.
 *
 * dynlib.c defines the curl_*, MHD_* and OpenSSL functions the code calls,
 * with the signatures of <curl/curl.h>, <microhttpd.h> and OpenSSL's
 * headers. The first call of a library's functions dlopen()s it (RTLD_NOW |
 * RTLD_LOCAL) and resolves every function it needs, once per process and
 * thread-safely; each call then forwards to the library. Callers keep using
 * the ordinary API.
 *
 * When a library cannot be loaded (absent, or missing a function), one line
 * naming it and the Debian package that provides it is printed on stderr,
 * once, and every function returns the API's own failure value: NULL
 * handles, CURLE_FAILED_INIT, MHD_NO, MHD_INVALID_SOCKET, 0 from OpenSSL.
 * Nothing crashes; secrets compared with CRYPTO_memcmp never match.
 * A library once loaded stays loaded until the process exits.
 */
#ifndef BB_DYNLIB_H
#define BB_DYNLIB_H

#include "base/bb.h"

typedef enum bb_dynlib_id {
    BB_DYNLIB_CURL,   /* libcurl.so.4, Debian package libcurl4 */
    BB_DYNLIB_MHD,    /* libmicrohttpd.so.12, Debian package libmicrohttpd12 */
    BB_DYNLIB_CRYPTO, /* libcrypto.so.3, Debian package libssl3 */
} bb_dynlib_id;

/*
 * Loads the library now, if that has not been tried yet, so a command can
 * fail early with a clear message. BB_OK, or BB_ENOTFOUND when it cannot be
 * loaded (bb_dynlib_error() says why). Safe from any thread.
 */
int bb_dynlib_load(bb_dynlib_id id) BB_WUR;

/* Why the library cannot be loaded, naming it and its Debian package; ""
 * when it loads (tried now if it was not yet). Static storage, valid until
 * the next bb_dynlib__set_soname(). */
const char *bb_dynlib_error(bb_dynlib_id id);

/*
 * Test hook: the file name to dlopen() for id (NULL restores the default),
 * and forgets any earlier attempt so the next use loads again. A library
 * already loaded stays mapped. Not thread-safe: no other thread may use
 * either library meanwhile. Tests only.
 */
void bb_dynlib__set_soname(bb_dynlib_id id, const char *soname);

#endif
