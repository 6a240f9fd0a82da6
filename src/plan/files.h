/*
 * files.h - the architect's part for the project as a whole: its names, the
 * database URL by db_type (sqlite:///./<package>.db,
 * postgresql://localhost/<package>, mysql+pymysql://localhost/<package>,
 * mssql+pyodbc://localhost/<package>?driver=...), the DB-API driver; and
 * the list of files to render with their templates and scopes.
 */
#ifndef BB_FILES_H
#define BB_FILES_H

#include "plan/arch.h"

void bb_files_plan_project(bb_arch *a, bb_plan *plan);

/* plan->files; plan->models must be complete (files point at them). */
void bb_files_plan(bb_arch *a, bb_plan *plan);

#endif
