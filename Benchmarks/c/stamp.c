// The trigger-latency child: its first act is to read CLOCK_MONOTONIC, then it appends
// "TAG <ns>\n" to FILE (O_APPEND, one write, so concurrent children do not interleave).
// Usage: stamp FILE TAG   (built static, so no dynamic loader runs before main)
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (argc != 3) return 2;
    char line[64];
    int len = snprintf(line, sizeof line, "%s %lld\n", argv[2], (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || write(fd, line, len) != len) return 1;
    return close(fd);
}
