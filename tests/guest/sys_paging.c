/* Paging built by the program itself. 2-level: 4 MiB (PSE) and 4 KiB pages,
 * translations through two linear aliases of one physical page, accessed and
 * dirty bits (PTE, PDE, 4 MiB page), #PF error codes and CR2 (not present, write
 * to read-only with and without CR0.WP), INVLPG, a CR3 reload onto other tables,
 * global pages with CR4.PGE, and code rewritten through an alias mapping while it
 * runs through another. PAE: 2 MiB and 4 KiB pages, A/D bits, NX with EFER.NXE
 * (instruction fetch #PF with the I/D bit, data reads allowed), bit 63 reserved
 * without NXE and reserved address bits.
 *
 * Reserved-bit faults print their error code without P: QEMU 7.2 reports RSVD
 * without P, the SDM sets both (checked in tests/unit). TLB contents after a
 * page-table change without INVLPG are not printed (implementation-defined). */
#include "sys_lib.h"

#define PTE_P 0x1u
#define PTE_W 0x2u
#define PTE_U 0x4u
#define PTE_A 0x20u
#define PTE_D 0x40u
#define PTE_PS 0x80u
#define PTE_G 0x100u
#define CR0_PG 0x80000000u
#define CR0_WP 0x10000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define VA 0x40000000u

/* volatile: the CPU writes A/D bits and the program reads pages through aliases
 * the compiler cannot see. */
static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pd2[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt2[1024] __attribute__((aligned(4096)));
static volatile uint32_t page[4][1024] __attribute__((aligned(4096)));
static volatile uint8_t code_page[4096] __attribute__((aligned(4096)));
/* An instruction across a page boundary: its head page, two tails to map after it. */
static volatile uint8_t cross_head[4096] __attribute__((aligned(4096)));
static volatile uint8_t cross_tail[2][4096] __attribute__((aligned(4096)));
static volatile uint8_t remap_code[2][4096] __attribute__((aligned(4096)));
static volatile uint8_t where_code[4096] __attribute__((aligned(4096)));

static volatile uint64_t pdpt[4] __attribute__((aligned(32)));
static volatile uint64_t ppd0[512] __attribute__((aligned(4096)));
static volatile uint64_t ppd1[512] __attribute__((aligned(4096)));
static volatile uint64_t ppt[512] __attribute__((aligned(4096)));

static void vclear(volatile void* p, unsigned n) {
  volatile uint8_t* b = p;
  while (n--) *b++ = 0;
}

static volatile uint32_t* at(uint32_t va) { return (volatile uint32_t*)va; }

/* Reads or writes a linear address expecting a #PF; prints error code and CR2. */
static void expect_pf(const char* what, uint32_t va, int write, uint32_t want_err, uint32_t err_mask) {
  if (TRAP_TRY()) {
    if (write) *at(va) = 1;
    else (void)*at(va);
    trap_end();
    printf("%-40s no fault FAIL\n", what);
    sys_failures++;
    return;
  }
  const uint32_t err = trap_caught.error & err_mask, cr2 = read_cr2();
  const int ok = trap_caught.vector == 14 && err == want_err && cr2 == va;
  printf("%-40s %s error %02x cr2 %08x %s\n", what, trap_name(trap_caught.vector), err, cr2, ok ? "ok" : "FAIL");
  if (!ok) sys_failures++;
}

/* Calls code at `va` expecting a #PF on the fetch. */
static void expect_fetch_pf(const char* what, uint32_t va, uint32_t want_err) {
  if (TRAP_TRY()) {
    ((void (*)(void))va)();
    trap_end();
    printf("%-40s no fault FAIL\n", what);
    sys_failures++;
    return;
  }
  const int ok = trap_caught.vector == 14 && trap_caught.error == want_err && read_cr2() == va &&
                 trap_caught.eip == va;
  printf("%-40s %s error %02x cr2 %08x eip %08x %s\n", what, trap_name(trap_caught.vector), trap_caught.error,
         read_cr2(), trap_caught.eip, ok ? "ok" : "FAIL");
  if (!ok) sys_failures++;
}

/* A block that starts with INC (which leaves CF alone) and faults before any
   instruction writes CF: the #PF frame holds the CF from before the block. */
uint32_t inc_then_fault(uint32_t va);
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "inc_then_fault:\n mov ecx, [esp+4]\n stc\n jmp 1f\n1: inc eax\n mov edx, [ecx]\n add eax, eax\n ret\n"
        ".att_syntax prefix\n.popsection\n");
