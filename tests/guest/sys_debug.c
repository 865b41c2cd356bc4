/* Debug features seen from a guest: TF single-stepping (where the traps land after
 * POPF, INT n, MOV SS / POP SS and each REP iteration), DR0-DR3 instruction
 * breakpoints (fault, RF to resume), data write and read/write breakpoints of
 * lengths 1, 2 and 4 (traps after the access, REP strings stopping between
 * iterations), I/O breakpoints with CR4.DE, and DR6/DR7 contents.
 * Every #DB is logged (return address relative to the code fragment, EFLAGS, DR6)
 * and printed.
 *
 * DR7.GD and ICEBP are left to tests/unit (QEMU 7.2 implements neither: no fault,
 * #UD), and so is an instruction touching two breakpoints at once (QEMU reports
 * one).
 *
 * Left out because QEMU 7.2 (the oracle) differs from the SDM there (see
 * ORACLES.md and tests/unit/test_debug_*.cpp, which check the SDM): the RF bit of
 * frames pushed between REP iterations (printed masked), a data breakpoint hit by
 * the last REP iteration, misaligned breakpoint addresses. */
#include "sys_lib.h"

#define MAXLOG 48
static struct {
  uint32_t eip, eflags, dr6, ecx;
} dblog[MAXLOG];
static int ndb;
static uint32_t db_set_rf; /* handler sets RF in the frame (instruction breakpoints) */

static uint32_t get_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static uint32_t get_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static void set_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }
static void set_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" ::"r"(v)); }
static void set_dr(int n, uint32_t v) {
  switch (n) {
    case 0: __asm__ volatile("mov %0, %%dr0" ::"r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%dr1" ::"r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%dr2" ::"r"(v)); break;
    default: __asm__ volatile("mov %0, %%dr3" ::"r"(v)); break;
  }
}
static uint32_t dr7_local(int n, unsigned rw, unsigned len) {
  return (1u << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n));
}
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_IO 2
#define RW_RW 3
#define LEN1 0
#define LEN2 1
#define LEN4 3

static void on_db(struct trap_frame* f) {
  if (ndb < MAXLOG) {
    dblog[ndb].eip = f->eip;
    dblog[ndb].eflags = f->eflags;
    dblog[ndb].dr6 = get_dr6();
    dblog[ndb].ecx = f->ecx;
    ndb++;
  }
  set_dr6(0);
  if (db_set_rf) f->eflags |= 1u << 16;
  if (ndb >= MAXLOG) f->eflags &= ~0x100u; /* runaway: stop stepping */
}

/* Prints the log: EIP relative to `base`, EFLAGS without RF (QEMU 7.2 never pushes
 * RF=1; the SDM wants it between REP iterations), DR6. */
static void dump(const char* what, const void* base, int show_ecx) {
  printf("%s: %d #DB\n", what, ndb);
  for (int i = 0; i < ndb; i++) {
    printf("  at %+d eflags %05x dr6 %08x", (int)(dblog[i].eip - (uint32_t)base), dblog[i].eflags & 0xEFFFF,
           dblog[i].dr6);
    if (show_ecx) printf(" ecx %u", dblog[i].ecx);
    printf("\n");
  }
  ndb = 0;
}

volatile uint32_t watched[8] __attribute__((aligned(16)));

#define FRAG(name, body)                                                                                      \
  __asm__(".pushsection .text\n.intel_syntax noprefix\n.globl " #name "\n" #name ":\n" body "\n ret\n" \
          ".att_syntax prefix\n.popsection\n");                                                               \
  extern char name[];
#define TF_ON " pushfd\n or dword ptr [esp], 0x100\n popfd\n"
#define TF_OFF " pushfd\n and dword ptr [esp], ~0x100\n popfd\n"

FRAG(f_step, TF_ON " nop\n mov eax, 1\n add eax, eax\n jmp 1f\n nop\n1: lea eax, [eax+1]\n" TF_OFF " nop")
FRAG(f_movss, TF_ON " nop\n mov ax, ss\n mov ss, ax\n nop\n nop\n push ss\n pop ss\n inc eax\n nop\n" TF_OFF)
FRAG(f_int, TF_ON " int 0x40\n nop\n int3\n nop\n" TF_OFF)
FRAG(f_rep, " push esi\n push edi\n lea esi, [watched]\n lea edi, [watched+16]\n mov ecx, 3\n" TF_ON
            " rep movsb\n" TF_OFF " pop edi\n pop esi")
FRAG(f_bp, " nop\n inc eax\n nop\n inc eax")
FRAG(f_data, " mov dword ptr [watched+4], 5\n nop\n mov eax, [watched+4]\n nop\n mov byte ptr [watched+7], 1\n"
             " nop\n mov word ptr [watched+2], 1\n nop\n mov byte ptr [watched+3], 1\n nop\n"
             " mov byte ptr [watched+8], 1\n nop\n add word ptr [watched+5], 1\n nop")
FRAG(f_data_rep, " push esi\n push edi\n lea esi, [watched+16]\n lea edi, [watched]\n mov ecx, 12\n rep movsb\n"
                 " pop edi\n pop esi")
