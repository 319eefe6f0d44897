/* Tessera harness I/O on a bare Cortex-M: ARM semihosting (bkpt 0xAB) for files, SysTick for time.
 * Under qemu -icount shift=0 one instruction takes 1 ns; SysTick counts the 25 MHz CPU clock. */
#include "tessera_io.h"

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06 };

static int tio_semihost(int op, void *arg) {
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static size_t tio_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int tio_open(const char *path, int write) {
    uint32_t args[3] = {(uint32_t)(uintptr_t)path, write ? 5u : 1u, (uint32_t)tio_strlen(path)};
    return tio_semihost(SYS_OPEN, args);
}

int tio_read(int handle, void *buf, size_t bytes) {
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, (uint32_t)bytes};
    return tio_semihost(SYS_READ, args) != 0;
}

int tio_write(int handle, const void *buf, size_t bytes) {
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, (uint32_t)bytes};
    return tio_semihost(SYS_WRITE, args) != 0;
}

void tio_close(int handle) {
    uint32_t args[1] = {(uint32_t)handle};
    tio_semihost(SYS_CLOSE, args);
}

void tio_print(const char *text) { tio_semihost(SYS_WRITE0, (void *)(uintptr_t)text); }

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define TIO_NS_PER_TICK 40u /* 25 MHz */

static volatile uint32_t tio_wraps;

void SysTick_Handler(void) { tio_wraps++; }

void tio_clock_start(void) {
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* enable, interrupt on wrap, CPU clock */
    while (SYST_CVR == 0) { /* the reload value is loaded on the first tick */
    }
    tio_wraps = 0;
}

uint64_t tio_clock(void) {
    uint32_t w, v;
    do {
        w = tio_wraps;
        v = SYST_CVR;
    } while (w != tio_wraps);
    return ((uint64_t)w * 0x01000000u + (0x00FFFFFFu - v)) * TIO_NS_PER_TICK;
}
