/* Self-modifying code: a function rewritten after it ran (immediate, opcode),
 * a store into the very next instruction of the same block and into a later one,
 * a patched block reached through chained jumps, a loop rewriting its own
 * immediate, new code copied with REP MOVSB, code written through an alias data
 * segment and executed through an alias code segment (non-zero base), code
 * written and executed through two virtual mappings of one physical page, and a
 * data variable on a code page. Every result is printed and checked; the exit
 * code is the number of failed checks. */
#include "cpu.h"
#include "runtime.h"

extern uint8_t smc_imm[], smc_op_insn[], smc_next_imm[], smc_chain_b[], smc_selfloop_imm[], smc_where[],
    smc_where_imm[], tmpl_a[], tmpl_b[], tmpl_end[], code_slot[], smc_page_fn[];
uint32_t smc_imm_call(void) __asm__("smc_imm");
uint32_t smc_op(uint32_t a, uint32_t b);
uint32_t smc_next(void);
uint32_t smc_later(uint32_t v);
uint32_t smc_chain_a(uint32_t n);
uint32_t smc_selfloop(uint32_t n);
uint32_t far_call(uint32_t sel, uint32_t off);
void es_write8(uint32_t sel, uint32_t off, uint32_t v);
void rep_movsb(void* dst, const void* src, uint32_t n);
uint32_t smc_samepage(uint32_t n);
void paging_on(uint32_t* pd);
void paging_off(void);

static int failures;
static void check(const char* what, uint32_t got, uint32_t want) {
  printf("%-34s %08x %s\n", what, got, got == want ? "ok" : "FAIL");
  if (got != want) {
    printf("  expected %08x\n", want);
    failures++;
  }
}

static void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