FRAG(f_io, " mov al, 0\n out 0x80, al\n nop\n in al, 0x80\n nop\n out 0x81, al\n nop\n mov dx, 0x7f\n"
           " out dx, ax\n nop")

static int int40_tf;
static void on_int40(struct trap_frame* f) {
  (void)f;
  int40_tf = (read_eflags() >> 8) & 1;
}
static int bp_seen;
static void on_bp(struct trap_frame* f) {
  (void)f;
  bp_seen++;
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  idt_set_handler(1, on_db);
  idt_set_handler(3, on_bp);
  idt_set_handler(0x40, on_int40);
  printf("sys_debug: single-step and debug registers\n");
  printf("dr6 %08x dr7 %08x at start\n", get_dr6(), get_dr7());
  set_dr6(0xFFFFFFFF);
  /* (bit 12 reads as 0 on hardware; QEMU 7.2 keeps what was written: not printed) */
  printf("dr6 after writing ffffffff: %08x\n", get_dr6() & ~0x1000u);
  set_dr6(0);
  set_dr7(0xFFFF00FF & ~0xFFu);
  printf("dr7 after writing ffff0000: %08x\n", get_dr7());
  set_dr7(0);

  /* Single-stepping: no trap after the POPF that sets TF, one after the POPF that
   * clears it. */
  ((void (*)(void))f_step)();
  dump("TF: nop, mov, add, jmp, lea", f_step, 0);
  /* MOV SS and POP SS: no trap right after them, one after the next instruction. */
  ((void (*)(void))f_movss)();
  dump("TF: MOV SS / POP SS shadow", f_movss, 0);
  /* INT n and INT3: the handler runs with TF clear, no trap after the INT. */
  ((void (*)(void))f_int)();
  dump("TF: INT 0x40, INT3", f_int, 0);
  printf("TF inside the INT 0x40 handler: %d, #BP seen %d\n", int40_tf, bp_seen);
  /* REP MOVSB: a trap after each iteration (EIP still on the instruction). */
  watched[0] = 0x44332211;
  ((void (*)(void))f_rep)();
  dump("TF: REP MOVSB, ECX 3", f_rep, 1);
  printf("copied %08x\n", watched[4]);

  /* Instruction breakpoints: faults before the instruction; the handler sets RF to
   * go on (without it the breakpoint would hit again). */
  db_set_rf = 1;
  set_dr(0, (uint32_t)f_bp + 1);
  set_dr(2, (uint32_t)f_bp + 3);
  set_dr7(dr7_local(0, RW_EXEC, LEN1) | (2u << 4) /* G2 */);
  uint32_t eax;
  __asm__ volatile("xor %%eax, %%eax; call f_bp" : "=a"(eax)::"memory");
  set_dr7(0);
  db_set_rf = 0;
  dump("DR0 L0 + DR2 G2 execute breakpoints", f_bp, 0);
  printf("eax after %u\n", eax);

  /* Data breakpoints: traps after the instruction that touched the range. */
  set_dr(1, (uint32_t)&watched[1]);
  set_dr7(dr7_local(1, RW_WRITE, LEN4));
  ((void (*)(void))f_data)();
  dump("DR1 write, 4 bytes", f_data, 0);
  set_dr7(dr7_local(1, RW_RW, LEN4));
  ((void (*)(void))f_data)();
  dump("DR1 read/write, 4 bytes", f_data, 0);
  set_dr(1, (uint32_t)&watched[1] + 2);
  set_dr7(dr7_local(1, RW_WRITE, LEN2));
  ((void (*)(void))f_data)();
  dump("DR1 write, 2 bytes at +6", f_data, 0);
  set_dr(3, (uint32_t)&watched[2]);
  set_dr7(dr7_local(1, RW_WRITE, LEN2) | dr7_local(3, RW_WRITE, LEN1));
  ((void (*)(void))f_data)();
  dump("DR1 2 bytes at +6 and DR3 1 byte at +8", f_data, 0);
  /* REP MOVSB writing bytes 0-11: hits in the middle stop it between iterations. */
  set_dr(1, (uint32_t)&watched[1]);
  set_dr7(dr7_local(1, RW_WRITE, LEN4));
  ((void (*)(void))f_data_rep)();
  dump("DR1 write 4 bytes, REP MOVSB over it", f_data_rep, 1);
  set_dr7(0);
  for (int i = 0; i < 4; i++) set_dr(i, 0);

  /* I/O breakpoints (CR4.DE): traps after IN/OUT on the port range. */
  write_cr4(read_cr4() | 8);
  set_dr(2, 0x80);
  set_dr7(dr7_local(2, RW_IO, LEN1));
  ((void (*)(void))f_io)();
  set_dr7(0);
  set_dr(2, 0);
  write_cr4(read_cr4() & ~8u);
  dump("DR2 I/O port 0x80", f_io, 0);

  printf("sys_debug: %d failures\n", sys_failures);
  return sys_failures;
}
