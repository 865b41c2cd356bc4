/* Alignment checking (#AC, vector 17; Intel SDM vol. 3A 6.15) and the TSS T flag
 * (#DB with DR6.BT on a task switch; 7.2.1, 17.3.1.5), checked against the SDM
 * because QEMU 7.2's TCG implements neither (run_sdm_guest.py runs it under kasou
 * only).
 *
 * #AC: armed only while CR0.AM=1, EFLAGS.AC=1 and CPL=3. Each user fragment is
 * run first with AC=0 (no fault; the code gets translated unarmed), then with
 * AC=1: the handler records EIP and the error code, clears AC in the frame and
 * IRETs, so the faulting instruction restarts and completes (a fault, error code
 * 0). Covered: word/dword/qword (CMPXCHG8B, FILD m64, MOVQ mm, FLD m80 needs 8)
 * loads and stores, PUSH/CALL/far CALL with a misaligned ESP, MOVS/STOS (REP too), FNSTENV
 * (4-aligned with a 32-bit operand size, not 8), POPF setting AC in the middle of
 * a block; aligned accesses, CPL 0, AC=0 and AM=0 never fault.
 *
 * T flag: JMP to a TSS with T=1 and CALL through a task gate to it raise #DB
 * after the switch with DR6.BT and the EIP of the new task's first instruction;
 * switching back to a TSS with T=0 does not. The exit code is the number of
 * failed checks. */
#include "sys_lib.h"

#define EFLAGS_AC 0x40000u
#define CR0_AM 0x40000u

uint8_t abuf[256] __attribute__((aligned(64)));