/* The same with INC of a memory operand (its TLB lookup must not leave its own
   flags in CF) and the fault on the next access. */
uint32_t inc_mem_then_fault(uint32_t va);
uint32_t inc_counter;
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "inc_mem_then_fault:\n mov ecx, [esp+4]\n stc\n jmp 1f\n"
        "1: inc dword ptr [inc_counter]\n mov edx, [ecx]\n add eax, eax\n ret\n"
        ".att_syntax prefix\n.popsection\n");

/* Calls fn(va), which sets CF and faults on va: the frame must hold CF = 1. */
static void expect_pf_cf_set(const char* what, const char* check, uint32_t (*fn)(uint32_t), uint32_t va) {
  if (TRAP_TRY()) {
    fn(va);
    trap_end();
    printf("%-40s no fault FAIL\n", what);
    sys_failures++;
    return;
  }
  check_u32(check, trap_caught.eflags & 1, 1);
}

/* mov eax, imm32; ret */
static void emit_mov_ret(volatile uint8_t* p, uint32_t imm) {
  p[0] = 0xB8;
  for (int i = 0; i < 4; i++) p[1 + i] = (uint8_t)(imm >> (8 * i));
  p[5] = 0xC3;
}

static void two_level(void) {
  printf("2-level paging\n");
  for (int i = 0; i < 1024; i++) pd[i] = i < 4 ? ((uint32_t)(i << 22) | PTE_P | PTE_W | PTE_PS) : 0;
  pd[VA >> 22] = (uint32_t)pt | PTE_P | PTE_W;
  pd[0x80000000u >> 22] = 0x00400000u | PTE_P | PTE_W | PTE_PS; /* 4 MiB page -> 4 MiB */
  vclear(pt, sizeof(pt));
  pt[0] = (uint32_t)page[0] | PTE_P | PTE_W;
  pt[1] = (uint32_t)page[0] | PTE_P | PTE_W; /* alias of the same page */
  pt[2] = (uint32_t)page[1] | PTE_P;         /* read-only */
  pt[4] = (uint32_t)page[2] | PTE_P | PTE_W | PTE_G;
  pt[5] = (uint32_t)code_page | PTE_P | PTE_W; /* alias of code_page */
  page[0][4] = 0x11110000;
  page[1][0] = 0x22220000;
  page[2][0] = 0x33330000;
  *(volatile uint32_t*)0x00400100 = 0x44440000;

  write_cr4(read_cr4() | CR4_PSE);
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);
  check_u32("read through the first mapping", *at(VA + 0x10), 0x11110000);
  check_u32("PTE 0 A/D after a read", pt[0] & (PTE_A | PTE_D), PTE_A);
  check_u32("PDE A after a read", pd[VA >> 22] & PTE_A, PTE_A);
  check_u32("PTE 1 untouched", pt[1] & (PTE_A | PTE_D), 0);
  *at(VA + 0x1010) = 0x11112222;
  check_u32("write through the alias, read back", *at(VA + 0x10), 0x11112222);
  check_u32("... and physically", page[0][4], 0x11112222);
  check_u32("PTE 1 A/D after a write", pt[1] & (PTE_A | PTE_D), PTE_A | PTE_D);
  check_u32("PTE 0 D still clear", pt[0] & PTE_D, 0);
  check_u32("PDE D never set (not a page)", pd[VA >> 22] & PTE_D, 0);
  check_u32("4 MiB page read", *at(0x80000100), 0x44440000);
  check_u32("4 MiB PDE A/D after a read", pd[0x200] & (PTE_A | PTE_D), PTE_A);
  *at(0x80000104) = 5;
  check_u32("4 MiB PDE A/D after a write", pd[0x200] & (PTE_A | PTE_D), PTE_A | PTE_D);

  expect_pf("#PF read, not present", VA + 0x3004, 0, 0, ~0u);
  expect_pf("#PF write, not present", VA + 0x3008, 1, 2, ~0u);
  expect_pf("#PF read, PDE not present", 0x50000000, 0, 0, ~0u);
  expect_pf_cf_set("#PF in a block starting with INC", "... CF from before the block in its frame",
                   inc_then_fault, VA + 0x3004);
  expect_pf_cf_set("#PF after INC of memory", "#PF after INC of memory: CF kept", inc_mem_then_fault,
                   VA + 0x3004);
  *at(VA + 0x2000) = 0x22223333; /* CR0.WP=0: supervisor writes ignore R/W */
  check_u32("write to read-only with WP=0", page[1][0], 0x22223333);
  write_cr0(read_cr0() | CR0_WP);
  expect_pf("#PF write to read-only with WP=1", VA + 0x2004, 1, 3, ~0u);
  check_u32("PTE 2 D (from the WP=0 write)", pt[2] & PTE_D, PTE_D);
  write_cr0(read_cr0() & ~CR0_WP);

  /* INVLPG: a PTE change is seen after INVLPG of its page. */
  pt[0] = (uint32_t)page[1] | PTE_P | PTE_W;
  invlpg(at(VA));
  check_u32("after PTE change + INVLPG", *at(VA), 0x22223333);

  /* CR3 reload: other tables map VA elsewhere. */
  for (int i = 0; i < 1024; i++) pd2[i] = pd[i];
  vclear(pt2, sizeof(pt2));
  pt2[0] = (uint32_t)page[2] | PTE_P | PTE_W;
  pd2[VA >> 22] = (uint32_t)pt2 | PTE_P | PTE_W;
  write_cr3((uint32_t)pd2);
  check_u32("after MOV CR3 to other tables", *at(VA), 0x33330000);
  write_cr3((uint32_t)pd);
  check_u32("back to the first tables", *at(VA), 0x22223333);

  /* Global pages: with CR4.PGE, a G=1 page; INVLPG and a PGE toggle drop it. */
  write_cr4(read_cr4() | CR4_PGE);
  check_u32("global page read", *at(VA + 0x4000), 0x33330000);
  pt[4] = (uint32_t)page[3] | PTE_P | PTE_W | PTE_G;
  page[3][0] = 0x55550000;
  invlpg(at(VA + 0x4000));
  check_u32("global page after INVLPG", *at(VA + 0x4000), 0x55550000);
  pt[4] = (uint32_t)page[2] | PTE_P | PTE_W | PTE_G;
  write_cr4(read_cr4() & ~CR4_PGE);
  check_u32("global page after clearing CR4.PGE", *at(VA + 0x4000), 0x33330000);

  /* Code written through one linear mapping runs through another. */
  uint32_t (*direct)(void) = (uint32_t(*)(void))(uintptr_t)code_page;
  uint32_t (*alias)(void) = (uint32_t(*)(void))(VA + 0x5000);
  volatile uint8_t* alias_bytes = (volatile uint8_t*)(VA + 0x5000);
  emit_mov_ret(alias_bytes, 0xC0DE0001);
  check_u32("code written via alias, run directly", direct(), 0xC0DE0001);
  emit_mov_ret(alias_bytes, 0xC0DE0002);
  check_u32("rewritten via alias, run directly", direct(), 0xC0DE0002);
  check_u32("run through the alias", alias(), 0xC0DE0002);
  emit_mov_ret(code_page, 0xC0DE0003);
  check_u32("rewritten directly, run via alias", alias(), 0xC0DE0003);
  for (int i = 0; i < 50; i++) alias_bytes[1] = (uint8_t)i;
  alias_bytes[1] = 0x04;
  check_u32("rewritten in a loop, run directly", direct(), 0xC0DE0004);

  /* mov eax, imm32 at VA+0x6FFE: opcode and one immediate byte on one page, the
     rest and the RET on the next, which is then mapped elsewhere and rewritten. */
  cross_head[0xFFE] = 0xB8;
  cross_head[0xFFF] = 0x11;
  const uint8_t tails[2][4] = {{0x22, 0x33, 0x44, 0xC3}, {0xAA, 0xBB, 0xCC, 0xC3}};
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < 4; i++) cross_tail[t][i] = tails[t][i];
  pt[6] = (uint32_t)cross_head | PTE_P | PTE_W;
  pt[7] = (uint32_t)cross_tail[0] | PTE_P | PTE_W;
  uint32_t (*cross)(void) = (uint32_t(*)(void))(VA + 0x6FFE);
  check_u32("instruction across a page boundary", cross(), 0x44332211);
  check_u32("... again", cross(), 0x44332211);
  pt[7] = (uint32_t)cross_tail[1] | PTE_P | PTE_W;
  invlpg(at(VA + 0x7000));
  check_u32("... after its second page is remapped", cross(), 0xCCBBAA11);
  cross_tail[1][0] = 0x55;
  check_u32("... after its second page is rewritten", cross(), 0xCCBB5511);
  cross_head[0xFFF] = 0x66;
  check_u32("... after its first page is rewritten", cross(), 0xCCBB5566);

  /* An indirect call to code whose page is remapped: INVLPG must reach the
     translator's caches too. */
  emit_mov_ret(remap_code[0], 0xC0DE0010);
  emit_mov_ret(remap_code[1], 0xC0DE0011);
  pt[8] = (uint32_t)remap_code[0] | PTE_P | PTE_W;
  uint32_t (*volatile remapped)(void) = (uint32_t(*)(void))(VA + 0x8000);
  uint32_t sum = 0;
  for (int i = 0; i < 3; i++) sum += remapped();
  check_u32("indirect calls to a mapped page", sum, 3 * 0xC0DE0010);
  pt[8] = (uint32_t)remap_code[1] | PTE_P | PTE_W;
  invlpg(at(VA + 0x8000));
  check_u32("... after the page is remapped + INVLPG", remapped(), 0xC0DE0011);

  /* Position-dependent code (call next; pop eax; ret: EAX = where it runs) in
     one physical page mapped at two linear addresses, as the vDSO is in every
     process: each mapping must see its own address. */
  where_code[0] = 0xE8;
  for (int i = 1; i < 5; i++) where_code[i] = 0;
  where_code[5] = 0x58;
  where_code[6] = 0xC3;
  pt[9] = (uint32_t)where_code | PTE_P | PTE_W;
  pt[10] = (uint32_t)where_code | PTE_P | PTE_W;
  uint32_t (*volatile where9)(void) = (uint32_t(*)(void))(VA + 0x9000);
  uint32_t (*volatile where10)(void) = (uint32_t(*)(void))(VA + 0xA000);
  check_u32("call/pop through the first mapping", where9(), VA + 0x9005);
  check_u32("... the same page through the second", where10(), VA + 0xA005);
  check_u32("... the first again", where9(), VA + 0x9005);

  /* Two address spaces with different code at one linear address (as two
     processes have), and a global code page mapped the same in both (as the
     kernel is), with CR4.PGE on: after each CR3 load an indirect call runs the
     current space's code, and the global page's code still runs. */
  /* (At different offsets in their pages, so that the translator's caches indexed
     by the low address bits keep both.) */
  emit_mov_ret(remap_code[0] + 0x10, 0xC0DE0020);
  emit_mov_ret(remap_code[1] + 0x10, 0xC0DE0021);
  emit_mov_ret(code_page + 0x20, 0xC0DE0022);
  for (int i = 0; i < 1024; i++) pd2[i] = pd[i];
  for (int i = 0; i < 1024; i++) pt2[i] = pt[i];
  pt[11] = (uint32_t)remap_code[0] | PTE_P | PTE_W;
  pt2[11] = (uint32_t)remap_code[1] | PTE_P | PTE_W;
  pt[12] = pt2[12] = (uint32_t)code_page | PTE_P | PTE_W | PTE_G;
  pd2[VA >> 22] = (uint32_t)pt2 | PTE_P | PTE_W;
  uint32_t (*volatile per_space)(void) = (uint32_t(*)(void))(VA + 0xB010);
  uint32_t (*volatile shared)(void) = (uint32_t(*)(void))(VA + 0xC020);
  write_cr4(read_cr4() | CR4_PGE);
  uint32_t sum_space = 0, sum_shared = 0;
  for (int i = 0; i < 8; i++) {
    write_cr3((uint32_t)(i & 1 ? pd2 : pd));
    sum_space += per_space();
    sum_shared += shared();
  }
  write_cr3((uint32_t)pd);
  write_cr4(read_cr4() & ~CR4_PGE);
  check_u32("one address, two spaces, CR3 loads", sum_space, 4 * 0xC0DE0020u + 4 * 0xC0DE0021u);
  check_u32("... a global code page in both", sum_shared, 8 * 0xC0DE0022u);

  write_cr0(read_cr0() & ~CR0_PG);
  write_cr4(read_cr4() & ~CR4_PSE);
}

