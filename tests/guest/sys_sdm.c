/* System behaviour where QEMU 7.2 differs from the Intel SDM (and hardware), so
 * this program checks itself against the SDM and is not compared with QEMU
 * (run_sdm_guest.py runs it under kasou only; under QEMU several checks fail):
 * - EXT (bit 0) of error codes raised while delivering an exception (vol. 3 6.13);
 * - RF=1 in the frame of a fault and of a trap between REP iterations (17.3.1.1);
 * - a misaligned breakpoint address masked by LEN, two breakpoints met by one
 *   instruction, a data breakpoint met by the last REP iteration (17.2.5, 17.3.1.2);
 * - DR7.GD (17.2.4), ICEBP (INT1, vol. 2 INT n), DR6 bit 12 reading 0 (17.2.3);
 * - a reserved-bit #PF reporting P and RSVD (4.7);
 * - the accessed bit set when CS is loaded (3.4.5.1), LAR keeping limit 19:16;
 * - segment limits on data and stack accesses (#GP(0), #SS(0)) (5.3);
 * - a write through CS (a code segment is never writable, 5.4.1): #GP(0) even in
 *   flat mode (QEMU 7.2 TCG does not check segment types there).
 * Alignment checking (#AC) and the TSS T flag are checked by sys_align.c.
 * The exit code is the number of failed checks. */
#include "sys_lib.h"

#define FRAG(name, body)                                                                                      \
  __asm__(".pushsection .text\n.intel_syntax noprefix\n.globl " #name "\n" #name ":\n" body "\n ret\n" \
          ".att_syntax prefix\n.popsection\n");                                                               \
  extern char name[];

static uint32_t get_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static uint32_t get_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static void set_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }
static void set_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" ::"r"(v)); }
static void set_dr0(uint32_t v) { __asm__ volatile("mov %0, %%dr0" ::"r"(v)); }
static void set_dr1(uint32_t v) { __asm__ volatile("mov %0, %%dr1" ::"r"(v)); }

#define SEL_NP_CODE (GDT_TEST_FIRST * 8)          /* code, not present */
#define SEL_CODE_NA ((GDT_TEST_FIRST + 1) * 8)    /* flat code, accessed bit clear */
#define SEL_SMALL_DATA ((GDT_TEST_FIRST + 2) * 8) /* data, base 0, limit 0xFFF (bytes) */
#define SEL_BIG_LIMIT ((GDT_TEST_FIRST + 3) * 8)  /* data, limit 0xABCDE, G=0 */

volatile uint32_t watched[8] __attribute__((aligned(16)));

FRAG(s_ud, " ud2")
FRAG(s_step_ud, " pushfd\n or dword ptr [esp], 0x100\n popfd\n ud2")
FRAG(s_rep, " push esi\n push edi\n lea esi, [watched+16]\n lea edi, [watched]\n mov ecx, 8\n rep movsb\n"
            " pop edi\n pop esi")
FRAG(s_store_byte5, " mov byte ptr [watched+4], 1")
FRAG(s_store_dword5, " mov dword ptr [watched+5], 1")
FRAG(s_icebp, " .byte 0xf1\n nop")
FRAG(s_far_jmp, " .byte 0xea\n .long 1f\n .word 0x50\n1: .byte 0xea\n .long 2f\n .word 0x08\n2:")
FRAG(s_ds_limit, " mov ax, 0x58\n mov ds, ax\n mov eax, [0xffe]\n mov ax, 0x10\n mov ds, ax")
FRAG(s_cs_write, " mov dword ptr cs:[cs_target], 5")
uint32_t cs_target = 1;
FRAG(s_ss_limit, " mov edx, esp\n mov ax, 0x58\n mov ss, ax\n mov esp, 0xf00\n mov eax, ss:[0xffe]\n"
                 " mov ax, 0x10\n mov ss, ax\n mov esp, edx")

static uint32_t db_eip[8], db_dr6[8], db_eflags[8];
static int ndb;
static void on_db(struct trap_frame* f) {
  if (ndb < 8) {
    db_eip[ndb] = f->eip;
    db_dr6[ndb] = get_dr6();
    db_eflags[ndb] = f->eflags;
    ndb++;
  }
  set_dr6(0);
}

