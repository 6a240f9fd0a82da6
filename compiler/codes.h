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
    X(BB0101, ERROR, "json-syntax")

#endif
