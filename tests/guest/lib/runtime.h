/* Runtime of the bare-metal guest test programs: serial output on COM1 (polled,
 * as any 16550 driver does), a small printf, and exit through the debug-exit port.
 * The same programs run under kasou and under qemu-system-i386 -kernel. */
#ifndef KASOU_GUEST_RUNTIME_H
#define KASOU_GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

void serial_init(void);
void serial_putc(char c);
void serial_write(const char* s, unsigned n);
void puts_serial(const char* s);
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* fmt, va_list ap);
int snprintf(char* buf, unsigned size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
void guest_exit(int code) __attribute__((noreturn));

void* memset(void* d, int c, unsigned n);
void* memcpy(void* d, const void* s, unsigned n);
void* memmove(void* d, const void* s, unsigned n);
int memcmp(const void* a, const void* b, unsigned n);
unsigned strlen(const char* s);
int strcmp(const char* a, const char* b);

/* The entry point each program defines. Its return value becomes the exit code. */
int guest_main(uint32_t multiboot_magic, uint32_t multiboot_info);

#endif
