// Connection options of SQLite that are set through sqlite3_db_config(), a variadic C
// function Swift cannot call. The connection is passed as `void *` (GRDB's `sqliteConnection`),
// so this header does not declare SQLite's types a second time.
#ifndef ROLO_CSQLITEOPTIONS_H
#define ROLO_CSQLITEOPTIONS_H

/// Closing the last connection to a WAL database normally checkpoints the WAL into the
/// database file. rolo turns that off, so that a process that only read never writes the
/// file; the writers leave the WAL settled themselves (see LocalCache+Settling.swift).
/// Returns SQLite's result code.
int rolo_sqlite_skip_checkpoint_on_close(void *connection);

/// Statement journals stay in memory however large they grow, instead of moving to a
/// temporary file past 64 KiB (see LocalCache.configuration). A setting of the whole process:
/// it only takes effect before SQLite's first connection, and then returns SQLITE_OK.
int rolo_sqlite_keep_statement_journals_in_memory(void);

/// File names may be URIs (`file:…?immutable=1`), for a cache opened as a snapshot (see
/// LocalCache.openSnapshot). A setting of the whole process, like the one above.
int rolo_sqlite_allow_uri_filenames(void);

#endif