/* User fragments (called at CPL 3 by run_user; the result is EAX). The label
 * <name>_at is the instruction expected to fault. */
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        /* Aligned word, dword, qword accesses and an aligned PUSH: never #AC. */
        ".globl u_aligned\nu_aligned:\n"
        " mov ax, [abuf+2]\n mov [abuf+6], ax\n mov eax, [abuf+8]\n mov [abuf+12], eax\n"
        " push ebx\n mov eax, 0\n mov edx, 0\n mov ebx, 0\n mov ecx, 0\n cmpxchg8b [abuf+16]\n pop ebx\n"
        " movzx eax, byte ptr [abuf+1]\n mov [abuf+3], al\n mov eax, 7\n ret\n"
        ".globl u_ld16\nu_ld16:\nu_ld16_at:\n movzx eax, word ptr [abuf+33]\n ret\n"
        ".globl u_ld32\nu_ld32:\nu_ld32_at:\n mov eax, [abuf+34]\n ret\n"
        ".globl u_st16\nu_st16:\n mov eax, 0x1234\nu_st16_at:\n mov [abuf+41], ax\n movzx eax, word ptr [abuf+40]\n ret\n"
        ".globl u_st32\nu_st32:\n mov eax, 0xCAFEF00D\nu_st32_at:\n mov [abuf+49], eax\n mov eax, [abuf+48]\n ret\n"
        ".globl u_add32\nu_add32:\n mov eax, 5\n mov dword ptr [abuf+64], 0\nu_add32_at:\n add [abuf+66], eax\n"
        " mov eax, [abuf+66]\n ret\n"
        ".globl u_cx8\nu_cx8:\n push ebx\n mov eax, 0\n mov edx, 0\n mov ebx, 0x11223344\n mov ecx, 0x55667788\n"
        "u_cx8_at:\n cmpxchg8b [abuf+84]\n pop ebx\n mov eax, [abuf+88]\n ret\n"
        ".globl u_fild\nu_fild:\n mov dword ptr [abuf+100], 42\n mov dword ptr [abuf+104], 0\n"
        "u_fild_at:\n fild qword ptr [abuf+100]\n fistp dword ptr [abuf+96]\n mov eax, [abuf+96]\n ret\n"
        ".globl u_movq\nu_movq:\n mov dword ptr [abuf+108], 0x600DD00D\n"
        "u_movq_at:\n movq mm0, [abuf+108]\n movd eax, mm0\n emms\n ret\n"
        ".globl u_fld80\nu_fld80:\n fldpi\n fstp tbyte ptr [abuf+128]\nu_fld80_at:\n fld tbyte ptr [abuf+132]\n"
        " fstp st(0)\n mov eax, 1\n ret\n"
        ".globl u_push\nu_push:\n mov edx, esp\n sub esp, 6\n mov eax, 0xABCD\nu_push_at:\n push eax\n"
        " mov eax, [esp]\n mov esp, edx\n ret\n"
        ".globl u_call\nu_call:\n mov edx, esp\n sub esp, 1\nu_call_at:\n call 1f\n1: mov esp, edx\n mov eax, 3\n ret\n"
        ".globl u_callf\nu_callf:\n mov edx, esp\n sub esp, 2\nu_callf_at:\n .byte 0x9a\n .long 1f\n .word 0x2b\n"
        "1: mov esp, edx\n mov eax, 4\n ret\n"
        ".globl u_movs\nu_movs:\n push esi\n push edi\n mov byte ptr [abuf+145], 0xEF\n mov byte ptr [abuf+146], 0xBE\n lea esi, [abuf+145]\n"
        " lea edi, [abuf+161]\nu_movs_at:\n movsw\n movzx eax, word ptr [abuf+161]\n pop edi\n pop esi\n ret\n"
        ".globl u_rep_stos\nu_rep_stos:\n push edi\n lea edi, [abuf+170]\n mov ecx, 4\n mov eax, 0x01020304\n"
        "u_rep_stos_at:\n rep stosd\n mov eax, [abuf+182]\n add eax, ecx\n pop edi\n ret\n"
        ".globl u_fnstenv4\nu_fnstenv4:\nu_fnstenv4_at:\n fnstenv [abuf+196]\n mov eax, 9\n ret\n"
        ".globl u_fnstenv2\nu_fnstenv2:\nu_fnstenv2_at:\n fnstenv [abuf+194]\n mov eax, 9\n ret\n"
        /* AC set by POPF in the middle of the code: the next access is checked. */
        ".globl u_popf\nu_popf:\n mov ax, [abuf+1]\n pushfd\n or dword ptr [esp], 0x40000\n popfd\n"
        "u_popf_at:\n mov ax, [abuf+1]\n pushfd\n and dword ptr [esp], ~0x40000\n popfd\n mov ax, [abuf+1]\n"
        " mov eax, 11\n ret\n"
        /* CPL 0 with AC=1: not checked. */
        ".globl k_unaligned\nk_unaligned:\n pushfd\n or dword ptr [esp], 0x40000\n popfd\n"
        " mov eax, [abuf+1]\n mov [abuf+3], eax\n mov ax, [abuf+5]\n push ebx\n mov eax, 0\n mov edx, 0\n"
        " mov ebx, 0\n mov ecx, 0\n cmpxchg8b [abuf+20]\n pop ebx\n pushfd\n and dword ptr [esp], ~0x40000\n popfd\n"
        " mov eax, 5\n ret\n"
        ".att_syntax prefix\n.popsection\n");

extern char u_ld16_at[], u_ld32_at[], u_st16_at[], u_st32_at[], u_add32_at[], u_cx8_at[], u_fild_at[],
    u_movq_at[], u_fld80_at[], u_push_at[], u_call_at[], u_callf_at[], u_movs_at[], u_rep_stos_at[], u_fnstenv4_at[],
    u_fnstenv2_at[], u_popf_at[];
uint32_t u_aligned(void), u_ld16(void), u_ld32(void), u_st16(void), u_st32(void), u_add32(void), u_cx8(void),
    u_fild(void), u_movq(void), u_fld80(void), u_push(void), u_call(void), u_callf(void), u_movs(void), u_rep_stos(void),
    u_fnstenv4(void), u_fnstenv2(void), u_popf(void), k_unaligned(void);

static volatile uint32_t ac_count, ac_eip, ac_error, ac_cs;
static void on_ac(struct trap_frame* f) {
  ac_count++;
  ac_eip = f->eip;
  ac_error = f->error;
  ac_cs = f->cs;
  f->eflags &= ~EFLAGS_AC; /* the instruction restarts without the check */
}

static void reset_ac(void) { ac_count = 0, ac_eip = ac_error = ac_cs = 0xFFFFFFFF; }

/* A fragment that must fault once with AC=1 (at `at`, error 0, from CPL 3) and
 * then return `want`; with AC=0 it must not fault and return `want` too. */
