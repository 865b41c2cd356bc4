/* x86 system structures for the bare-metal guest test programs: a GDT the
 * program loads itself (flat 32-bit code/data, 16-bit code/data, spare slots for
 * tests), an IDT whose 256 vectors all enter trap_dispatch() with a full register
 * frame, per-vector C handlers that may edit the frame and resume (IRET), and a
 * setjmp-style catch to run code that is expected to raise an exception.
 *
 *   cpu_init();                       // GDT + IDT, segments reloaded
 *   if (TRAP_TRY()) { risky(); trap_end(); } else { trap_caught.vector ... }
 *
 * An exception with neither a handler nor an armed catch prints a line
 * "unexpected exception ..." and exits with TRAP_EXIT_CODE. */
#ifndef KASOU_GUEST_CPU_H
#define KASOU_GUEST_CPU_H

#include <stdint.h>

/* Selectors of the GDT built by cpu_init(). */
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18 /* base 0, limit 0xFFFF, 16-bit */
#define SEL_DATA16 0x20 /* base 0, limit 0xFFFF */
#define GDT_FIRST_SPARE 5 /* entries 5..GDT_ENTRIES-1 are free for tests */
#define GDT_ENTRIES 16

/* Descriptor access bytes and flags for gdt_set(). */
#define GDT_ACC_CODE 0x9A /* present, DPL0, code, readable */
#define GDT_ACC_DATA 0x92 /* present, DPL0, data, writable */
#define GDT_FLAGS_32 0xC  /* 4 KiB granularity, 32-bit */
#define GDT_FLAGS_16 0x0  /* byte granularity, 16-bit */

#define TRAP_EXIT_CODE 0x7E

/* What trap_dispatch() sees: pushed by the CPU, the stub and PUSHAD (no
 * privilege change: the guest runs at CPL0, so there is no SS:ESP pair). */
struct trap_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_pushad, ebx, edx, ecx, eax;
  uint32_t vector, error; /* error = 0 for vectors without an error code */
  uint32_t eip, cs, eflags;
};
/* ESP of the interrupted code (before the CPU pushed EFLAGS, CS, EIP). */
static inline uint32_t trap_frame_esp(const struct trap_frame* f) { return (uint32_t)(&f->eflags + 1); }

typedef void (*trap_handler)(struct trap_frame* f);

void cpu_init(void);
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_reload(void); /* LGDT again after gdt_set (segment caches keep old values until reloaded) */
/* A handler returns with IRET to f->eip (which it may change, as any frame field). */
void idt_set_handler(int vector, trap_handler fn);
/* Gate type of a vector: 0xE interrupt gate (default), 0xF trap gate; dpl 0..3. */
void idt_set_gate(int vector, int type, int dpl);
const char* trap_name(uint32_t vector);

/* setjmp/longjmp of the guest runtime (also restore DS ES FS GS SS). */
typedef struct { uint32_t ebx, esi, edi, ebp, esp, eip, ds, es, fs, gs, ss; } guest_jmp_buf[1];
int guest_setjmp(guest_jmp_buf jb) __attribute__((returns_twice));
void guest_longjmp(guest_jmp_buf jb, int value) __attribute__((noreturn));

/* One level of catch: TRAP_TRY() is true on entry; when an exception without a
 * handler arrives while armed, control comes back to TRAP_TRY() which is then
 * false, with the frame in trap_caught. Call trap_end() when the code is done. */
extern guest_jmp_buf trap_jb;
extern volatile int trap_armed;
extern struct trap_frame trap_caught;
extern uint32_t trap_caught_esp; /* ESP of the code that took the exception */
#define TRAP_TRY() (guest_setjmp(trap_jb) == 0 ? (trap_armed = 1, 1) : 0)
static inline void trap_end(void) { trap_armed = 0; }

static inline uint16_t read_cs(void) { uint16_t v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline uint16_t read_ds(void) { uint16_t v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }

#endif
