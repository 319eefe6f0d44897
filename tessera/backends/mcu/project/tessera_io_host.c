/* Tessera harness I/O on a hosted C library. */
#include <stdio.h>

#include "tessera_io.h"

#define TIO_MAX_FILES 4
static FILE *tio_files[TIO_MAX_FILES];

int tio_open(const char *path, int write) {
    for (int i = 0; i < TIO_MAX_FILES; i++) {
        if (tio_files[i]) continue;
        tio_files[i] = fopen(path, write ? "wb" : "rb");
        return tio_files[i] ? i : -1;
    }
    return -1;
}

int tio_read(int handle, void *buf, size_t bytes) { return fread(buf, 1, bytes, tio_files[handle]) != bytes; }

int tio_write(int handle, const void *buf, size_t bytes) {
    return fwrite(buf, 1, bytes, tio_files[handle]) != bytes;
}

void tio_close(int handle) {
    fclose(tio_files[handle]);
    tio_files[handle] = NULL;
}

void tio_print(const char *text) { fputs(text, stderr); }
void tio_clock_start(void) {}
uint64_t tio_clock(void) { return 0; }