static void expect_ac(const char* name, uint32_t (*fn)(void), const char* at, uint32_t want) {
  char what[64];
  reset_ac();
  uint32_t r = run_user(fn, 0x2);
  snprintf(what, sizeof(what), "%s, AC=0: #AC count", name);
  check_u32(what, ac_count, 0);
  snprintf(what, sizeof(what), "%s, AC=0: result", name);
  check_u32(what, r, want);
  reset_ac();
  r = run_user(fn, 0x2 | EFLAGS_AC);
  snprintf(what, sizeof(what), "%s, AC=1: #AC count", name);
  check_u32(what, ac_count, 1);
  snprintf(what, sizeof(what), "%s: EIP - insn", name);
  check_u32(what, ac_eip - (uint32_t)at, 0);
  snprintf(what, sizeof(what), "%s: error code, CS", name);
  check_u32(what, ac_error | (ac_cs << 16), SEL_UCODE << 16);
  snprintf(what, sizeof(what), "%s: result after restart", name);
  check_u32(what, r, want);
}

static void expect_no_ac(const char* name, uint32_t (*fn)(void), uint32_t eflags, uint32_t want) {
  char what[64];
  reset_ac();
  const uint32_t r = run_user(fn, eflags);
  snprintf(what, sizeof(what), "%s: #AC count", name);
  check_u32(what, ac_count, 0);
  snprintf(what, sizeof(what), "%s: result", name);
  check_u32(what, r, want);
}

static void alignment_checks(void) {
  idt_set_handler(17, on_ac);
  __asm__ volatile("clts\n fninit" ::: "memory");
  write_cr0(read_cr0() & ~0x4u); /* EM=0: x87 and MMX run */

  /* AM=0: nothing is checked, even at CPL 3 with AC=1. */
  write_cr0(read_cr0() & ~CR0_AM);
  expect_no_ac("AM=0 AC=1 word load", u_ld16, 0x2 | EFLAGS_AC, 0);
  expect_no_ac("AM=0 AC=1 dword store", u_st32, 0x2 | EFLAGS_AC, 0xFEF00D00);

  write_cr0(read_cr0() | CR0_AM);
  expect_no_ac("aligned accesses", u_aligned, 0x2 | EFLAGS_AC, 7);
  expect_ac("word load +1", u_ld16, u_ld16_at, 0);
  expect_ac("dword load +2", u_ld32, u_ld32_at, 0);
  expect_ac("word store +1", u_st16, u_st16_at, 0x3400);
  expect_ac("dword store +1", u_st32, u_st32_at, 0xFEF00D00);
  expect_ac("add to memory +2", u_add32, u_add32_at, 5);
  expect_ac("CMPXCHG8B +4", u_cx8, u_cx8_at, 0x55667788);
  expect_ac("FILD m64 +4", u_fild, u_fild_at, 42);
  expect_ac("MOVQ mm, m64 +4", u_movq, u_movq_at, 0x600DD00D);
  expect_ac("FLD m80 +4 (needs 8)", u_fld80, u_fld80_at, 1);
  expect_ac("PUSH with ESP 2 mod 4", u_push, u_push_at, 0xABCD);
  expect_ac("CALL with ESP 3 mod 4", u_call, u_call_at, 3);
  expect_ac("far CALL with ESP 2 mod 4", u_callf, u_callf_at, 4);
  expect_ac("MOVSW odd source", u_movs, u_movs_at, 0xBEEF);
  expect_ac("REP STOSD EDI 2 mod 4", u_rep_stos, u_rep_stos_at, 0x01020304);
  expect_no_ac("FNSTENV (32-bit) at 4 mod 8", u_fnstenv4, 0x2 | EFLAGS_AC, 9);
  expect_ac("FNSTENV (32-bit) at 2 mod 4", u_fnstenv2, u_fnstenv2_at, 9);

  /* POPF sets AC in the middle of straight-line code (a block, for a translator). */
  reset_ac();
  uint32_t r = run_user(u_popf, 0x2);
  check_u32("POPF sets AC: #AC count", ac_count, 1);
  check_u32("POPF sets AC: EIP - insn", ac_eip - (uint32_t)u_popf_at, 0);
  check_u32("POPF sets AC: result", r, 11);

  /* CPL 0: AC=1 and AM=1, misaligned accesses do not fault. */
  reset_ac();
  r = k_unaligned();
  check_u32("CPL 0 misaligned with AC=1: #AC count", ac_count, 0);
  check_u32("CPL 0 misaligned with AC=1: result", r, 5);

  write_cr0(read_cr0() & ~CR0_AM);
  idt_set_handler(17, 0);
}

