/* Bad state that ends in a triple fault, chosen by the multiboot command line:
 *   cr3   paging turned on with CR3 at an empty page directory: the next fetch
 *         page-faults, and so does every delivery (the IDT is unmapped);
 *   idt   LIDT with a bogus base and a limit too small for any vector: #UD, then
 *         #GP, #DF and the triple fault;
 *   gdt   LGDT of garbage, then a segment load: #GP, whose delivery needs the
 *         garbage code descriptor, then #DF and the triple fault;
 *   loop  a #GP handler that returns to the faulting instruction forever (for
 *         --max-instructions and --timeout).
 * The program prints "triggering <case>"; with QEMU's -no-reboot (and kasou's
 * default) the machine stops there, so a line "continued" means it did not. */
#include "sys_lib.h"

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static uint32_t empty_pd[1024] __attribute__((aligned(4096)));
static uint8_t garbage[64] __attribute__((aligned(8)));

/* Whether the command line has `w` as a whole word. */
static int has_word(const char* s, const char* w) {
  const unsigned n = strlen(w);
  for (const char* p = s; *p; p++)
    if ((p == s || p[-1] == ' ') && memcmp(p, w, n) == 0 && (p[n] == 0 || p[n] == ' ')) return 1;
  return 0;
}

static void on_gp_retry(struct trap_frame* f) { (void)f; /* IRET to the same instruction */ }

int guest_main(uint32_t magic, uint32_t info) {
  sys_init();
  const struct multiboot_info* mbi = (const struct multiboot_info*)info;
  const char* cmdline = (magic == 0x2BADB002 && (mbi->flags & 4)) ? (const char*)mbi->cmdline : "";
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) d;
  for (unsigned i = 0; i < sizeof(garbage); i++) garbage[i] = (uint8_t)(0x5A ^ (i * 37));

  if (has_word(cmdline, "cr3")) {
    printf("triggering cr3\n");
    write_cr3((uint32_t)empty_pd);
    write_cr0(read_cr0() | 0x80000000u);
  } else if (has_word(cmdline, "idt")) {
    printf("triggering idt\n");
    d.limit = 0x10;
    d.base = 0xFFFF0000u;
    __asm__ volatile("lidt %0\n ud2" ::"m"(d));
  } else if (has_word(cmdline, "gdt")) {
    printf("triggering gdt\n");
    d.limit = sizeof(garbage) - 1;
    d.base = (uint32_t)garbage;
    __asm__ volatile("lgdt %0\n mov %1, %%ds" ::"m"(d), "r"(0x10) : "memory");
  } else if (has_word(cmdline, "loop")) {
    printf("triggering loop\n");
    idt_set_handler(13, on_gp_retry);
    __asm__ volatile("mov %0, %%ds" ::"r"(0x1238) : "memory");
  } else {
    printf("no case on the command line '%s'\n", cmdline);
    return 1;
  }
  printf("continued\n");
  return 2;
}
