// Bare spawn latency: for i in 0..N-1, note CLOCK_MONOTONIC, posix_spawn "STAMP OUTFILE i", waitpid.
// The child appends "i <its first monotonic ns>" to OUTFILE; this prints "i <ns before spawn>" lines.
// Usage: spawnlat N STAMP OUTFILE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: spawnlat N STAMP OUTFILE\n"); return 2; }
    long n = atol(argv[1]);
    for (long i = 0; i < n; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "%ld", i);
        char *child[] = {argv[2], argv[3], tag, NULL};
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        pid_t pid;
        if (posix_spawn(&pid, argv[2], NULL, NULL, child, environ) != 0) { perror("posix_spawn"); return 1; }
        int status;
        waitpid(pid, &status, 0);
        printf("%ld %lld\n", i, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    }
    return 0;
}
