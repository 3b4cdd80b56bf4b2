#include <sqlite3.h>
#include "CSQLiteOptions.h"

int rolo_sqlite_skip_checkpoint_on_close(void *connection) {
    return sqlite3_db_config((sqlite3 *)connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
