/* Feeding an INI file to inih (ini_parse_stream) a line at a time, for the
 * config file and the parameter file alike: lines are counted, whether each
 * starts indented is noted (a continuation), and a line longer than inih's
 * buffer, which inih would cut without a word, stops the reading. */
#ifndef REBATE_INI_LINES_H
#define REBATE_INI_LINES_H

#include <stdbool.h>
#include <stdio.h>

typedef struct rb_ini_lines {
    FILE *file;
    int line;            /* number of the line inih is working on */
    bool line_indented;  /* that line starts with a space or tab */
    bool stop;           /* feed inih no more lines (an error was found) */
    int read_errno;      /* errno of a failed read, 0 when none */
    int too_long_line;   /* the line refused for its length, 0 when none */
    int too_long_max;    /* ... and the most inih takes, in bytes */
} rb_ini_lines;

/* inih's reader: stream is the rb_ini_lines. */
char *rb_ini_read_line(char *str, int num, void *stream);

#endif
