// The schedule and restart child: its first act is to read CLOCK_REALTIME (wall clock, to compare
// with a tick's due time or with another start), then it appends "TAG <ns>\n" to FILE (O_APPEND, one
// write, so concurrent children do not interleave) and exits.
// Usage: wallstamp [TAG FILE]; without arguments TAG is $ERRAND_JOB_NAME and FILE is $STAMP_FILE
// (a deployed job's run gets no arguments).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const char *tag = argc == 3 ? argv[1] : getenv("ERRAND_JOB_NAME");
    const char *file = argc == 3 ? argv[2] : getenv("STAMP_FILE");
    if (!tag || !file) return 2;
    char line[256];
    int len = snprintf(line, sizeof line, "%s %lld\n", tag, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    if (len <= 0 || len >= (int)sizeof line) return 2;
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || write(fd, line, len) != len) return 1;
    return close(fd);
}
