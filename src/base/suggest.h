/*
 * suggest.h - "did you mean": the nearest known word to a misspelt one.
 *
 * Used for unknown keys ("nulable" -> "nullable"), unknown enum-like values
 * ("Strin" -> "String") and unknown names (tables, columns). Comparison is
 * case-insensitive, so "string" suggests "String". Nothing is allocated:
 * results point into the caller's candidate list.
 */
#ifndef BB_SUGGEST_H
#define BB_SUGGEST_H

#include <stddef.h>

/*
 * The optimal string alignment distance (Levenshtein plus transpositions of
 * two adjacent characters) between a and b, compared case-insensitively
 * byte by byte. Returns max + 1 as soon as the distance is known to exceed
 * max, so long inputs cost little. Strings longer than 64 bytes are never
 * close to anything and give max + 1.
 */
size_t bb_edit_distance(const char *a, const char *b, size_t max);

/*
 * The candidate nearest to word, or NULL when none is close enough: at most
 * one edit for words of up to 4 characters, two up to 8, three beyond.
 * Ties go to the earlier candidate. NULL entries in the list are skipped.
 */
const char *bb_suggest(const char *word, const char *const *candidates, size_t n);

#endif
