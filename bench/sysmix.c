/* sysmix: a system-level workload for comparing kasou with QEMU TCG (there is no
 * native counterpart: it runs at CPL0 with its own page tables and IDT).
 *
 * Each round: switch between two address spaces (CR3 reloads) that map the same
 * 4 MiB linear window onto different physical memory, touch every page of the
 * window (TLB misses, A/D bits), INVLPG a few pages, make a storm of INT n calls
 * to a handler through the IDT, and a storm of ring 3 -> ring 0 -> ring 3 round
 * trips (INT through a DPL3 trap gate, IRET back). The checksum over what was
 * read must be the same everywhere. Scale: rounds (kernel command line
 * "scale=N", default SYSMIX_DEFAULT_SCALE). */
#include "cpu.h"
#include "runtime.h"

#define SYSMIX_DEFAULT_SCALE 40
#define WINDOW 0x40000000u     /* linear address of the switched window */
#define WINDOW_PAGES 1024u     /* 4 MiB */
#define PHYS_A 0x01000000u     /* 16 MiB: backing of address space A */
#define PHYS_B 0x01400000u     /* 20 MiB: backing of address space B */
#define INT_STORM 20000
#define USER_CALLS 5000

static uint32_t pd_a[1024] __attribute__((aligned(4096)));
static uint32_t pd_b[1024] __attribute__((aligned(4096)));
static uint32_t low_tables[8][1024] __attribute__((aligned(4096)));  /* identity 0..32 MiB */
static uint32_t win_a[1024] __attribute__((aligned(4096)));
static uint32_t win_b[1024] __attribute__((aligned(4096)));
static volatile uint32_t ticks;
static uint8_t user_stack[8192] __attribute__((aligned(16)));
static uint8_t tss[104] __attribute__((aligned(16)));

static void on_int(struct trap_frame* f) { ticks += f->eax + 1; }
static void on_syscall(struct trap_frame* f) { f->eax = f->eax * 3 + 1; ticks++; }

static uint32_t parse_scale(uint32_t info) {
  uint32_t flags = *(uint32_t*)info;
  if (!(flags & 4)) return SYSMIX_DEFAULT_SCALE;
  const char* c = (const char*)*(uint32_t*)(info + 16);
  for (; *c; c++) {
    if (c[0] == 's' && c[1] == 'c' && c[2] == 'a' && c[3] == 'l' && c[4] == 'e' && c[5] == '=') {
      uint32_t v = 0;
      for (c += 6; *c >= '0' && *c <= '9'; c++) v = v * 10 + (uint32_t)(*c - '0');
      return v;
    }
  }
  return SYSMIX_DEFAULT_SCALE;
}

static void setup_paging(void) {
  for (int t = 0; t < 8; t++)
    for (int i = 0; i < 1024; i++) low_tables[t][i] = ((uint32_t)(t * 1024 + i) << 12) | 0x7; /* user, rw */
  for (int i = 0; i < 1024; i++) {
    win_a[i] = (PHYS_A + ((uint32_t)i << 12)) | 0x7;
    win_b[i] = (PHYS_B + ((uint32_t)i << 12)) | 0x7;
  }
  for (int t = 0; t < 8; t++) pd_a[t] = pd_b[t] = (uint32_t)low_tables[t] | 0x7;
  pd_a[WINDOW >> 22] = (uint32_t)win_a | 0x7;
  pd_b[WINDOW >> 22] = (uint32_t)win_b | 0x7;
  __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80000000, %%eax; mov %%eax, %%cr0"
                   :: "r"(pd_a) : "eax", "memory");
}

static inline void set_cr3(uint32_t* pd) { __asm__ volatile("mov %0, %%cr3" :: "r"(pd) : "memory"); }

/* Ring 3: a DPL3 code and data segment and a TSS for the way back to ring 0. */
#define SEL_UCODE ((GDT_FIRST_SPARE + 0) * 8 + 3)
#define SEL_UDATA ((GDT_FIRST_SPARE + 1) * 8 + 3)
#define SEL_TSS ((GDT_FIRST_SPARE + 2) * 8)