#define SEL_DATA_ALIAS (GDT_FIRST_SPARE * 8)
#define SEL_CODE_ALIAS ((GDT_FIRST_SPARE + 1) * 8)
#define DATA_ALIAS_BASE 0x10000u
#define CODE_ALIAS_BASE 0x1000u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[5][1024] __attribute__((aligned(4096)));
#define ALIAS_VA 0x40000000u

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  serial_init();
  cpu_init();
  printf("smc: self-modifying code\n");

  /* 1. Rewrite an immediate of a function that already ran (many times). */
  uint32_t v = 0;
  for (int i = 0; i < 100; i++) v = smc_imm_call();
  check("imm before", v, 0x11111111);
  put32(smc_imm + 1, 0x22222222);
  check("imm after patch", smc_imm_call(), 0x22222222);
  for (uint32_t i = 0; i < 50; i++) {
    put32(smc_imm + 1, i * 0x01010101u);
    if (smc_imm_call() != i * 0x01010101u) break;
    v = i;
  }
  check("imm patched 50 times", v, 49);

  /* 2. Rewrite an opcode. */
  for (int i = 0; i < 100; i++) v = smc_op(100, 7);
  check("add", v, 107);
  smc_op_insn[0] = 0x29; /* sub eax, ecx */
  check("add -> sub", smc_op(100, 7), 93);
  smc_op_insn[0] = 0x31; /* xor eax, ecx */
  check("sub -> xor", smc_op(100, 7), 100 ^ 7);
  smc_op_insn[0] = 0x01;

  /* 3. A store into the next instruction of the same block. */
  v = 0;
  for (int i = 0; i < 5; i++) v = v * 16 + smc_next();
  check("store into next insn", v, 0x12345);

  /* 4. A store into a later instruction of the same block. */
  check("store into later insn 1", smc_later(1), 4);
  check("store into later insn 2", smc_later(0x10), 0x13);
  for (uint32_t i = 0; i < 40; i++) v = smc_later(i);
  check("store into later insn 40x", v, 42);

  /* 5. Patch a block that is reached through (chained) direct jumps. */
  check("chain 1000 x 1", smc_chain_a(1000), 1000);
  put32(smc_chain_b + 1, 3);
  check("chain 1000 x 3", smc_chain_a(1000), 3000);
  smc_chain_b[0] = 0x31; /* xor eax, eax (31 c0) then 2 bytes of the old imm: */
  smc_chain_b[1] = 0xC0;
  smc_chain_b[2] = 0x40; /* inc eax */
  smc_chain_b[3] = 0x40; /* inc eax */
  smc_chain_b[4] = 0x90; /* nop */
  check("chain rewritten to xor/inc/inc", smc_chain_a(500), 1000);

  /* 6. A loop that rewrites its own immediate on every iteration. */
  *smc_selfloop_imm = 1;
  check("self-incrementing loop 10", smc_selfloop(10), 55);
  *smc_selfloop_imm = 1;
  uint32_t want = 0;
  for (int k = 1; k <= 200; k++) want += (uint32_t)(int32_t)(int8_t)k; /* a sign-extended imm8 */
  check("self-incrementing loop 200", smc_selfloop(200), want);

  /* 7. New code copied with REP MOVSB into a slot that already ran. */
  uint32_t sum = 0;
  want = 0;
  uint32_t (*slot)(uint32_t) = (uint32_t (*)(uint32_t))(void*)code_slot;
  for (uint32_t i = 0; i < 20; i++) {
    if (i & 1) rep_movsb(code_slot, tmpl_b, (uint32_t)(tmpl_end - tmpl_b));
    else rep_movsb(code_slot, tmpl_a, (uint32_t)(tmpl_b - tmpl_a));
    sum = sum * 7 + slot(i);
    want = want * 7 + ((i & 1) ? 2 * i + 100 : 3 * i);
  }
  check("rep movsb new code 20x", sum, want);

  /* 8. Code written through a data segment whose base is not 0 (same linear address). */
  gdt_set(GDT_FIRST_SPARE, DATA_ALIAS_BASE, 0xFFFFF, GDT_ACC_DATA, GDT_FLAGS_32);
  gdt_set(GDT_FIRST_SPARE + 1, CODE_ALIAS_BASE, 0xFFFFF, GDT_ACC_CODE, GDT_FLAGS_32);
  gdt_reload();
  uint32_t imm_addr = (uint32_t)smc_imm + 1;
  for (int i = 0; i < 4; i++) es_write8(SEL_DATA_ALIAS, imm_addr - DATA_ALIAS_BASE + i, 0x30 + i);
  check("written through ES base 0x10000", smc_imm_call(), 0x33323130);

  /* 9. The same code run through the flat CS and through a CS with base 0x1000:
   * CALL pushes the offset, not the linear address. Then patch and rerun. */
  uint32_t here = far_call(SEL_CODE32, (uint32_t)smc_where);
  uint32_t here_alias = far_call(SEL_CODE_ALIAS, (uint32_t)smc_where - CODE_ALIAS_BASE);
  check("eip via flat cs - eip via alias cs", here - here_alias, CODE_ALIAS_BASE);
  check("eip via flat cs - smc_where", here - (uint32_t)smc_where, 5);
  *smc_where_imm = 0x20;
  check("patched, run via alias cs", far_call(SEL_CODE_ALIAS, (uint32_t)smc_where - CODE_ALIAS_BASE) - here_alias,
        0x20);
  es_write8(SEL_DATA_ALIAS, (uint32_t)smc_where_imm - DATA_ALIAS_BASE, 0x40);
  check("patched via es alias, run via alias cs",
        far_call(SEL_CODE_ALIAS, (uint32_t)smc_where - CODE_ALIAS_BASE) - here_alias, 0x40);
  check("... and via flat cs", far_call(SEL_CODE32, (uint32_t)smc_where) - here, 0x40);

  /* 10. Two virtual mappings of one physical page (identity map of 16 MiB, plus
   * the page of smc_page_fn at ALIAS_VA). */
  for (uint32_t t = 0; t < 4; t++) {
    for (uint32_t i = 0; i < 1024; i++) pt[t][i] = ((t * 1024 + i) << 12) | 3;
    pd[t] = (uint32_t)pt[t] | 3;
  }
  uint32_t page = (uint32_t)smc_page_fn & ~0xFFFu;
  pt[4][0] = page | 3;
  pt[4][1] = (page + 0x1000) | 3;
  pd[ALIAS_VA >> 22] = (uint32_t)pt[4] | 3;
  uint8_t* alias = (uint8_t*)(ALIAS_VA + ((uint32_t)smc_page_fn & 0xFFF));
  uint32_t (*fn_ident)(void) = (uint32_t (*)(void))(void*)smc_page_fn;
  uint32_t (*fn_alias)(void) = (uint32_t (*)(void))(void*)alias;
  paging_on(pd);
  check("paging: identity before", fn_ident(), 0x11111111);
  check("paging: alias before", fn_alias(), 0x11111111);
  put32(alias + 1, 0x22222222);
  check("written via alias, run identity", fn_ident(), 0x22222222);
  check("written via alias, run alias", fn_alias(), 0x22222222);
  put32(smc_page_fn + 1, 0x33333333);
  check("written identity, run alias", fn_alias(), 0x33333333);
  for (uint32_t i = 0; i < 30; i++) {
    put32((i & 1) ? alias + 1 : smc_page_fn + 1, i);
    v = (i & 2) ? fn_alias() : fn_ident();
    if (v != i) break;
  }
  check("alternating 30x", v, 29);
  paging_off();

  /* 11. Data on a code page, written in a loop on that page. */
  check("variable on the code page", smc_samepage(10000), 10000);

  printf("smc: %d failures\n", failures);
  return failures;
}
