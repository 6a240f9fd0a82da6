/*
 * mysql.h - the validator's checks for "db_type": "mysql": what MySQL 8
 * (and MariaDB 10.11, which Debian 12 ships) refuses when the generated
 * migration runs, reported with its location instead:
 *
 *   BB0455  a Text, JSON or LargeBinary column in a primary key, unique key
 *           or index (MySQL needs a prefix length the schema cannot give);
 *   BB0456  a key over 3072 bytes (InnoDB's limit; utf8mb4 counts four
 *           bytes per String character);
 *   BB0457  a row over 65535 bytes (Text, JSON and LargeBinary are stored
 *           apart and count a few bytes);
 *   BB0458  a default on a Text, JSON or LargeBinary column.
 *
 * Internal to the validator (validate.c calls it once per table, after the
 * columns and constraints are checked); keeps nothing.
 */
#ifndef BB_MYSQL_H
#define BB_MYSQL_H

#include "front/vctx.h"

/* Reports what MySQL refuses in table ti; nothing for other databases. */
void bb__mysql_check(bb__vctx *v, size_t ti);

#endif
