// Output-capture writer: writes BYTES to stdout as 100-byte lines ("lines") or 64 KiB blocks
// ("blocks"). The content is deterministic, so two runs produce the same checksum.
// Usage: writer lines|blocks BYTES
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: writer lines|blocks BYTES\n"); return 2; }
    int lines = strcmp(argv[1], "lines") == 0;
    long long total = atoll(argv[2]);
    enum { LINE = 100, BLOCK = 64 * 1024 };
    static char block[BLOCK];
    char line[LINE + 1];
    long long written = 0, i = 0;
    while (written < total) {
        if (lines) {
            // 99 visible characters and a newline: the line number, padded.
            snprintf(line, sizeof line, "%-98lld.\n", i++);
            size_t n = total - written < LINE ? (size_t)(total - written) : LINE;
            if (write_all(line, n)) return 1;
            written += n;
        } else {
            for (int k = 0; k < BLOCK; k++) block[k] = (char)('a' + (i + k) % 26);
            block[BLOCK - 1] = '\n';
            i++;
            size_t n = total - written < BLOCK ? (size_t)(total - written) : BLOCK;
            if (write_all(block, n)) return 1;
            written += n;
        }
    }
    return 0;
}
