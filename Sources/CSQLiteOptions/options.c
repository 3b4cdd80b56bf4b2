#include <sqlite3.h>
#include "CSQLiteOptions.h"

int rolo_sqlite_skip_checkpoint_on_close(void *connection) {
    return sqlite3_db_config((sqlite3 *)connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

int rolo_sqlite_keep_statement_journals_in_memory(void) {
    return sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
}

int rolo_sqlite_allow_uri_filenames(void) {
    return sqlite3_config(SQLITE_CONFIG_URI, 1);
}