/* --- The TSS T flag. --- */
#define SEL_TSS3 (GDT_TEST_FIRST * 8)
#define SEL_TASK_GATE ((GDT_TEST_FIRST + 1) * 8)
static struct tss32 tss3;
static uint8_t t3_stack[4096] __attribute__((aligned(16)));
uint32_t t3_runs, t3_mode;
void t3_entry(void);
/* The new task: counts its run, then goes back by JMP (mode 0) or IRET (mode 1). */
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "t3_entry:\n inc dword ptr [t3_runs]\n cmp dword ptr [t3_mode], 0\n jne 1f\n"
        " .byte 0xea\n .long 0\n .word 0x38\n jmp t3_entry\n"
        "1: iretd\n jmp t3_entry\n"
        ".att_syntax prefix\n.popsection\n");

static uint32_t get_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void set_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }

static volatile uint32_t db_count, db_eip, db_dr6, db_tr, db_runs;
static void on_db(struct trap_frame* f) {
  uint16_t tr;
  __asm__ volatile("str %0" : "=r"(tr));
  db_count++;
  db_eip = f->eip;
  db_dr6 = get_dr6();
  db_tr = tr;
  db_runs = t3_runs; /* 0: the new task's first instruction has not run yet */
  set_dr6(0);
}

static void tss_trap_checks(void) {
  idt_set_handler(1, on_db);
  memset(&tss3, 0, sizeof(tss3));
  tss3.eip = (uint32_t)t3_entry;
  tss3.esp = (uint32_t)(t3_stack + sizeof(t3_stack));
  tss3.eflags = 0x2;
  tss3.cs = SEL_CODE32;
  tss3.ss = tss3.ds = tss3.es = tss3.fs = tss3.gs = SEL_DATA32;
  tss3.cr3 = read_cr3();
  tss3.iomap_base = sizeof(tss3);
  gdt_write(GDT_TEST_FIRST, seg_descriptor((uint32_t)&tss3, 0x67, 0x89, 0));
  gdt_write(GDT_TEST_FIRST + 1, gate_descriptor(SEL_TSS3, 0, 0x85, 0));
  set_dr6(0);

  /* T=0: no #DB. */
  t3_mode = 0;
  db_count = 0;
  __asm__ volatile("ljmp $0x48, $0" ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
  check_u32("JMP to a TSS with T=0: #DB count", db_count, 0);
  check_u32("  the task ran", t3_runs, 1);

  /* T=1: #DB in the new task before its first instruction, DR6.BT. */
  tss3.trap = 1;
  tss3.eip = (uint32_t)t3_entry;
  t3_runs = 0;
  db_count = 0;
  __asm__ volatile("ljmp $0x48, $0" ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
  check_u32("JMP to a TSS with T=1: #DB count", db_count, 1);
  check_u32("  EIP = the new task's first instruction", db_eip, (uint32_t)t3_entry);
  check_u32("  DR6", db_dr6, 0xFFFF8FF0);
  check_u32("  TR in the handler", db_tr, SEL_TSS3);
  check_u32("  runs of the task before the #DB", db_runs, 0);
  check_u32("  the task ran after it", t3_runs, 1);

  /* CALL through a task gate, IRET back (the main TSS has T=0: one #DB). */
  tss3.eip = (uint32_t)t3_entry;
  t3_mode = 1;
  t3_runs = 0;
  db_count = 0;
  __asm__ volatile("lcall $0x50, $0" ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
  check_u32("CALL task gate, T=1: #DB count", db_count, 1);
  check_u32("  EIP = the new task's first instruction", db_eip, (uint32_t)t3_entry);
  check_u32("  DR6", db_dr6, 0xFFFF8FF0);
  check_u32("  the task ran after it", t3_runs, 1);
  idt_set_handler(1, 0);
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_align: #AC and the TSS T flag, checked against the SDM (not QEMU)\n");
  alignment_checks();
  tss_trap_checks();
  printf("sys_align: %d failures\n", sys_failures);
  return sys_failures;
}
