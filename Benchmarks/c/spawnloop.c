// The physical limit for dispatch: posix_spawn + waitpid of PROGRAM, N times, at most P at once.
// Usage: spawnloop N P PROGRAM   -> prints {"runs": N, "seconds": S}
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: spawnloop N P PROGRAM\n"); return 2; }
    long n = atol(argv[1]), p = atol(argv[2]);
    char *child[] = {argv[3], NULL};
    long started = 0, finished = 0;
    double t0 = now();
    while (finished < n) {
        while (started < n && started - finished < p) {
            pid_t pid;
            if (posix_spawn(&pid, argv[3], NULL, NULL, child, environ) != 0) { perror("posix_spawn"); return 1; }
            started++;
        }
        int status;
        if (waitpid(-1, &status, 0) < 0) { perror("waitpid"); return 1; }
        finished++;
    }
    printf("{\"runs\": %ld, \"seconds\": %.6f}\n", n, now() - t0);
    return 0;
}
