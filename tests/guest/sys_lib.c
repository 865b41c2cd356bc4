/* Shared pieces of the system-architecture guest tests (see sys_lib.h). */
#include "sys_lib.h"

struct tss32 sys_tss, sys_tss2;
int sys_failures;

static uint8_t ring0_stack[8192] __attribute__((aligned(16)));
static uint8_t ring3_stack[8192] __attribute__((aligned(16)));

struct dtr {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

static uint64_t* gdt_base(void) {
  struct dtr d;
  __asm__ volatile("sgdt %0" : "=m"(d));
  return (uint64_t*)d.base;
}
static uint64_t* idt_base(void) {
  struct dtr d;
  __asm__ volatile("sidt %0" : "=m"(d));
  return (uint64_t*)d.base;
}

uint64_t seg_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xFFFFull) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
         ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

uint64_t gate_descriptor(uint16_t selector, uint32_t offset, uint8_t access, unsigned params) {
  return (offset & 0xFFFFull) | ((uint64_t)selector << 16) | ((uint64_t)(params & 0x1F) << 32) |
         ((uint64_t)access << 40) | ((uint64_t)(offset >> 16) << 48);
}

void gdt_write(int index, uint64_t d) { gdt_base()[index] = d; }
uint64_t gdt_read(int index) { return gdt_base()[index]; }
void idt_write(int vector, uint64_t d) { idt_base()[vector] = d; }
uint64_t idt_read(int vector) { return idt_base()[vector]; }

extern const uint32_t isr_table[256];
uint32_t isr_address(int vector) { return isr_table[vector]; }

void io_allow(struct tss32* t, uint16_t port, unsigned count, int allow) {
  for (unsigned p = port; p < port + count; p++) {
    if (allow) t->iomap[p / 8] &= (uint8_t) ~(1u << (p % 8));
    else t->iomap[p / 8] |= (uint8_t)(1u << (p % 8));
  }
}

static void tss_init(struct tss32* t) {
  memset(t, 0, sizeof(*t));
  t->ss0 = SEL_DATA32;
  t->esp0 = (uint32_t)(ring0_stack + sizeof(ring0_stack));
  t->iomap_base = (uint16_t)((uint32_t)&t->iomap[0] - (uint32_t)t);
  memset(t->iomap, 0xFF, sizeof(t->iomap));
}

/* run_user(): enter_ring3 (sys_lib_asm.asm) IRETs to CPL 3; the user side calls fn
 * and raises VEC_USER_RETURN with the result in EAX; the handler longjmps back. */
void enter_ring3(uint32_t (*fn)(void), uint32_t esp3, uint32_t eflags);
static guest_jmp_buf user_jb;
static volatile uint32_t user_result;

static void on_user_return(struct trap_frame* f) {
  user_result = f->eax;
  guest_longjmp(user_jb, 1);
}

uint32_t run_user(uint32_t (*fn)(void), uint32_t user_eflags) {
  if (guest_setjmp(user_jb) == 0) enter_ring3(fn, (uint32_t)(ring3_stack + sizeof(ring3_stack)), user_eflags);
  return user_result;
}

void sys_restore_user_return(void) { idt_set_handler(VEC_USER_RETURN, on_user_return); }

void sys_init(void) {
  serial_init();
  cpu_init();
  gdt_write(5, seg_descriptor(0, 0xFFFFF, 0xFA, 0xC));
  gdt_write(6, seg_descriptor(0, 0xFFFFF, 0xF2, 0xC));
  tss_init(&sys_tss);
  tss_init(&sys_tss2);
  gdt_write(7, seg_descriptor((uint32_t)&sys_tss, sizeof(sys_tss) - 1, 0x89, 0));
  gdt_write(8, seg_descriptor((uint32_t)&sys_tss2, sizeof(sys_tss2) - 1, 0x89, 0));
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
  idt_set_gate(VEC_USER_RETURN, 0xE, 3);
  idt_set_handler(VEC_USER_RETURN, on_user_return);
}

void check_u32(const char* what, uint32_t got, uint32_t want) {
  printf("%-40s %08x %s\n", what, got, got == want ? "ok" : "FAIL");
  if (got != want) {
    printf("  expected %08x\n", want);
    sys_failures++;
  }
}

void check_true(const char* what, int ok) {
  printf("%-40s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) sys_failures++;
}
