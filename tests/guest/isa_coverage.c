/* Instruction-set coverage, compared with QEMU: a C integer mix (the compiler's
 * choice of MUL/DIV/IMUL, 64-bit helpers, SHLD/SHRD, ADC/SBB, SETcc, CMOVcc,
 * BSF/BSR, BSWAP), then the sequences of isa_code.asm (multi-precision ADC/SBB,
 * RCL/RCR, rotates and double shifts, BCD, bit strings, conditions, atomics,
 * string instructions, ENTER/LEAVE/PUSHA, 16-bit operand size), segment
 * registers with a GDT this program loads (far pointer loads LDS..LSS, MOV/PUSH/
 * POP Sreg, FS/GS/ES/SS/CS overrides with non-zero bases, LSL/VERR/VERW), far
 * CALL/JMP/RETF/IRETD, and a far call into a 16-bit code segment. Each section
 * prints a checksum or values; QEMU's transcript is the expected one. */
#include "cpu.h"
#include "runtime.h"

uint32_t mp_addsub(uint32_t* d, const uint32_t* a, const uint32_t* b, int n);
uint32_t bit_reverse(uint32_t x);
uint32_t rot_mix(uint32_t x, uint32_t y, uint32_t c);
uint32_t bcd_add(uint32_t a, uint32_t b);
uint32_t sieve(uint32_t* bits, uint32_t n);
uint32_t bt_mix(uint32_t* centre, int32_t off);
uint32_t cond_mix(uint32_t a, uint32_t b);
uint32_t atomics(uint32_t* p, uint32_t a, uint32_t b);
uint32_t str_mix(uint8_t* buf, const uint8_t* table, uint32_t n);
uint32_t frames(uint32_t x);
uint32_t ops16(uint32_t a, uint32_t b);
uint32_t seg_loads(const void* farptrs);
uint32_t lss_switch(uint32_t* farptr);
uint32_t far_transfers(uint32_t code_sel);
uint32_t seg_info(uint32_t sel);
uint32_t call16(uint32_t code_sel, uint32_t data_sel);
extern uint8_t code16_start[], code16_end[];

static uint32_t rng = 0x2545F491;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static uint32_t ck;
static void fold(uint32_t v) { ck = (ck ^ v) * 0x01000193u + (ck >> 27); }
static uint32_t special(void) {
  static const uint32_t s[] = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};
  uint32_t r = rnd();
  return (r & 3) == 0 ? s[(r >> 2) % 11] : rnd();
}

/* The compiler's integer code on random and boundary values. */
__attribute__((noinline)) static uint32_t c_mix(uint32_t n) {
  uint32_t h = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t a = special(), b = special() | 1;
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    uint64_t wide = ((uint64_t)a << 32) | b;
    h += a * b;
    h ^= a / b + a % b;
    if (!(sa == (int32_t)0x80000000 && sb == -1)) h += (uint32_t)(sa / sb) ^ (uint32_t)(sa % sb);
    h += (uint32_t)(((uint64_t)a * b) >> 32) + (uint32_t)(((int64_t)sa * sb) >> 32);
    h ^= (uint32_t)(wide / (b | 0x10000)) + (uint32_t)(wide % (b | 0x10000));
    h += (uint32_t)((int64_t)wide >> (a & 63)) + (uint32_t)(wide << (b & 63) >> 32);
    h ^= (a << (b & 31)) | (a >> (32 - (b & 31)) % 32);
    h += sa >> (b & 31);
    h += (a < b) ? a : b;
    h ^= (sa < sb) ? (uint32_t)sa : b;
    h += (uint32_t)(uint16_t)a * (uint16_t)b + (uint32_t)(int8_t)a;
    h ^= __builtin_bswap32(a) + (uint32_t)__builtin_clz(b) + (uint32_t)__builtin_ctz(b);
    h += (a == b) + (a > b) * 2 + (sa <= sb) * 4 + ((a & b) != 0) * 8;
    h = (h << 5) | (h >> 27);
  }
  return h;
}