/* Runs fn expecting vector `vec`; returns the frame (trap_caught). */
static const struct trap_frame* run_expect(const char* fn, uint32_t vec) {
  if (TRAP_TRY()) {
    ((void (*)(void))fn)();
    trap_end();
    printf("  no exception\n");
    return 0;
  }
  if (trap_caught.vector != vec) printf("  vector %u\n", trap_caught.vector);
  return trap_caught.vector == vec ? &trap_caught : 0;
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_sdm: behaviour checked against the SDM (not QEMU)\n");
  gdt_write(GDT_TEST_FIRST, seg_descriptor(0, 0xFFFFF, 0x1A, 0xC));
  gdt_write(GDT_TEST_FIRST + 1, seg_descriptor(0, 0xFFFFF, 0x9A, 0xC));
  gdt_write(GDT_TEST_FIRST + 2, seg_descriptor(0, 0xFFF, 0x93, 0x4));
  gdt_write(GDT_TEST_FIRST + 3, seg_descriptor(0, 0xABCDE, 0x93, 0x4));

  /* EXT: #NP while delivering #UD through a gate to an absent code segment. */
  const uint64_t ud_gate = idt_read(6);
  idt_write(6, gate_descriptor(SEL_NP_CODE, isr_address(6), 0x8E, 0));
  const struct trap_frame* t = run_expect(s_ud, 11);
  check_u32("#NP during #UD delivery: selector | EXT", t ? t->error : 0xFFFFFFFF, SEL_NP_CODE | 1);
  idt_write(6, ud_gate);
  idt_write(6, idt_read(6) & ~(1ull << 47));
  t = run_expect(s_ud, 11);
  check_u32("#NP for an absent gate: IDT | EXT", t ? t->error : 0xFFFFFFFF, 6 * 8 + 2 + 1);
  idt_write(6, ud_gate);

  /* RF=1 in a fault's frame (while single-stepping). */
  t = run_expect(s_step_ud, 6);
  check_u32("RF in the #UD frame (TF set)", t ? (t->eflags >> 16) & 1 : 2, 1);

  /* Breakpoints. */
  idt_set_handler(1, on_db);
  set_dr1((uint32_t)&watched[1] + 1); /* LEN 2 masks bit 0: watched+4..5 */
  set_dr7((1u << 2) | (1u << 20) | (1u << 22));
  ((void (*)(void))s_store_byte5)();
  check_u32("misaligned DR1 (LEN 2) hit at its masked address", ndb, 1);
  ndb = 0;
  /* Two breakpoints met by one store: both B bits. */
  set_dr0((uint32_t)&watched[2]);
  set_dr7((1u << 0) | (1u << 16) | (1u << 2) | (1u << 20) | (1u << 22));
  ((void (*)(void))s_store_dword5)();
  check_u32("one store, two breakpoints: DR6", ndb == 1 ? db_dr6[0] : 0, 0xFFFF0FF3);
  ndb = 0;
  /* REP MOVSB writing watched+0..7 with DR0 (1 byte) on the last byte. */
  set_dr0((uint32_t)&watched[1] + 3);
  set_dr7((1u << 0) | (1u << 16));
  ((void (*)(void))s_rep)();
  check_u32("last REP iteration: trap after the instruction", ndb == 1 ? db_eip[0] - (uint32_t)s_rep : 0, 21);
  check_u32("  RF in that frame", ndb == 1 ? (db_eflags[0] >> 16) & 1 : 2, 0);
  ndb = 0;
  set_dr0((uint32_t)&watched[1]);
  ((void (*)(void))s_rep)();
  check_u32("middle REP iteration: EIP on the instruction", ndb == 1 ? db_eip[0] - (uint32_t)s_rep : 0, 19);
  check_u32("  RF in that frame", ndb == 1 ? (db_eflags[0] >> 16) & 1 : 2, 1);
  ndb = 0;
  set_dr7(0);

  /* DR6 bit 12 reads 0; GD makes the next MOV DR fault with BD, GD cleared. */
  set_dr6(0xFFFFFFFF);
  check_u32("DR6 after writing ffffffff", get_dr6(), 0xFFFFEFFF);
  set_dr6(0);
  idt_set_handler(1, 0);
  set_dr7(1u << 13);
  if (TRAP_TRY()) {
    set_dr0(0x1234);
    trap_end();
    check_true("DR7.GD: MOV DR faults", 0);
  } else {
    check_u32("DR7.GD: #DB", trap_caught.vector, 1);
    check_u32("DR7.GD: DR6 with BD", get_dr6(), 0xFFFF2FF0);
    check_u32("DR7.GD: GD cleared", get_dr7(), 0x400);
  }
  set_dr6(0);
  /* ICEBP: a #DB trap after it (DR6 unchanged). */
  idt_set_handler(1, on_db);
  ((void (*)(void))s_icebp)();
  check_u32("ICEBP: #DB after the instruction", ndb == 1 ? db_eip[0] - (uint32_t)s_icebp : 0, 1);
  ndb = 0;

  /* Reserved bit in a PAE PTE: #PF with P and RSVD. */
  {
    static volatile uint64_t pdpt[4] __attribute__((aligned(32)));
    static volatile uint64_t pd[512] __attribute__((aligned(4096)));
    static volatile uint64_t pt[512] __attribute__((aligned(4096)));
    for (int i = 0; i < 512; i++) pd[i] = pt[i] = 0;
    for (int i = 0; i < 8; i++) pd[i] = ((uint64_t)i << 21) | 0x83;
    pdpt[0] = (uint32_t)pd | 1;
    pdpt[1] = pdpt[2] = pdpt[3] = 0;
    pd[8] = (uint32_t)pt | 3;
    pt[0] = 0x00300000u | 3 | (1ull << 40);
    write_cr3((uint32_t)pdpt);
    write_cr4(read_cr4() | 0x20);
    write_cr0(read_cr0() | 0x80000000u);
    if (TRAP_TRY()) {
      (void)*(volatile uint32_t*)0x01000000;
      trap_end();
      check_true("reserved-bit #PF", 0);
    } else {
      check_u32("reserved-bit #PF error code (P|RSVD)", trap_caught.error, 9);
    }
    write_cr0(read_cr0() & ~0x80000000u);
    write_cr4(read_cr4() & ~0x20u);
  }

  /* Loading CS sets the code descriptor's accessed bit. */
  check_u32("code descriptor A before", (uint32_t)(gdt_read(GDT_TEST_FIRST + 1) >> 40) & 1, 0);
  ((void (*)(void))s_far_jmp)();
  check_u32("code descriptor A after a far JMP", (uint32_t)(gdt_read(GDT_TEST_FIRST + 1) >> 40) & 1, 1);
  /* LAR keeps limit bits 19:16 (00FxFF00H). */
  uint32_t lar;
  __asm__ volatile("lar %1, %0" : "=r"(lar) : "r"(SEL_BIG_LIMIT));
  check_u32("LAR of a descriptor with limit 0xABCDE", lar, 0x004A9300);

  /* Segment limits: a dword at 0xFFE of a 4 KiB segment through DS and SS (the
   * handler runs on the small stack, inside its limit). */
  t = run_expect(s_ds_limit, 13);
  check_u32("read past DS limit: #GP(0)", t ? t->error : 0xFFFFFFFF, 0);
  __asm__ volatile("mov %0, %%ds" ::"r"(SEL_DATA32));
  t = run_expect(s_ss_limit, 12);
  check_u32("read past SS limit: #SS(0)", t ? t->error : 0xFFFFFFFF, 0);

  t = run_expect(s_cs_write, 13);
  check_u32("write through CS (flat): #GP(0)", t ? t->error : 0xFFFFFFFF, 0);
  check_u32("... and nothing written", cs_target, 1);

  printf("sys_sdm: %d failures\n", sys_failures);
  return sys_failures;
}
