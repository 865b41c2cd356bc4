/* GDT, IDT and exception dispatch of the guest runtime (see cpu.h). */
#include "cpu.h"

#include "runtime.h"

struct gdt_entry {
  uint16_t limit_lo, base_lo;
  uint8_t base_mid, access, limit_hi_flags, base_hi;
} __attribute__((packed));

struct idt_gate {
  uint16_t off_lo, sel;
  uint8_t zero, type_attr;
  uint16_t off_hi;
} __attribute__((packed));

struct dtr {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

static struct gdt_entry gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static struct idt_gate idt[256] __attribute__((aligned(8)));
static trap_handler handlers[256];
extern const uint32_t isr_table[256];

guest_jmp_buf trap_jb;
volatile int trap_armed;
struct trap_frame trap_caught;
uint32_t trap_caught_esp;

void gdt_set(int i, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  gdt[i].limit_lo = (uint16_t)limit;
  gdt[i].base_lo = (uint16_t)base;
  gdt[i].base_mid = (uint8_t)(base >> 16);
  gdt[i].access = access;
  gdt[i].limit_hi_flags = (uint8_t)(((limit >> 16) & 0xF) | (flags << 4));
  gdt[i].base_hi = (uint8_t)(base >> 24);
}

void gdt_reload(void) {
  struct dtr d = {sizeof(gdt) - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0" ::"m"(d));
}

void idt_set_gate(int v, int type, int dpl) {
  idt[v].off_lo = (uint16_t)isr_table[v];
  idt[v].off_hi = (uint16_t)(isr_table[v] >> 16);
  idt[v].sel = SEL_CODE32;
  idt[v].zero = 0;
  idt[v].type_attr = (uint8_t)(0x80 | (dpl << 5) | type);
}

void idt_set_handler(int v, trap_handler fn) { handlers[v] = fn; }

void cpu_init(void) {
  memset(gdt, 0, sizeof(gdt));
  gdt_set(1, 0, 0xFFFFF, GDT_ACC_CODE, GDT_FLAGS_32);
  gdt_set(2, 0, 0xFFFFF, GDT_ACC_DATA, GDT_FLAGS_32);
  gdt_set(3, 0, 0xFFFF, GDT_ACC_CODE, GDT_FLAGS_16);
  gdt_set(4, 0, 0xFFFF, GDT_ACC_DATA, GDT_FLAGS_16);
  gdt_reload();
  __asm__ volatile(
      "ljmp %0, $1f\n"
      "1: movw %1, %%ax\n"
      "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%fs\n movw %%ax, %%gs\n movw %%ax, %%ss\n"
      ::"i"(SEL_CODE32), "i"(SEL_DATA32) : "eax", "memory");
  for (int v = 0; v < 256; v++) idt_set_gate(v, 0xE, 0);
  struct dtr d = {sizeof(idt) - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0" ::"m"(d));
}

const char* trap_name(uint32_t v) {
  static const char* const names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                                      "#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM"};
  return v < sizeof(names) / sizeof(names[0]) ? names[v] : "INT";
}

void trap_dispatch(struct trap_frame* f);
void trap_dispatch(struct trap_frame* f) {
  if (handlers[f->vector & 0xFF]) {
    handlers[f->vector & 0xFF](f);
    return;
  }
  if (trap_armed) {
    trap_armed = 0;
    trap_caught = *f;
    trap_caught_esp = trap_frame_esp(f);
    guest_longjmp(trap_jb, 1);
  }
  printf("unexpected exception %u (%s) error %x at %04x:%08x eflags %08x\n", f->vector, trap_name(f->vector),
         f->error, f->cs, f->eip, f->eflags);
  guest_exit(TRAP_EXIT_CODE);
}
