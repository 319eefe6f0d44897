/* Minimal Cortex-M4 startup for the MPS2 AN386 board (and any part with this memory map): vector
 * table, .data copy, .bss clear, FPU on, main, then semihosting exit with main's return value.
 * Also the memcpy/memset/memmove that gcc may call even in freestanding code. */
#include <stddef.h>
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void SysTick_Handler(void);

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

static void semihost_exit(int code) {
    uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit, exit code */
    register int r0 __asm__("r0") = 0x20;           /* SYS_EXIT_EXTENDED */
    register void *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
}

void Reset_Handler(void) {
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: full access to CP10/CP11 (the FPU) */
    __asm__ volatile("dsb\n\tisb");
    semihost_exit(main());
    for (;;) {
    }
}

void Default_Handler(void) {
    semihost_exit(99);
    for (;;) {
    }
}

typedef void (*tessera_vector)(void);
__attribute__((section(".vectors"), used)) static const tessera_vector vectors[16] = {
    (tessera_vector)(uintptr_t)&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0,
    Default_Handler, SysTick_Handler,
};
