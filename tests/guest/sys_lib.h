/* Shared pieces of the system-architecture guest tests (sys_*.c): raw descriptor
 * writes into the runtime's GDT and IDT (gates of any type, TSS descriptors), a
 * 32-bit TSS with ring-0 stack and an I/O permission bitmap, ring-3 segments and
 * run_user() to call a function at CPL 3 and come back, and the check/print
 * helpers the programs share. Built on cpu.h (GDT/IDT/trap catching). */
#ifndef KASOU_GUEST_SYS_LIB_H
#define KASOU_GUEST_SYS_LIB_H

#include <stdint.h>

#include "cpu.h"
#include "runtime.h"

/* GDT slots used by sys_lib (GDT_FIRST_SPARE = 5). Slots 9.. are free for tests. */
#define SEL_UCODE (5 * 8 + 3) /* flat 32-bit code, DPL 3 */
#define SEL_UDATA (6 * 8 + 3) /* flat 32-bit data, DPL 3 */
#define SEL_TSS (7 * 8)       /* the main task's 32-bit TSS */
#define SEL_TSS2 (8 * 8)      /* a second TSS for task-switch tests */
#define GDT_TEST_FIRST 9

/* Interrupt vector run_user() code uses to come back to the kernel (DPL 3 gate). */
#define VEC_USER_RETURN 0x81

/* 32-bit TSS (SDM vol. 3 figure 7-2) followed by an I/O permission bitmap for the
 * first 1024 ports (+ the required 0xFF terminator byte). */
struct tss32 {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
  uint8_t iomap[1024 / 8 + 1];
} __attribute__((packed, aligned(128)));

extern struct tss32 sys_tss;  /* in SEL_TSS, loaded by sys_init() */
extern struct tss32 sys_tss2; /* in SEL_TSS2 (available, not loaded) */

/* cpu_init() + the ring-3 segments + the TSS (ESP0 = a private ring-0 stack, all
 * ports denied in the bitmap) loaded with LTR + the VEC_USER_RETURN gate. */
void sys_init(void);

/* Raw 8-byte descriptors. */
uint64_t seg_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
uint64_t gate_descriptor(uint16_t selector, uint32_t offset, uint8_t access, unsigned params);
void gdt_write(int index, uint64_t descriptor);
uint64_t gdt_read(int index);
void idt_write(int vector, uint64_t descriptor);
uint64_t idt_read(int vector);
uint32_t isr_address(int vector); /* the runtime's entry stub of a vector */

/* Allows (1) or denies (0) ports [port, port+count) in the TSS's I/O bitmap. */
void io_allow(struct tss32* t, uint16_t port, unsigned count, int allow);

/* Runs fn at CPL 3 (flat DPL 3 segments, its own stack, EFLAGS = user_eflags) and
 * returns fn's value once it comes back through VEC_USER_RETURN. A trap that a
 * TRAP_TRY catches ends the excursion too (longjmp at CPL 0). */
uint32_t run_user(uint32_t (*fn)(void), uint32_t user_eflags);
/* Puts run_user's VEC_USER_RETURN handler back (after a test replaced it). */
void sys_restore_user_return(void);

/* The frame of an exception from CPL 3: trap_frame then the outer SS:ESP, then
 * (from VM86) ES DS FS GS. */
struct trap_frame_outer {
  struct trap_frame f;
  uint32_t esp, ss;
  uint32_t es, ds, fs, gs;
};

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(const volatile void* p) { __asm__ volatile("invlpg (%0)" ::"r"(p) : "memory"); }
static inline void write_eflags(uint32_t v) { __asm__ volatile("pushl %0; popfl" ::"r"(v) : "memory", "cc"); }

/* One line per check: "<what> <value> ok|FAIL"; sys_failures counts the FAILs. */
extern int sys_failures;
void check_u32(const char* what, uint32_t got, uint32_t want);
void check_true(const char* what, int ok);

#endif
