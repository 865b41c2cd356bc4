/* Privilege levels: ring-3 code entering ring 0 through an interrupt gate, a trap
 * gate and a call gate with parameters (stack switch to the TSS's SS0:ESP0, the
 * outer SS:ESP on the inner stack, IF cleared by interrupt gates only) and coming
 * back with IRET / RETF n; IRET to ring 3 nulling data segment registers whose DPL
 * is below the new CPL; the TSS I/O permission bitmap at CPL 3 (allowed and
 * denied ports, multi-byte accesses, IOPL 3 bypassing it, a bitmap outside the
 * TSS limit); user-mode page faults (the U bit of the error code). Every result
 * is printed; the exit code is the number of failed checks. */
#include "sys_lib.h"

#define SEL_GATE (GDT_TEST_FIRST * 8 + 3) /* call gate DPL 3 -> ring 0, 2 parameters (RPL 3) */

/* ring 0 target of the call gate: sums its two parameters, notes CS/SS and the
 * caller's SS:ESP, returns with RETF 8. */
uint32_t gate_cs, gate_ss, gate_outer_ss, gate_outer_esp, gate_ret_cs;
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "gate_target:\n"
        " mov ecx, cs\n mov [gate_cs], ecx\n mov ecx, ss\n mov [gate_ss], ecx\n"
        " mov ecx, [esp+4]\n mov [gate_ret_cs], ecx\n"
        " mov ecx, [esp+16]\n mov [gate_outer_esp], ecx\n mov ecx, [esp+20]\n mov [gate_outer_ss], ecx\n"
        " mov eax, [esp+8]\n add eax, [esp+12]\n"
        " retf 8\n"
        /* ring 3 caller: pushes 2 parameters, far call through the gate */
        ".globl u_call_gate\nu_call_gate:\n"
        " push ebx\n mov ebx, esp\n push 0x1000\n push 0x0234\n"
        " .byte 0x9a\n .long 0\n .word (9*8+3)\n"
        " sub ebx, esp\n mov [u_esp_delta], ebx\n pop ebx\n ret\n"
        /* IRET to CPL 3 with DS/ES holding DPL 0 selectors: they come out null */
        ".globl enter_ring3_raw\nenter_ring3_raw:\n"
        " push 0x33\n push [esp+8]\n push 0x2\n push 0x2b\n push offset u_read_segs\n"
        " mov ax, 0x10\n mov ds, ax\n mov es, ax\n mov fs, ax\n mov ax, 0x33\n mov gs, ax\n"
        " iretd\n"
        "u_read_segs:\n"
        " xor eax, eax\n mov ax, es\n shl eax, 16\n mov ax, ds\n xor edx, edx\n mov dx, gs\n shl edx, 16\n mov dx, fs\n"
        " mov cx, 0x33\n mov ds, cx\n mov es, cx\n"
        " mov [u_segs_gs_fs], edx\n"
        " int 0x81\n"
        ".att_syntax prefix\n.popsection\n");
uint32_t u_esp_delta, u_segs_gs_fs;
void u_call_gate(void);
void enter_ring3_raw(uint32_t esp3);
void gate_target(void);

static uint32_t k_cs, k_ss, k_outer_ss, k_eflags, k_frame_top, k_if;
static void on_int_user(struct trap_frame* f) {
  struct trap_frame_outer* o = (struct trap_frame_outer*)f;
  k_cs = read_cs();
  __asm__ volatile("mov %%ss, %0" : "=r"(k_ss));
  k_outer_ss = o->ss;
  k_eflags = f->eflags;
  k_frame_top = (uint32_t)(&o->ss + 1);
  k_if = (read_eflags() >> 9) & 1;
  f->eax = f->eax * 3;
}

