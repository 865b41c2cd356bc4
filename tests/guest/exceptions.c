/* Exceptions and software interrupts through the program's own IDT: #UD from
 * undefined opcodes and UD2 (caught, and resumed by a handler that moves EIP),
 * INT n / INT3 / INTO (vector, return EIP, flags across IRET, a handler that edits
 * the frame, interrupt gate vs trap gate IF), #DE (DIV/IDIV/AAM, faulting EIP,
 * registers untouched), #BR (BOUND) and #GP with an error code (bad selector).
 * Each check prints a line; the exit code is the number of failed checks. */
#include "cpu.h"
#include "runtime.h"

static int failures;
static void check(const char* what, int ok) {
  printf("%-28s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

/* call_regs(fn): runs fn with EAX..EDI (but ESP) set to known values; the
 * registers after fn returns are left in cr_out[8] (EAX ECX EDX EBX ESP EBP ESI EDI). */
uint32_t cr_fn, cr_out[8];
#define R_EAX 0x11111111u
#define R_ECX 0x22222222u
#define R_EDX 0x33333333u
#define R_EBX 0x44444444u
#define R_EBP 0x66666666u
#define R_ESI 0x77777777u
#define R_EDI 0x88888888u
void call_regs(void (*fn)(void));
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        ".globl call_regs\ncall_regs:\n"
        " push ebp\n push ebx\n push esi\n push edi\n"
        " mov eax, [esp+20]\n mov [cr_fn], eax\n"
        " mov eax, 0x11111111\n mov ecx, 0x22222222\n mov edx, 0x33333333\n mov ebx, 0x44444444\n"
        " mov ebp, 0x66666666\n mov esi, 0x77777777\n mov edi, 0x88888888\n"
        " call [cr_fn]\n"
        " mov [cr_out+0], eax\n mov [cr_out+4], ecx\n mov [cr_out+8], edx\n mov [cr_out+12], ebx\n"
        " mov [cr_out+16], esp\n mov [cr_out+20], ebp\n mov [cr_out+24], esi\n mov [cr_out+28], edi\n"
        " pop edi\n pop esi\n pop ebx\n pop ebp\n ret\n"
        ".att_syntax prefix\n.popsection\n");

/* Code fragments (called with call_regs). */
#define FRAG(name, body) \
  __asm__(".pushsection .text\n.intel_syntax noprefix\n.globl " #name "\n" #name ":\n" body "\n ret\n.att_syntax prefix\n.popsection\n"); \
  void name(void);
FRAG(ud_ud2, ".byte 0x0f, 0x0b")
FRAG(ud_ud0, ".byte 0x0f, 0xff, 0xc0")
FRAG(ud_fe7, ".byte 0xfe, 0xf8")
FRAG(ud_lock_add_reg, ".byte 0xf0, 0x01, 0xd8")
FRAG(ud_lock_nop, ".byte 0xf0, 0x90")
FRAG(ud_lea_reg, ".byte 0x8d, 0xc0")
FRAG(ud_cmpxchg8b_reg, ".byte 0x0f, 0xc7, 0xc8")
FRAG(ud_mov_cs, ".byte 0x8e, 0xc8")
FRAG(ud_jmp_far_reg, ".byte 0xff, 0xe8")
FRAG(ud_prefixed_ud2, ".byte 0x66, 0x2e, 0x0f, 0x0b")
FRAG(ud_then_mov, "ud2\n mov eax, 5\n .byte 0x0f, 0xff, 0xc0\n add eax, 1")
FRAG(de_div0, "xor ecx, ecx\n div ecx")
FRAG(de_idiv_ovf, "mov eax, 0x80000000\n mov edx, -1\n mov ecx, -1\n idiv ecx")
FRAG(de_div8_ovf, "mov eax, 0x1000\n mov bl, 0x10\n div bl")
FRAG(de_aam0, ".byte 0xd4, 0x00")
FRAG(de_div16_mem, "mov word ptr [de_zero16], 0\n mov eax, 5\n xor edx, edx\n div word ptr [de_zero16]")
FRAG(de_resume, "xor ecx, ecx\n div ecx\n mov esi, 0x1234")
FRAG(int30, "int 0x30")
FRAG(int80_flags, "stc\n mov eax, 7\n int 0x80\n lahf")
FRAG(int3_cc, "int3\n mov edx, 0x3cc")
FRAG(int3_cd, ".byte 0xcd, 0x03\n mov edx, 0x3cd")
FRAG(into_of1, "mov eax, 0x7fffffff\n add eax, 1\n into\n mov edx, 0x401")
FRAG(into_of0, "mov eax, 1\n add eax, 1\n into\n mov edx, 0x400")
FRAG(int_ff, "int 0xff")
FRAG(int_gates, "sti\n int 0x40\n int 0x41\n cli")
FRAG(int_cf_return, "clc\n int 0x42\n setc al")
FRAG(br_bound, "mov eax, 100\n bound eax, [br_bounds]")
FRAG(br_bound_ok, "mov eax, 10\n bound eax, [br_bounds]\n mov edx, 0xb0")
FRAG(gp_bad_sel, "mov ax, 0x1238\n mov ds, ax")
FRAG(gp_null_ss, "xor eax, eax\n mov ss, ax")
uint16_t de_zero16;
int32_t br_bounds[2] = {-5, 50};

/* Runs fn expecting an exception with vector vec at address fn + off. */
static void expect_fault(const char* name, void (*fn)(void), uint32_t vec, uint32_t off) {
  if (TRAP_TRY()) {
    call_regs(fn);
    trap_end();
    printf("%-28s no exception, FAIL\n", name);
    failures++;
    return;
  }
  const struct trap_frame* t = &trap_caught;
  int at = t->eip - (uint32_t)fn;
  printf("%-28s vector %u (%s) error %x at +%d\n", name, t->vector, trap_name(t->vector), t->error, at);
  if (t->vector != vec || (uint32_t)at != off) {
    printf("  expected vector %u at +%u: FAIL\n", vec, off);
    failures++;
  }
}

static int regs_untouched(const struct trap_frame* t, uint32_t eax, uint32_t ecx, uint32_t edx, uint32_t ebx) {
  return t->eax == eax && t->ecx == ecx && t->edx == edx && t->ebx == ebx && t->ebp == R_EBP && t->esi == R_ESI &&
         t->edi == R_EDI;
}

/* #UD handler that resumes after the faulting instruction: UD2 and 0F FF /r are 2 and 3 bytes. */
static int ud_seen;
static void on_ud_skip(struct trap_frame* f) {
  const uint8_t* p = (const uint8_t*)f->eip;
  ud_seen++;
  f->eip += (p[0] == 0x0f && p[1] == 0x0b) ? 2 : 3;
}
static int de_seen;
static void on_de_skip(struct trap_frame* f) {
  de_seen++;
  f->eip += 2; /* div ecx */
}

static uint32_t int_vec, int_eip, int_eflags, int_cs, int_if_inside[2];
static void on_int(struct trap_frame* f) {
  int_vec = f->vector, int_eip = f->eip, int_eflags = f->eflags, int_cs = f->cs;
  f->eax = f->eax * 2 + f->vector;
}
static void on_int_gate(struct trap_frame* f) { int_if_inside[f->vector - 0x40] = (read_eflags() >> 9) & 1; }
static void on_int_set_cf(struct trap_frame* f) { f->eflags |= 1; }

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  serial_init();
  cpu_init();
  /* No hardware interrupt may arrive when the test sets IF: mask both PICs. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  printf("exceptions: IDT at work\n");

  /* #UD: vector 6, EIP at the first byte (prefixes included), registers kept. */
  expect_fault("ud2", ud_ud2, 6, 0);
  check("ud2 registers untouched", regs_untouched(&trap_caught, R_EAX, R_ECX, R_EDX, R_EBX));
  expect_fault("ud0 0f ff /r", ud_ud0, 6, 0);
  expect_fault("fe /7", ud_fe7, 6, 0);
  expect_fault("lock add reg,reg", ud_lock_add_reg, 6, 0);
  expect_fault("lock nop", ud_lock_nop, 6, 0);
  expect_fault("lea reg,reg", ud_lea_reg, 6, 0);
  expect_fault("cmpxchg8b reg", ud_cmpxchg8b_reg, 6, 0);
  expect_fault("mov cs, ax", ud_mov_cs, 6, 0);
  expect_fault("jmp far reg", ud_jmp_far_reg, 6, 0);
  expect_fault("66 2e ud2", ud_prefixed_ud2, 6, 0);

  /* #UD resumed by a handler through IRET. */
  idt_set_handler(6, on_ud_skip);
  call_regs(ud_then_mov);
  check("ud handler resumed twice", ud_seen == 2 && cr_out[0] == 6);
  idt_set_handler(6, 0);

  /* #DE: EIP at the DIV, registers and flags as before it. */
  expect_fault("div by zero", de_div0, 0, 2);
  check("div0 registers untouched", regs_untouched(&trap_caught, R_EAX, 0, R_EDX, R_EBX));
  expect_fault("idiv INT_MIN/-1", de_idiv_ovf, 0, 15);
  check("idiv registers untouched", regs_untouched(&trap_caught, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF, R_EBX));
  expect_fault("div8 overflow", de_div8_ovf, 0, 7);
  expect_fault("aam 0", de_aam0, 0, 0);
  expect_fault("div16 by zero memory", de_div16_mem, 0, 16);
  idt_set_handler(0, on_de_skip);
  call_regs(de_resume);
  check("de handler resumed", de_seen == 1 && cr_out[6] == 0x1234 && cr_out[0] == R_EAX);
  idt_set_handler(0, 0);

  /* INT n: return EIP after the instruction, the handler edits EAX in the frame. */
  idt_set_handler(0x30, on_int);
  call_regs(int30);
  printf("int 0x30: vector %x eip +%d cs %x eax %08x\n", int_vec, (int)(int_eip - (uint32_t)int30), int_cs, cr_out[0]);
  check("int 0x30", int_vec == 0x30 && int_eip == (uint32_t)int30 + 2 && cr_out[0] == R_EAX * 2 + 0x30);
  idt_set_handler(0x80, on_int);
  call_regs(int80_flags);
  printf("int 0x80: eflags seen %03x, ah after %02x, eax %08x\n", int_eflags & 0xCD5, (cr_out[0] >> 8) & 0xD5,
         cr_out[0]);
  check("int 0x80 keeps CF", (int_eflags & 1) && (cr_out[0] & 0x100));
  idt_set_handler(0xFF, on_int);
  call_regs(int_ff);
  check("int 0xff", int_vec == 0xFF && cr_out[0] == R_EAX * 2 + 0xFF);

  /* INT3 (CC) and INT 3 (CD 03), INTO: traps, EIP after the instruction. */
  idt_set_handler(3, on_int);
  call_regs(int3_cc);
  check("int3 (cc)", int_vec == 3 && int_eip == (uint32_t)int3_cc + 1 && cr_out[2] == 0x3cc);
  call_regs(int3_cd);
  check("int 3 (cd 03)", int_vec == 3 && int_eip == (uint32_t)int3_cd + 2 && cr_out[2] == 0x3cd);
  idt_set_handler(4, on_int);
  int_vec = 0;
  call_regs(into_of1);
  check("into with OF=1", int_vec == 4 && int_eip == (uint32_t)into_of1 + 9 && cr_out[2] == 0x401);
  int_vec = 0;
  call_regs(into_of0);
  check("into with OF=0", int_vec == 0 && cr_out[2] == 0x400);

  /* Interrupt gate clears IF in the handler, trap gate keeps it. */
  idt_set_gate(0x41, 0xF, 0);
  idt_set_handler(0x40, on_int_gate);
  idt_set_handler(0x41, on_int_gate);
  int_if_inside[0] = int_if_inside[1] = 7;
  call_regs(int_gates);
  printf("IF inside: interrupt gate %u, trap gate %u\n", int_if_inside[0], int_if_inside[1]);
  check("gate types", int_if_inside[0] == 0 && int_if_inside[1] == 1);

  /* A handler that returns a result in the frame's CF (BIOS style). */
  idt_set_handler(0x42, on_int_set_cf);
  call_regs(int_cf_return);
  check("cf set by handler", (cr_out[0] & 0xFF) == 1);

  /* #BR from BOUND. */
  expect_fault("bound out of range", br_bound, 5, 5);
  call_regs(br_bound_ok);
  check("bound in range", cr_out[2] == 0xb0);

  /* #GP with an error code: selector beyond the GDT limit, null SS. */
  expect_fault("mov ds, bad selector", gp_bad_sel, 13, 4);
  check("gp error code = selector", trap_caught.error == 0x1238);
  expect_fault("mov ss, null", gp_null_ss, 13, 2);
  check("gp error code 0", trap_caught.error == 0);

  printf("exceptions: %d failures\n", failures);
  return failures;
}
