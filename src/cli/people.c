/* The person and the login behind a command (people.h). */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/people.h"
#include "rebate/review.h"
#include "rebate/text.h"

const char *rb_process_login(void)
{
    static char name[256];
    struct passwd *pw = getpwuid(geteuid());
    if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
        snprintf(name, sizeof name, "%s", pw->pw_name);
    else
        snprintf(name, sizeof name, "uid %ld", (long)geteuid());
    return name;
}

int rb_cli_by(const char *command, const char *text, char *out, size_t size)
{
    char trimmed[RB_REVIEW_BY_MAX + 1];
    rb_error err = {0};
    if (rb_text_typed("--by", text, RB_REVIEW_BY_MAX, trimmed, &err) != RB_OK)
        return rb_usage_error(command, "%s", err.message);
    snprintf(out, size, "%s", trimmed);
    return 0;
}
