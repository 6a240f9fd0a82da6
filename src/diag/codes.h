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
    X(BB0301, ERROR, "invalid-table-name")                                                         \
    X(BB0302, ERROR, "invalid-class-name")                                                         \
    X(BB0303, ERROR, "invalid-column-name")                                                        \
    X(BB0304, ERROR, "invalid-attribute-name")                                                     \
    X(BB0305, ERROR, "python-keyword")                                                             \
    X(BB0306, WARNING, "python-soft-keyword")                                                      \
    X(BB0307, WARNING, "shadows-type")                                                             \
    X(BB0308, ERROR, "class-shadows-import")                                                       \
    X(BB0309, WARNING, "sql-reserved-word")                                                        \
    X(BB0310, ERROR, "orm-reserved-name")                                                          \
    X(BB0311, ERROR, "duplicate-table")                                                            \
    X(BB0312, ERROR, "duplicate-class")                                                            \
    X(BB0313, ERROR, "duplicate-column")                                                           \
    X(BB0314, ERROR, "duplicate-attribute")                                                        \
    X(BB0315, ERROR, "name-too-long")                                                              \
    X(BB0316, ERROR, "invalid-constraint-name")                                                    \
    X(BB0317, ERROR, "duplicate-constraint-name")                                                  \
    X(BB0401, ERROR, "fk-unknown-table")                                                           \
    X(BB0402, ERROR, "fk-unknown-column")                                                          \
    X(BB0403, ERROR, "fk-target-not-unique")                                                       \
    X(BB0404, ERROR, "no-primary-key")                                                             \
    X(BB0405, ERROR, "bad-default")                                                                \
    X(BB0406, ERROR, "default-too-long")                                                           \
    X(BB0407, ERROR, "bad-length")                                                                 \
    X(BB0408, ERROR, "bad-precision")                                                              \
    X(BB0409, WARNING, "values-ignored")                                                           \
    X(BB0410, ERROR, "duplicate-enum-value")                                                       \
    X(BB0411, ERROR, "bad-enum-value")                                                             \
    X(BB0412, ERROR, "enum-default-not-a-value")                                                   \
    X(BB0413, ERROR, "bad-autoincrement")                                                          \
    X(BB0414, ERROR, "rel-unknown-table")                                                          \
    X(BB0415, ERROR, "rel-class-mismatch")                                                         \
    X(BB0416, ERROR, "back-populates-mismatch")                                                    \
    X(BB0417, ERROR, "rel-no-foreign-key")                                                         \
    X(BB0418, ERROR, "rel-ambiguous-foreign-key")                                                  \
    X(BB0419, ERROR, "rel-bad-foreign-key")                                                        \
    X(BB0420, ERROR, "rel-kind-mismatch")                                                          \
    X(BB0421, ERROR, "rel-ambiguous")                                                              \
    X(BB0422, ERROR, "through-unknown-table")                                                      \
    X(BB0423, ERROR, "through-missing-fk")                                                         \
    X(BB0424, ERROR, "association-name-taken")                                                     \
    X(BB0425, ERROR, "self-many-to-many-needs-through")                                            \
    X(BB0426, WARNING, "through-ignored")                                                          \
    X(BB0427, ERROR, "mixin-column-clash")                                                         \
    X(BB0428, NOTE, "fk-cycle-use-alter")                                                          \
    X(BB0429, ERROR, "fk-cycle")                                                                   \
    X(BB0430, ERROR, "constraint-unknown-column")                                                  \
    X(BB0431, ERROR, "set-null-on-not-null")                                                       \
    X(BB0432, ERROR, "bad-cascade")                                                                \
    X(BB0455, ERROR, "mysql-long-type-key")                                                        \
    X(BB0456, ERROR, "mysql-key-too-long")                                                         \
    X(BB0457, ERROR, "mysql-row-too-large")                                                        \
    X(BB0458, ERROR, "mysql-long-type-default")                                                    \
    X(BB0501, ERROR, "sql-injection")                                                              \
    X(BB0502, ERROR, "script-injection")                                                           \
    X(BB0503, ERROR, "code-injection")                                                             \
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
    X(BB0712, ERROR, "partial-load-failed")                                                        \
    X(BB0713, ERROR, "render-too-long")                                                            \
    X(BB0720, ERROR, "template-missing")                                                           \
    X(BB0722, ERROR, "generated-too-large")                                                        \
    X(BB0723, ERROR, "bad-plan-file")                                                              \
    X(BB0724, ERROR, "unsafe-output-path")                                                         \
    X(BB0725, ERROR, "duplicate-output-path")                                                      \
    X(BB0726, ERROR, "template-override-unreadable")                                               \
    X(BB0730, ERROR, "write-failed")                                                               \
    X(BB0731, ERROR, "output-not-generated")                                                       \
    X(BB0732, ERROR, "output-not-a-directory")                                                     \
    X(BB0733, ERROR, "bad-manifest")                                                               \
    X(BB0734, ERROR, "path-blocked")                                                               \
    X(BB0735, WARNING, "stale-file-kept")                                                          \
    X(BB0736, ERROR, "output-read-only")                                                           \
    X(BB0740, ERROR, "generated-python-invalid")                                                   \
    X(BB0741, ERROR, "generated-python-tokens")                                                    \
    X(BB0742, ERROR, "generated-eval")                                                             \
    X(BB0743, ERROR, "generated-pickle")                                                           \
    X(BB0744, ERROR, "generated-shell")                                                            \
    X(BB0745, ERROR, "generated-secret")                                                           \
    X(BB0746, NOTE, "python-unavailable")                                                          \
    X(BB0747, ERROR, "python-unformattable")                                                       \
    X(BB0750, ERROR, "class-name-clash")                                                           \
    X(BB0751, ERROR, "schema-class-clash")                                                         \
    X(BB0752, ERROR, "generated-name-too-long")                                                    \
    X(BB0760, ERROR, "table-path-clash")                                                           \
    X(BB0770, ERROR, "mysql-name-too-long")                                                        \
    X(BB0801, ERROR, "user-edited-file")                                                           \
    X(BB0802, WARNING, "merged-beside-edit")                                                       \
    X(BB0803, ERROR, "check-added")                                                                \
    X(BB0804, ERROR, "check-changed")                                                              \
    X(BB0805, ERROR, "check-removed")                                                              \
    X(BB0820, ERROR, "destructive-change")                                                         \
    X(BB0821, ERROR, "not-null-without-default")                                                   \
    X(BB0822, ERROR, "unsupported-change")                                                         \
    X(BB0823, ERROR, "enum-value-removed")                                                         \
    X(BB0824, ERROR, "rename-source-missing")                                                      \
    X(BB0825, WARNING, "not-null-on-existing-rows")                                                \
    X(BB0826, WARNING, "type-change")                                                              \
    X(BB0827, ERROR, "bad-revision-id")                                                            \
    X(BB0828, ERROR, "revision-file-missing")                                                      \
    X(BB0829, ERROR, "migration-record-unreadable")                                                \
    X(BB0830, ERROR, "several-heads")                                                              \
    X(BB0840, WARNING, "user-file-unused")                                                         \
    X(BB0841, ERROR, "accept-not-generated")                                                       \
    X(BB0901, WARNING, "llm-unavailable")                                                          \
    X(BB0902, WARNING, "llm-bad-answer")                                                           \
    X(BB0903, NOTE, "llm-unknown-name")                                                            \
    X(BB0904, NOTE, "llm-bad-index")                                                               \
    X(BB0905, NOTE, "llm-unsafe-text")                                                             \
    X(BB0906, NOTE, "llm-bad-proposal")                                                            \
    X(BB0907, NOTE, "llm-advice-applied")                                                          \
    X(BB0908, WARNING, "llm-design-review")                                                        \
    X(BB0909, NOTE, "llm-bad-pointer")                                                             \
    X(BB0910, ERROR, "draft-not-converged")                                                        \
    X(BB0911, ERROR, "llm-config")

#endif
