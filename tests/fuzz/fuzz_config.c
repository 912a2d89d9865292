/* libFuzzer harness for the nightly config file: the input is written to a
 * temporary file and read with rb_config_load_for_year (auto = 2024).
 * Checked: a load gives every setting (non-empty paths, a year in bounds,
 * one of the three encodings); a refusal is RB_E_CONFIG with one line that
 * names the file; nothing leaks either way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/config.h"

static char config_path[4096];

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, detail ? detail : "(null)");
    abort();
}

static void cleanup(void)
{
    unlink(config_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct stat sb;
    const char *base = getenv("REBATE_FUZZ_TMP");
    if (base == NULL || *base == '\0')
        base = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(config_path, sizeof config_path, "%s/rebate-fuzz-config-XXXXXX", base);
    int fd = mkstemp(config_path);
    if (fd < 0)
        fail("mkstemp", config_path);
    close(fd);
    atexit(cleanup);
    return 0;
}

static void check_path(const char *what, const char *value)
{
    if (value == NULL || value[0] == '\0')
        fail("a loaded config without", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(config_path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        fail("cannot write", config_path);
    rb_config config;
    rb_error err;
    rb_error_clear(&err);
    rb_status st = rb_config_load_for_year(config_path, 2024, &config, &err);
    if (st == RB_OK) {
        check_path("database", config.database);
        check_path("inbox", config.inbox);
        check_path("outbox", config.outbox);
        check_path("archive", config.archive);
        if (config.policy_year < 2000 || config.policy_year > 9999 ||
            (config.policy_year_auto && config.policy_year != 2024))
            fail("policy_year out of bounds", config.database);
        if (strcmp(config.encoding, "auto") != 0 && strcmp(config.encoding, "utf-8") != 0 &&
            strcmp(config.encoding, "gb18030") != 0)
            fail("unknown encoding loaded", config.encoding);
        if (err.status != RB_OK)
            fail("an error recorded on success", err.message);
    } else {
        if (st != RB_E_CONFIG)
            fail("a status other than RB_E_CONFIG", err.message);
        if (err.status != st || strstr(err.message, config_path) == NULL || strchr(err.message, '\n') != NULL)
            fail("a refusal that does not name the file in one line", err.message);
        if (config.database != NULL || config.inbox != NULL || config.outbox != NULL || config.archive != NULL)
            fail("a refused config still holds settings", err.message);
    }
    rb_config_free(&config);
    return 0;
}