static void setup_user(void) {
  gdt_set(GDT_FIRST_SPARE + 0, 0, 0xFFFFF, 0xFA, GDT_FLAGS_32);
  gdt_set(GDT_FIRST_SPARE + 1, 0, 0xFFFFF, 0xF2, GDT_FLAGS_32);
  uint32_t esp0;
  __asm__ volatile("mov %%esp, %0" : "=r"(esp0));
  *(uint32_t*)(tss + 4) = esp0 - 4096; /* ESP0, below our own frames */
  *(uint32_t*)(tss + 8) = SEL_DATA32;  /* SS0 */
  *(uint16_t*)(tss + 102) = 104;       /* no I/O bitmap */
  gdt_set(GDT_FIRST_SPARE + 2, (uint32_t)tss, 103, 0x89, 0);
  gdt_reload();
  __asm__ volatile("ltr %w0" :: "r"((uint16_t)SEL_TSS));
  idt_set_handler(0x80, on_syscall);
  idt_set_gate(0x80, 0xF, 3);
}

/* Ring 3 code: `calls` system calls (INT 0x80) folding their results, then
 * INT 0x81 to come back to ring 0 for good. ECX = seed, ESI = calls. */
__asm__(".text\n.globl user_loop\nuser_loop:\n"
        "  xorl %ebx, %ebx\n"
        "1: movl %ecx, %eax\n"
        "  int $0x80\n"
        "  addl %eax, %ebx\n"
        "  roll $3, %ebx\n"
        "  decl %esi\n"
        "  jnz 1b\n"
        "  movl %ebx, %eax\n"
        "  int $0x81\n"
        "2: jmp 2b\n");
extern char user_loop[];

static guest_jmp_buf user_jb;
static uint32_t user_result;

/* INT 0x81 from ring 3: back to the kernel context saved by user_round. */
static void on_exit_user(struct trap_frame* f) {
  user_result = f->eax;
  guest_longjmp(user_jb, 1);
}

static uint32_t user_round(uint32_t seed, int calls) {
  if (guest_setjmp(user_jb) == 0) {
    __asm__ volatile(
        "movw %w[uds], %%dx\n"
        "movw %%dx, %%ds\n"
        "movw %%dx, %%es\n"
        "pushl %[uds]\n"     /* SS */
        "pushl %[ustack]\n"  /* ESP */
        "pushfl\n"
        "pushl %[ucs]\n"     /* CS */
        "pushl %[entry]\n"   /* EIP */
        "iretl\n"
        :
        : "c"(seed), "S"(calls), [uds] "i"(SEL_UDATA), [ucs] "i"(SEL_UCODE),
          [ustack] "r"((uint32_t)(user_stack + sizeof user_stack)), [entry] "r"((uint32_t)user_loop)
        : "edx", "memory");
    __builtin_unreachable();
  }
  return user_result;
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic;
  serial_init();
  cpu_init();
  const uint32_t scale = parse_scale(info);
  setup_paging();
  setup_user();
  idt_set_handler(0x40, on_int);
  idt_set_handler(0x81, on_exit_user);
  idt_set_gate(0x81, 0xF, 3);
  uint32_t sum = 0;
  for (uint32_t round = 0; round < scale; round++) {
    for (int space = 0; space < 8; space++) {
      set_cr3((space & 1) ? pd_b : pd_a);
      volatile uint32_t* w = (volatile uint32_t*)WINDOW;
      for (uint32_t p = 0; p < WINDOW_PAGES; p++) {
        uint32_t* word = (uint32_t*)((uint8_t*)w + (p << 12) + ((p * 52 + round * 4) & 0xFFC));
        *word += p ^ round ^ (uint32_t)space;
        sum = (sum << 5 | sum >> 27) ^ *word;
      }
      for (uint32_t p = 0; p < 16; p++)
        __asm__ volatile("invlpg (%0)" :: "r"(WINDOW + ((p * 61 + round) & (WINDOW_PAGES - 1)) * 4096) : "memory");
    }
    for (int i = 0; i < INT_STORM; i++) {
      uint32_t a = (uint32_t)i & 7;
      __asm__ volatile("int $0x40" : "+a"(a) :: "memory");
    }
    sum ^= ticks;
    sum += user_round(round, USER_CALLS);
  }
  printf("sysmix: scale=%u checksum=%08x\n", scale, sum);
  return 0;
}
