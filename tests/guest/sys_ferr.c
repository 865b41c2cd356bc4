/* The PC's x87 error path (SDM vol. 1 D.2, "MS-DOS compatibility mode"): with
 * CR0.NE = 0 an unmasked x87 exception is reported at the next waiting x87
 * instruction through FERR# -> IRQ13 (slave PIC input 5), not as #MF; the handler
 * writes port F0h (drops the IRQ13 latch, asserts IGNNE#) and clears the
 * exception with FNCLEX. With CR0.NE = 1 the same code raises #MF. The program
 * checks itself against the SDM (QEMU 7.2's TCG aborts on this path). */
#include "sys_lib.h"

#define CR0_MP 0x02u
#define CR0_EM 0x04u
#define CR0_TS 0x08u
#define CR0_NE 0x20u
#define PIC1 0x20
#define PIC2 0xA0

static volatile unsigned irq13s;
static volatile uint16_t sw_in_handler;
static volatile uint8_t isr2_in_handler;

static void pic_init(void) {
  outb(PIC1, 0x11);
  outb(PIC1 + 1, 0x20);
  outb(PIC1 + 1, 0x04);
  outb(PIC1 + 1, 0x01);
  outb(PIC2, 0x11);
  outb(PIC2 + 1, 0x28);
  outb(PIC2 + 1, 0x02);
  outb(PIC2 + 1, 0x01);
  outb(PIC1 + 1, 0xFB); /* only the cascade */
  outb(PIC2 + 1, 0xDF); /* only IRQ13 */
}

static void irq13(struct trap_frame* f) {
  (void)f;
  irq13s++;
  uint16_t sw;
  __asm__ volatile("fnstsw %0" : "=m"(sw));
  sw_in_handler = sw;
  outb(PIC2, 0x0B);
  isr2_in_handler = inb(PIC2);
  outb(0xF0, 0); /* IRQ13 latch off, IGNNE# on */
  __asm__ volatile("fnclex");
  outb(PIC2, 0x20);
  outb(PIC1, 0x20);
}

/* 1 / 0 with the zero-divide exception unmasked, then FWAIT. */
static uint16_t divide_by_zero_then_wait(void) {
  uint16_t cw = 0x037B, sw; /* all masked but ZE */
  __asm__ volatile("fninit\n fldcw %1\n fld1\n fldz\n fdivrp\n fwait\n fnstsw %0\n fstp %%st(0)"
                   : "=m"(sw)
                   : "m"(cw)
                   : "memory");
  return sw;
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_ferr: x87 errors through FERR#/IRQ13 and through #MF\n");
  pic_init();
  idt_set_handler(0x2D, irq13);
  write_cr0((read_cr0() & ~(CR0_NE | CR0_EM | CR0_TS)) | CR0_MP);
  __asm__ volatile("sti");

  uint16_t sw = divide_by_zero_then_wait();
  check_u32("CR0.NE=0: IRQ13 interrupts", irq13s, 1);
  check_u32("status word in the handler (B ES ZE)", sw_in_handler & 0x80BF, 0x8084);
  check_u32("slave ISR in the handler", isr2_in_handler, 0x20);
  check_u32("status word after (cleared)", sw & 0x80BF, 0);
  outb(PIC2, 0x0A);
  check_u32("no IRQ13 request left", inb(PIC2) & 0x20, 0);

  /* Masked exceptions never reach the pins. */
  uint16_t cw = 0x037F;
  __asm__ volatile("fninit\n fldcw %0\n fld1\n fldz\n fdivrp\n fwait\n fstp %%st(0)" ::"m"(cw) : "memory");
  check_u32("masked: no more interrupts", irq13s, 1);

  /* CR0.NE=1: #MF at the waiting instruction, no IRQ13. */
  write_cr0(read_cr0() | CR0_NE);
  if (TRAP_TRY()) {
    divide_by_zero_then_wait();
    trap_end();
    check_true("CR0.NE=1: #MF", 0);
  } else {
    check_u32("CR0.NE=1: vector", trap_caught.vector, 16);
    __asm__ volatile("fnclex");
  }
  check_u32("CR0.NE=1: IRQ13 interrupts", irq13s, 1);
  __asm__ volatile("cli");
  printf("sys_ferr: %d failures\n", sys_failures);
  return sys_failures;
}
