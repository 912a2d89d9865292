/* The allocation seam: every allocation of rebate's own code goes through
 * rb_malloc and its friends (freed with free()), so that a test can make
 * the N-th allocation fail and check that every path that meets it frees
 * what it holds, reports an error and leaves nothing half-written (SQLite's
 * malloc fault tests are the model). SQLite's own allocations can be
 * routed through the same counter. Outside such a test they are the libc
 * calls plus one relaxed atomic increment. */
#ifndef REBATE_ALLOC_H
#define REBATE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *rb_malloc(size_t size);
void *rb_calloc(size_t n, size_t size);
void *rb_realloc(void *p, size_t size);
char *rb_strdup(const char *s);
char *rb_strndup(const char *s, size_t n);

/* ---- for tests ---- */

/* Where an allocation comes from: rebate's own code, or SQLite (once
 * rb_alloc_hook_sqlite routed it here). */
enum { RB_ALLOC_OURS = 1, RB_ALLOC_SQLITE = 2, RB_ALLOC_ANY = 3 };

/* Counts the allocations of `sources` from now on and makes the n-th of
 * them fail (n >= 1), and, when persistent, every one of them after it
 * too; n = 0 fails none. The count covers every thread (threads make the
 * order of a run's allocations vary a little from one run to the next). */
void rb_alloc_fail_at(uint64_t n, unsigned sources, bool persistent);

/* Allocations of the chosen sources attempted since the last
 * rb_alloc_fail_at, and how many of them were made to fail. */
uint64_t rb_alloc_count(void);
uint64_t rb_alloc_failures(void);

/* Routes SQLite's allocations through the same counter (SQLite's
 * SQLITE_CONFIG_MALLOC, with its default allocator underneath). Must be
 * called before SQLite is first used in the process; false when SQLite
 * refused (it was already initialised). */
bool rb_alloc_hook_sqlite(void);

#endif
