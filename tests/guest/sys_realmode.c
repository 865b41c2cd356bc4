/* Protected mode -> 16-bit protected mode -> real mode and back, and unreal mode:
 * real-mode segment arithmetic (selector * 16), the 64 KiB wrap of 16-bit
 * effective addresses, SP and SI, 32-bit operands and addresses in 16-bit code,
 * memory above 1 MiB through FFFF:xxxx (A20 on), INT n and exceptions (#DE, #UD)
 * through the IVT with the FLAGS/CS/IP frame, far CALL/RETF, and a DS limit kept
 * from protected mode after the return to real mode. The real-mode code
 * (sys_realmode_code.asm) stores its results below 1 MiB; this file prints them. */
#include "sys_lib.h"

void rm_call(void);
extern uint8_t rm_blob[], rm_blob_end[];
extern uint16_t rm_int60_ret;
#define RM_BASE 0x6000
#define RES ((volatile uint8_t*)0x5000)

static uint16_t r16(int off) { return (uint16_t)(RES[off] | (RES[off + 1] << 8)); }
static uint32_t r32(int off) { return (uint32_t)r16(off) | ((uint32_t)r16(off + 2) << 16); }

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_realmode: to real mode and back\n");
  memcpy((void*)RM_BASE, rm_blob, (unsigned)(rm_blob_end - rm_blob));
  for (int i = 0; i < 64; i++) RES[i] = 0;
  *(volatile uint32_t*)0x00200000 = 0x2B2B2B2B;
  __asm__ volatile("cli");
  rm_call();
  check_u32("back in protected mode: CS", read_cs(), SEL_CODE32);
  check_u32("CS in real mode", r16(0), RM_BASE >> 4);
  check_u32("0701:0000 = 0700:0010", r16(2), 0xA55A);
  check_u32("0700:(FFF0+20) wraps to 0700:0010", RES[4], 0x5A);
  check_u32("SP after push at SP=0", r16(6), 0xFFFE);
  check_u32("pushed at 0800:FFFE = 0x17FFE", r16(8), 0x1234);
  check_u32("SI after LODSB at FFFF", r16(10), 0);
  check_u32("32-bit operand/address in 16-bit code", r32(12), 0x12345678);
  check_u32("FFFF:0010 = 0x100000 (multiboot magic)", r32(16), 0x1BADB002);
  check_u32("CF kept across INT/IRET", RES[20], 1);
  check_u32("DX set by the INT 0x60 handler", r16(22), 0xBEEF);
  check_u32("IP pushed by INT 0x60 (the next one)", r16(40), rm_int60_ret);
  check_u32("CS pushed by INT 0x60", r16(42), RM_BASE >> 4);
  check_u32("FLAGS pushed (CF)", r16(44) & 0x0F01, 0x0001);
  check_u32("FLAGS in the handler (IF TF clear)", r16(46) & 0x0300, 0);
  check_u32("#DE through the IVT", RES[48], 0xDE);
  check_u32("AX untouched by the faulting DIV", r16(24), 7);
  check_u32("#UD through the IVT", RES[49], 0x06);
  check_u32("far CALL/RETF", r16(26), 0xFA12);
  check_u32("unreal mode: DS reads 2 MiB", r32(32), 0x2B2B2B2B);
  check_u32("unreal mode: DS writes 2 MiB + 4", *(volatile uint32_t*)0x00200004, 0x0E0E0E0E);
  printf("sys_realmode: %d failures\n", sys_failures);
  return sys_failures;
}
