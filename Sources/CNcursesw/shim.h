// Swift 6 cannot touch ncurses' C globals (not concurrency-safe) and does not import its function
// macros, so each one Warren needs is wrapped in a static inline function here.
#ifndef WARREN_CNCURSESW_SHIM_H
#define WARREN_CNCURSESW_SHIM_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/ncurses.h>

static inline WINDOW *warren_stdscr(void) { return stdscr; }
static inline int warren_lines(void) { return LINES; }
static inline int warren_cols(void) { return COLS; }
static inline int warren_colors(void) { return COLORS; }
static inline int warren_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t warren_color_pair(int n) { return (attr_t)COLOR_PAIR(n); }
static inline attr_t warren_a_bold(void) { return A_BOLD; }
static inline attr_t warren_a_reverse(void) { return A_REVERSE; }
static inline attr_t warren_a_underline(void) { return A_UNDERLINE; }
static inline attr_t warren_a_normal(void) { return A_NORMAL; }
static inline int warren_set_locale(void) { return setlocale(LC_ALL, "") != NULL; }

#endif
