// The wide-character curses API for Swift. Only RoloTerminal imports this module.
#ifndef ROLO_CNCURSESW_SHIM_H
#define ROLO_CNCURSESW_SHIM_H

#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <langinfo.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

// Swift 6 rejects curses' global variables (shared mutable state) and does not import the
// shifted attribute macros or KEY_F(n): small accessors instead.
static inline WINDOW *rolo_stdscr(void) { return stdscr; }
static inline int rolo_lines(void) { return LINES; }
static inline int rolo_cols(void) { return COLS; }
static inline int rolo_colors(void) { return COLORS; }
static inline int rolo_color_pairs(void) { return COLOR_PAIRS; }
static inline int rolo_key_f(int n) { return KEY_F(n); }

// stdio's streams are global variables too.
static inline FILE *rolo_stdin_file(void) { return stdin; }
static inline FILE *rolo_stdout_file(void) { return stdout; }

// tigetstr returns (char *)-1 for a capability that is not a string.
static inline const char *rolo_tigetstr(const char *name) {
    char *value = tigetstr(name);
    return (value == (char *)-1) ? NULL : value;
}

static inline attr_t rolo_a_normal(void) { return A_NORMAL; }
static inline attr_t rolo_a_bold(void) { return A_BOLD; }
static inline attr_t rolo_a_dim(void) { return A_DIM; }
static inline attr_t rolo_a_reverse(void) { return A_REVERSE; }
static inline attr_t rolo_a_underline(void) { return A_UNDERLINE; }
static inline attr_t rolo_a_italic(void) { return A_ITALIC; }

// Writes one grapheme (a base character plus combining marks, up to CCHARW_MAX - 1 of
// them) with attributes and a colour pair at the cursor position.
static inline int rolo_put_cluster(int y, int x, const wchar_t *chars, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, chars, attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}

// The colour pair curses holds for a cell of stdscr (what its next update compares against).
static inline short rolo_cell_pair(int y, int x) {
    cchar_t cell;
    wchar_t chars[CCHARW_MAX + 1];
    attr_t attrs = 0;
    short pair = -1;
    if (mvin_wch(y, x, &cell) != OK) return -1;
    if (getcchar(&cell, chars, &attrs, &pair, NULL) == ERR) return -1;
    return pair;
}

// glibc declares wcwidth only for _XOPEN_SOURCE, and <wchar.h> belongs to the Glibc module
// already: declared here so the backend can ask what width curses will give a character.
int wcwidth(wchar_t c);
static inline int rolo_wcwidth(wchar_t c) { return wcwidth(c); }

#endif
