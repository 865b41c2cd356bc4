/* Interface between the differential test (diff_main.c) and the two platforms
 * it is compiled for: a native 32-bit Linux program (plat_native.c) and a
 * multiboot guest for kasou (plat_guest.c). Both builds use the same fixed data
 * region, so every address a test can observe is identical in both. */
#ifndef KASOU_DIFF_H
#define KASOU_DIFF_H

#include <stdint.h>
#ifdef KASOU_GUEST
#include "runtime.h"
#else
#include <stdio.h>
#include <string.h>
#endif

/* The fixed data region (natively an mmap at this address; in the guest plain RAM). */
#define REGION_BASE 0x00800000
#define REGION_SIZE 0x00200000
#define SCRATCH_TOP 0x00810000 /* the harness's own stack for PUSHFD/POPFD */
#define FRAME_ADDR 0x00830000  /* EBP of ENTER with nesting levels */
#define STK_TOP 0x00840000     /* ESP of every test body */
#define MEM 0x00900000         /* memory operands; centre of the bit strings (+-512 KiB) */
#define SRC 0x009A0000         /* string source */
#define DST 0x009B0000         /* string destination */
#define TABLE 0x009C0000       /* XLAT table */

struct regs {
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eflags;
};
struct fault {
  uint32_t vector, eip;
  struct regs r;
};

/* The harness (diff_main.c): runs body with the registers in kin, stores them in kout. */
extern struct regs kin, kout;
int run_body(void (*body)(void));

/* Platform: set up output, the fixed region, exception catching; the test filter
 * ("filter=a,b,-c" on the command line / multiboot command line), or 0. */
const char* plat_init(int argc, char** argv);
/* -1 when body completed (result in kout), else the exception vector (state in f). */
int plat_run(void (*body)(void), struct fault* f);
void plat_write(const char* s, unsigned n);
void plat_finish(int status);

#endif