/* 16-bit data block for the 16-bit code: 16 input words, then results. */
static uint16_t data16[64] __attribute__((aligned(16)));
static uint32_t win[1024] __attribute__((aligned(16))); /* window of the data segment with a base */

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  serial_init();
  cpu_init();
  printf("isa_coverage\n");

  printf("c integer mix          %08x\n", c_mix(3000));

  ck = 0;
  uint32_t a[8], b[8], d[8];
  for (int r = 0; r < 200; r++) {
    for (int i = 0; i < 8; i++) a[i] = special(), b[i] = special();
    fold(mp_addsub(d, a, b, 8));
    for (int i = 0; i < 8; i++) fold(d[i]);
  }
  printf("adc/sbb chains         %08x\n", ck);

  ck = 0;
  for (int r = 0; r < 300; r++) {
    uint32_t x = special(), y = special(), c = rnd() % 40;
    fold(bit_reverse(x));
    fold(rot_mix(x, y, c));
  }
  printf("rotates, shld/shrd     %08x\n", ck);

  ck = 0;
  for (int r = 0; r < 300; r++) {
    uint32_t x = rnd(), y = rnd();
    uint32_t bx = 0, by = 0;
    for (int k = 0; k < 4; k++) bx |= ((x >> (8 * k)) % 10) << (4 * k), by |= ((y >> (8 * k)) % 10) << (4 * k);
    fold(bcd_add(bx, by));
  }
  printf("bcd                    %08x\n", ck);

  static uint32_t bits[2048];
  printf("sieve primes < 50000   %u\n", sieve(bits, 50000));
  ck = 0;
  for (int r = 0; r < 300; r++) {
    int32_t off = (int32_t)(rnd() % 16000) - 8000;
    fold(bt_mix(&bits[1024], off));
  }
  printf("bt/bts/btr/btc         %08x\n", ck);

  ck = 0;
  for (int r = 0; r < 500; r++) fold(cond_mix(special(), special()));
  printf("setcc/cmovcc/lahf      %08x\n", ck);

  ck = 0;
  static uint32_t cell[2];
  for (int r = 0; r < 200; r++) {
    cell[0] = special(), cell[1] = special();
    fold(atomics(cell, special(), special()));
    fold(cell[0]), fold(cell[1]);
  }
  printf("xchg/xadd/cmpxchg(8b)  %08x\n", ck);

  ck = 0;
  static uint8_t buf[2048], table[256];
  for (int i = 0; i < 256; i++) table[i] = (uint8_t)(i * 7 + 3);
  for (int r = 0; r < 20; r++) {
    for (int i = 0; i < 2048; i++) buf[i] = (uint8_t)rnd();
    fold(str_mix(buf, table, 100 + 20 * (uint32_t)r));
    for (int i = 0; i < 2048; i += 4) fold(*(uint32_t*)&buf[i]);
  }
  printf("string instructions    %08x\n", ck);

  ck = 0;
  for (int r = 0; r < 50; r++) fold(frames(special()));
  printf("enter/leave/pusha      %08x\n", ck);

  ck = 0;
  for (int r = 0; r < 300; r++) fold(ops16(special(), special()));
  printf("16-bit operand size    %08x\n", ck);

  /* Segments: spare GDT entries: a data segment whose base is win[], a 16-bit
   * code segment whose base is code16_start, a 16-bit data segment on data16. */
  const int S_WIN = GDT_FIRST_SPARE, S_C16 = GDT_FIRST_SPARE + 1, S_D16 = GDT_FIRST_SPARE + 2;
  gdt_set(S_WIN, (uint32_t)win, sizeof(win) - 1, GDT_ACC_DATA, 0x4);
  gdt_set(S_C16, (uint32_t)code16_start, (uint32_t)(code16_end - code16_start) - 1, GDT_ACC_CODE, GDT_FLAGS_16);
  gdt_set(S_D16, (uint32_t)data16, sizeof(data16) - 1, GDT_ACC_DATA, GDT_FLAGS_16);
  gdt_reload();
  for (int i = 0; i < 1024; i++) win[i] = 0x01010101u * (uint32_t)i ^ 0xA5000000u;
  struct __attribute__((packed)) {
    uint32_t off;
    uint16_t sel, pad;
    uint16_t off16, sel16;
    uint32_t scratch[4];
  } fp = {0, (uint16_t)(S_WIN * 8), 0, 16, (uint16_t)(S_WIN * 8), {0}};
  printf("far pointer loads      %08x\n", seg_loads(&fp));
  printf("write through es       %08x\n", win[3]);
  uint32_t lss_ptr[4] = {256, S_WIN * 8, 0, 0};
  uint32_t lss = lss_switch(lss_ptr);
  printf("lss to a based stack   %08x (win[63] %08x win[62] %08x)\n", lss, win[63], win[62]);
  printf("far call/jmp/iret      %08x\n", far_transfers(SEL_CODE32));
  printf("lsl/verr/verw          %08x %08x %08x %08x\n", seg_info(SEL_CODE32), seg_info(SEL_DATA32),
         seg_info(SEL_CODE16), seg_info(S_WIN * 8));

  for (int i = 0; i < 16; i++) data16[i] = (uint16_t)(0x1111 * i + 0xF00D);
  call16((uint32_t)S_C16 * 8, (uint32_t)S_D16 * 8);
  printf("16-bit code segment   ");
  for (int i = 16; i < 30; i++) printf(" %04x", data16[i]);
  printf("\n");
  return 0;
}
