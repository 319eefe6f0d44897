/* Tessera harness I/O: files and a clock, over stdio on the host and semihosting on the MCU. */
#ifndef TESSERA_IO_H
#define TESSERA_IO_H

#include <stddef.h>
#include <stdint.h>

int tio_open(const char *path, int write);  /* a handle >= 0, or -1 */
int tio_read(int handle, void *buf, size_t bytes);         /* 0 when all bytes were read */
int tio_write(int handle, const void *buf, size_t bytes);  /* 0 when all bytes were written */
void tio_close(int handle);
void tio_print(const char *text);
void tio_clock_start(void);
uint64_t tio_clock(void);  /* MCU: instructions so far (SysTick under qemu -icount); host: 0 */

#endif