static void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}

static void pae(void) {
  printf("PAE paging\n");
  const uint64_t P = PTE_P, W = PTE_W, PS = PTE_PS, NX = 1ull << 63;
  vclear(pdpt, sizeof(pdpt));
  vclear(ppd0, sizeof(ppd0));
  vclear(ppd1, sizeof(ppd1));
  vclear(ppt, sizeof(ppt));
  for (int i = 0; i < 8; i++) ppd0[i] = ((uint64_t)i << 21) | P | W | PS; /* 0-16 MiB in 2 MiB pages */
  ppd0[8] = 0x00400000u | P | W | PS | NX;                              /* 16 MiB: 2 MiB NX page at 4 MiB */
  pdpt[0] = (uint32_t)ppd0 | P;
  pdpt[1] = (uint32_t)ppd1 | P;
  ppd1[0] = (uint32_t)ppt | P | W; /* 0x40000000.. */
  ppt[0] = (uint32_t)page[0] | P | W;
  ppt[1] = (uint32_t)code_page | P | W | NX;
  ppt[2] = (uint32_t)code_page | P | W;
  ppt[3] = (uint32_t)page[1] | P | W | (1ull << 40); /* above the physical address width */
  ppt[4] = (uint32_t)page[2] | P;                    /* read-only */
  page[0][0] = 0xAAAA0000;
  emit_mov_ret(code_page, 0xC0DE00AE);

  write_cr3((uint32_t)pdpt);
  write_cr4(read_cr4() | CR4_PAE);
  write_cr0(read_cr0() | CR0_PG);
  check_u32("PAE read", *at(VA), 0xAAAA0000);
  check_u32("PAE PTE A/D after a read", (uint32_t)ppt[0] & (PTE_A | PTE_D), PTE_A);
  *at(VA + 4) = 1;
  check_u32("PAE PTE A/D after a write", (uint32_t)ppt[0] & (PTE_A | PTE_D), PTE_A | PTE_D);
  check_u32("PAE PDE A", (uint32_t)ppd1[0] & PTE_A, PTE_A);
  /* Without EFER.NXE, bit 63 is reserved. */
  expect_pf("#PF reserved NX bit (NXE=0), P masked", VA + 0x1000, 0, 8, ~1u);
  expect_pf("#PF reserved address bit, P masked", VA + 0x3000, 0, 8, ~1u);
  expect_pf("#PF write reserved, P masked", VA + 0x3004, 1, 0xA, ~1u);

  expect_pf("#PF reserved NX bit in a 2 MiB PDE", 0x01000100, 0, 8, ~1u);

  wrmsr(0xC0000080, rdmsr(0xC0000080) | (1u << 11));
  check_u32("2 MiB NX page read", *at(0x01000100), 0x44440000);
  check_u32("2 MiB PDE A/D after a read", (uint32_t)ppd0[8] & (PTE_A | PTE_D), PTE_A);
  *at(0x01000108) = 7;
  check_u32("2 MiB PDE A/D after a write", (uint32_t)ppd0[8] & (PTE_A | PTE_D), PTE_A | PTE_D);
  check_u32("data read from an NX page", *at(VA + 0x1001), *(volatile uint32_t*)(code_page + 1));
  check_u32("code runs from an executable alias", ((uint32_t(*)(void))(VA + 0x2000))(), 0xC0DE00AE);
  expect_fetch_pf("#PF fetch from an NX page", VA + 0x1000, 0x11);
  expect_fetch_pf("#PF fetch from an NX 2 MiB page", 0x01000200, 0x11);
  expect_fetch_pf("#PF fetch, not present (I/D set)", VA + 0x5000, 0x10);
  write_cr0(read_cr0() | CR0_WP);
  expect_pf("#PF write to read-only, WP=1", VA + 0x4000, 1, 3, ~0u);
  write_cr0(read_cr0() & ~(CR0_PG | CR0_WP));
  wrmsr(0xC0000080, rdmsr(0xC0000080) & ~(1ull << 11));
  write_cr4(read_cr4() & ~CR4_PAE);
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_paging: page tables built by the guest\n");
  two_level();
  pae();
  printf("sys_paging: %d failures\n", sys_failures);
  return sys_failures;
}