static uint32_t u_int80(void) {
  uint32_t a = 14;
  __asm__ volatile("int $0x80" : "+a"(a));
  return a;
}
static uint32_t u_int82(void) {
  uint32_t a = 5;
  __asm__ volatile("int $0x82" : "+a"(a));
  return a;
}
static uint32_t u_gate(void) {
  uint32_t r;
  __asm__ volatile("call u_call_gate" : "=a"(r)::"ecx", "edx", "memory");
  return r;
}
static uint32_t u_cpl(void) { return read_cs() & 3; }
static uint32_t u_hello(void) {
  printf("hello from CPL %u through the I/O bitmap\n", read_cs() & 3);
  return 1;
}
/* (the values read are not printed: what port 0x80 reads is the board's business) */
static uint32_t u_in80(void) {
  (void)inb(0x80);
  return 0x100;
}
static uint32_t u_out81(void) {
  outb(0x81, 0);
  return 1;
}
static uint32_t u_inw80(void) {
  (void)inw(0x80);
  return 0x10000;
}
static volatile uint32_t* u_ptr;
static uint32_t u_read(void) { return *u_ptr; }
static uint32_t u_write(void) {
  *u_ptr = 1;
  return 1;
}

/* Runs fn at CPL 3 with `eflags`; prints the result or the exception. */
static void user(const char* name, uint32_t (*fn)(void), uint32_t eflags, int want_vec, uint32_t want) {
  if (TRAP_TRY()) {
    uint32_t r = run_user(fn, eflags);
    trap_end();
    printf("%-40s returned %08x %s\n", name, r, (want_vec < 0 && r == want) ? "ok" : "FAIL");
    if (!(want_vec < 0 && r == want)) sys_failures++;
    return;
  }
  const struct trap_frame* t = &trap_caught;
  const int ok = (int)t->vector == want_vec && t->error == want && t->cs == SEL_UCODE;
  printf("%-40s %s error %04x cs %02x %s\n", name, trap_name(t->vector), t->error, t->cs, ok ? "ok" : "FAIL");
  if (!ok) sys_failures++;
}

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t pages[4][1024] __attribute__((aligned(4096)));

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  outb(0x21, 0xFF); /* no hardware interrupt while IF is set */
  outb(0xA1, 0xFF);
  printf("sys_rings: CPL 3 <-> CPL 0\n");
  check_u32("cpl at CPL 3", run_user(u_cpl, 0x2), 3);

  /* Interrupt gate (DPL 3): the stack comes from the TSS, the outer SS:ESP is on
   * it, IF is cleared; IRET goes back to CPL 3. */
  idt_set_gate(0x80, 0xE, 3);
  idt_set_handler(0x80, on_int_user);
  check_u32("int 0x80 result", run_user(u_int80, 0x202), 42);
  check_u32("handler cs", k_cs, SEL_CODE32);
  check_u32("handler ss (TSS ss0)", k_ss, SEL_DATA32);
  check_u32("frame ends at TSS esp0", k_frame_top, sys_tss.esp0);
  check_u32("outer ss", k_outer_ss, SEL_UDATA);
  check_u32("eflags pushed (IF)", k_eflags & 0x3202, 0x202);
  check_u32("IF inside an interrupt gate", k_if, 0);
  /* Trap gate: IF stays set. */
  idt_set_gate(0x82, 0xF, 3);
  idt_set_handler(0x82, on_int_user);
  check_u32("int 0x82 (trap gate) result", run_user(u_int82, 0x202), 15);
  check_u32("IF inside a trap gate", k_if, 1);

  /* Call gate with 2 parameters to ring 0 and RETF 8 back. */
  gdt_write(GDT_TEST_FIRST, gate_descriptor(SEL_CODE32, (uint32_t)gate_target, 0xEC, 2));
  check_u32("call gate: sum of the parameters", run_user(u_gate, 0x2), 0x1234);
  check_u32("call gate: cs inside", gate_cs, SEL_CODE32);
  check_u32("call gate: ss inside (TSS ss0)", gate_ss, SEL_DATA32);
  check_u32("call gate: return cs", gate_ret_cs, SEL_UCODE);
  check_u32("call gate: outer ss", gate_outer_ss, SEL_UDATA);
  check_u32("call gate: esp after RETF 8", u_esp_delta, 0);

  /* IRET to CPL 3 with DPL 0 selectors in DS ES FS: nulled; GS (DPL 3) kept. */
  idt_set_handler(VEC_USER_RETURN, 0); /* INT 0x81 is caught by TRAP_TRY here */
  if (TRAP_TRY()) {
    enter_ring3_raw((uint32_t)&pages[3][1000]);
    trap_end();
  }
  {
    printf("after IRET to CPL 3: ds %04x es %04x fs %04x gs %04x\n", trap_caught.eax & 0xFFFF,
           trap_caught.eax >> 16, u_segs_gs_fs & 0xFFFF, u_segs_gs_fs >> 16);
    check_true("DS ES FS nulled, GS kept", trap_caught.eax == 0 && u_segs_gs_fs == (SEL_UDATA << 16));
    sys_restore_user_return();
  }

  /* The I/O permission bitmap at CPL 3 with IOPL 0. */
  io_allow(&sys_tss, 0x3F8, 8, 1);
  io_allow(&sys_tss, 0x80, 1, 1);
  user("printf from CPL 3 (COM1 allowed)", u_hello, 0x2, -1, 1);
  user("in al, 0x80 (allowed)", u_in80, 0x2, -1, 0x100);
  user("out 0x81, al (denied)", u_out81, 0x2, 13, 0);
  user("in ax, 0x80 (0x81 denied)", u_inw80, 0x2, 13, 0);
  user("out 0x81, al with IOPL 3", u_out81, 0x3002, -1, 1);
  io_allow(&sys_tss, 0x81, 1, 1);
  user("in ax, 0x80 (both allowed)", u_inw80, 0x2, -1, 0x10000);
  const uint16_t base = sys_tss.iomap_base;
  sys_tss.iomap_base = 0x2000; /* past the TSS limit: every port denied */
  user("in al, 0x80, bitmap outside the TSS", u_in80, 0x2, 13, 0);
  sys_tss.iomap_base = base;

  /* User page faults: the U bit in the error code. */
  for (int i = 0; i < 1024; i++) pd[i] = (uint32_t)(i << 22) | 0x87; /* 4 MiB, user RW */
  memset(pt, 0, sizeof(pt));
  pt[0] = (uint32_t)pages[0] | 0x3; /* supervisor RW */
  pt[1] = (uint32_t)pages[1] | 0x5; /* user read-only */
  pt[2] = (uint32_t)pages[2] | 0x7; /* user RW */
  pages[1][0] = 0x5EAD;
  pd[0x40000000 >> 22] = (uint32_t)pt | 0x7;
  write_cr4(read_cr4() | 0x10);
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | 0x80000000u);
  u_ptr = (uint32_t*)0x40000000;
  user("read a supervisor page", u_read, 0x2, 14, 5);
  check_u32("  cr2", read_cr2(), 0x40000000);
  u_ptr = (uint32_t*)0x40001004;
  user("read a user read-only page", u_read, 0x2, -1, 0);
  user("write a user read-only page", u_write, 0x2, 14, 7);
  check_u32("  cr2", read_cr2(), 0x40001004);
  u_ptr = (uint32_t*)0x40003008;
  user("write a page not present", u_write, 0x2, 14, 6);
  check_u32("  cr2", read_cr2(), 0x40003008);
  u_ptr = (uint32_t*)0x40002000;
  user("write a user RW page", u_write, 0x2, -1, 1);
  check_u32("  value", pages[2][0], 1);
  pt[2] &= ~4u; /* now supervisor: the PDE says user, the PTE does not */
  invlpg((void*)0x40002000);
  user("write after U cleared in the PTE", u_write, 0x2, 14, 7);
  write_cr0(read_cr0() & ~0x80000000u);

  printf("sys_rings: %d failures\n", sys_failures);
  return sys_failures;
}
