/*
 * codes.h - every diagnostic code backbone emits, in one table.
 *
 * Codes are stable: once released, a code keeps its meaning. Each one is
 * documented in docs/diagnostics.md (a test checks that every code here is
 * documented and triggered by a test). Ranges:
 *   BB01xx input bytes and JSON syntax      BB05xx suspicious content
 *   BB02xx shape of the document (keys,     BB06xx limits
 *          types, required values)          BB07xx templates and generation
 *   BB03xx identifiers                      BB08xx migrations and regeneration
 *   BB04xx semantics and relationships      BB09xx LLM advice
 *
 * X(code, default severity, short name)
 */
#ifndef BB_CODES_H
#define BB_CODES_H

#define BB_CODE_LIST(X)                                                                            \
    X(BB0101, ERROR, "json-syntax")                                                                \
    X(BB0102, ERROR, "nul-byte")                                                                   \
    X(BB0103, ERROR, "invalid-utf8")                                                               \
    X(BB0104, ERROR, "empty-input")                                                                \
    X(BB0105, ERROR, "nul-escape")                                                                 \
    X(BB0201, ERROR, "root-not-object")                                                            \
    X(BB0202, ERROR, "wrong-type")                                                                 \
    X(BB0203, ERROR, "unknown-value")                                                              \
    X(BB0204, ERROR, "missing-key")                                                                \
    X(BB0205, WARNING, "unknown-key")                                                              \
    X(BB0206, ERROR, "empty-array")                                                                \
    X(BB0207, ERROR, "duplicate-key")                                                              \
    X(BB0208, ERROR, "not-an-integer")                                                             \
    X(BB0209, ERROR, "out-of-range")                                                               \
    X(BB0210, WARNING, "nullable-primary-key")                                                     \
    X(BB0211, ERROR, "bad-fk-target")                                                              \
    X(BB0601, ERROR, "input-too-large")                                                            \
    X(BB0602, ERROR, "too-deep")                                                                   \
    X(BB0603, ERROR, "too-many-tables")                                                            \
    X(BB0604, ERROR, "too-many-columns")                                                           \
    X(BB0605, ERROR, "too-many-relationships")                                                     \
    X(BB0606, ERROR, "string-too-long")                                                            \
    X(BB0701, ERROR, "unclosed-tag")                                                               \
    X(BB0702, ERROR, "unclosed-section")                                                           \
    X(BB0703, ERROR, "mismatched-close")                                                           \
    X(BB0704, ERROR, "bad-delimiters")                                                             \
    X(BB0705, ERROR, "bad-tag-name")                                                               \
    X(BB0706, ERROR, "template-too-complex")                                                       \
    X(BB0707, ERROR, "unknown-partial")                                                            \
    X(BB0708, ERROR, "template-recursion")                                                         \
    X(BB0709, ERROR, "output-too-large")                                                           \
    X(BB0710, ERROR, "render-too-deep")                                                            \
    X(BB0711, ERROR, "unknown-name")                                                               \
    X(BB0712, ERROR, "partial-load-failed")

#endif
