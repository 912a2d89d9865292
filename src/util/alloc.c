/* The allocation seam of rebate/alloc.h: the libc allocators behind a
 * counter that a test can set to fail the N-th call, and the wrapper that
 * puts SQLite's allocator behind the same counter. */
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"

static atomic_uint sources = RB_ALLOC_ANY; /* which ones are counted */
static atomic_uint_fast64_t calls;    /* allocations since rb_alloc_fail_at */
static atomic_uint_fast64_t fail_at;  /* 0: none */
static atomic_bool fail_persistent;
static atomic_uint_fast64_t failures;

/* True when this allocation (from `source`) is to fail. Without a test
 * armed it costs two relaxed loads and one relaxed increment. */
static bool should_fail(unsigned source)
{
    if (!(atomic_load_explicit(&sources, memory_order_relaxed) & source))
        return false;
    uint_fast64_t n = atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) + 1;
    uint_fast64_t at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at == 0 || n < at)
        return false;
    if (n > at && !atomic_load_explicit(&fail_persistent, memory_order_relaxed))
        return false;
    atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
    return true;
}

void *rb_malloc(size_t size)
{
    return should_fail(RB_ALLOC_OURS) ? NULL : malloc(size);
}

void *rb_calloc(size_t n, size_t size)
{
    return should_fail(RB_ALLOC_OURS) ? NULL : calloc(n, size);
}

void *rb_realloc(void *p, size_t size)
{
    return should_fail(RB_ALLOC_OURS) ? NULL : realloc(p, size);
}

char *rb_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = rb_malloc(len);
    if (copy != NULL)
        memcpy(copy, s, len);
    return copy;
}

char *rb_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = rb_malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

void rb_alloc_fail_at(uint64_t n, unsigned from, bool persistent)
{
    atomic_store(&fail_at, 0);
    atomic_store(&sources, from);
    atomic_store(&calls, 0);
    atomic_store(&failures, 0);
    atomic_store(&fail_persistent, persistent);
    atomic_store(&fail_at, n);
}

uint64_t rb_alloc_count(void)
{
    return atomic_load(&calls);
}

uint64_t rb_alloc_failures(void)
{
    return atomic_load(&failures);
}

/* SQLite's default allocator, under the wrapper. */
static sqlite3_mem_methods sqlite_default;

static void *sqlite_malloc(int size)
{
    return should_fail(RB_ALLOC_SQLITE) ? NULL : sqlite_default.xMalloc(size);
}

static void *sqlite_realloc(void *p, int size)
{
    return should_fail(RB_ALLOC_SQLITE) ? NULL : sqlite_default.xRealloc(p, size);
}

bool rb_alloc_hook_sqlite(void)
{
    static sqlite3_mem_methods wrapper;
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_default) != SQLITE_OK)
        return false;
    wrapper = sqlite_default;
    wrapper.xMalloc = sqlite_malloc;
    wrapper.xRealloc = sqlite_realloc;
    return sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapper) == SQLITE_OK;
}
