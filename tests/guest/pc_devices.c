/* The legacy PC devices as a guest sees them: the PIC pair (initialisation,
 * masks, IRR/ISR, poll, EOI), the PIT (timer interrupts through the IDT,
 * read-back status, latches, LSB-only access, OUT2 on port 0x61), the RTC
 * (registers, valid BCD time, update / periodic / alarm interrupts on IRQ 8
 * through the slave), COM1 in loopback (FIFO, overrun, MSR, scratch) and its
 * THR-empty interrupt, and the i8042 (self test, command byte, keyboard echo,
 * output port). Under QEMU the virtual clock is the host's, so the transcript
 * holds only what does not depend on timing: counts between two events, yes/no
 * answers about ranges. */
#include "cpu.h"
#include "runtime.h"

#define PIC1 0x20
#define PIC2 0xA0
#define COM1 0x3F8

static volatile unsigned ticks, rtc_irqs, rtc_uf, rtc_pf, rtc_af, com_irqs;
static volatile unsigned isr_seen_in_irq0;
static volatile unsigned iir_seen;

static void pic_init(void) {
  outb(PIC1, 0x11);
  outb(PIC1 + 1, 0x20);
  outb(PIC1 + 1, 0x04);
  outb(PIC1 + 1, 0x01);
  outb(PIC2, 0x11);
  outb(PIC2 + 1, 0x28);
  outb(PIC2 + 1, 0x02);
  outb(PIC2 + 1, 0x01);
  outb(PIC1 + 1, 0xFF);
  outb(PIC2 + 1, 0xFF);
}

static uint8_t pic_isr(uint16_t base) {
  outb(base, 0x0B);
  return inb(base);
}
static uint8_t pic_irr(uint16_t base) {
  outb(base, 0x0A);
  return inb(base);
}

static uint8_t cmos_read(uint8_t i) {
  outb(0x70, i);
  return inb(0x71);
}
static void cmos_write(uint8_t i, uint8_t v) {
  outb(0x70, i);
  outb(0x71, v);
}

static void irq0(struct trap_frame* f) {
  (void)f;
  if (ticks == 0) isr_seen_in_irq0 = pic_isr(PIC1);
  ticks++;
  outb(PIC1, 0x20);
}

static void irq8(struct trap_frame* f) {
  (void)f;
  uint8_t c = cmos_read(0x0C);
  rtc_irqs++;
  if (c & 0x10) rtc_uf++;
  if (c & 0x40) rtc_pf++;
  if (c & 0x20) rtc_af++;
  outb(PIC2, 0x20);
  outb(PIC1, 0x20);
}

static void irq4(struct trap_frame* f) {
  (void)f;
  iir_seen = inb(COM1 + 2);
  outb(COM1 + 1, 0x00);
  com_irqs++;
  outb(PIC1, 0x20);
}

static void spurious(struct trap_frame* f) { (void)f; }

static uint16_t pit_latch(int ch) {
  outb(0x43, (uint8_t)(ch << 6));
  uint8_t lo = inb((uint16_t)(0x40 + ch));
  uint8_t hi = inb((uint16_t)(0x40 + ch));
  return (uint16_t)(lo | hi << 8);
}

static uint8_t pit_status(int ch) {
  outb(0x43, (uint8_t)(0xE0 | (2 << ch)));
  return inb((uint16_t)(0x40 + ch));
}

static int bcd_ok(uint8_t v, int max) {
  if ((v & 0x0F) > 9 || (v >> 4) > 9) return 0;
  return ((v >> 4) * 10 + (v & 0x0F)) <= max;
}

static const char* yn(int b) { return b ? "yes" : "no"; }

static void test_pic(void) {
  pic_init();
  printf("pic: imr %02x %02x, isr %02x %02x\n", inb(PIC1 + 1), inb(PIC2 + 1), pic_isr(PIC1), pic_isr(PIC2));
  outb(PIC1 + 1, 0xA5);
  printf("pic: imr after OCW1 %02x\n", inb(PIC1 + 1));
  outb(PIC1 + 1, 0xFF);
}

static void test_pit(void) {
  outb(0x61, (uint8_t)(inb(0x61) & ~0x03));  /* GATE2 low, speaker off */
  outb(0x43, 0xB0);                           /* counter 2, LSB/MSB, mode 0, binary */
  printf("pit: status after control word %02x\n", pit_status(2) & 0x3F);
  outb(0x43, 0xB7);                           /* counter 2, LSB/MSB, mode 3, BCD */
  printf("pit: status mode 3 bcd %02x\n", pit_status(2) & 0x3F);
  outb(0x43, 0xBC);                           /* counter 2, mode 6 (= 2) */
  printf("pit: status mode 6 %02x\n", pit_status(2) & 0x3F);

  /* Mode 0 one-shot with GATE2 high: OUT2 (port 0x61 bit 5) rises. */
  outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
  outb(0x43, 0xB0);
  outb(0x42, 0xE8);
  outb(0x42, 0x03); /* 1000 */
  int low_at_start = !(inb(0x61) & 0x20);
  unsigned spins = 0;
  while (!(inb(0x61) & 0x20) && spins < 10000000) spins++;
  printf("pit: mode 0 OUT2 low after the count: %s, then high: %s\n", yn(low_at_start), yn(inb(0x61) & 0x20));

  /* Mode 2, large count: two latches in a row count down. */
  outb(0x43, 0xB4);
  outb(0x42, 0xFF);
  outb(0x42, 0xFF);
  for (volatile int i = 0; i < 1000; i++) {
  }
  uint16_t a = pit_latch(2);
  for (volatile int i = 0; i < 1000; i++) {
  }
  uint16_t b = pit_latch(2);
  printf("pit: counts down: %s\n", yn(b < a || a < 0x1000));

  /* (BCD counting is checked by the unit tests: QEMU counts in binary in BCD mode.) */

  /* LSB-only access: one byte per read, never above the count. */
  outb(0x43, 0x94); /* counter 2, LSB only, mode 2 */
  outb(0x42, 0x80);
  for (volatile int i = 0; i < 1000; i++) {
  } /* the count is loaded by the next clock pulse */
  int ok = 1;
  for (int i = 0; i < 50; i++) {
    outb(0x43, 0x80);
    uint8_t v = inb(0x42);
    if (v > 0x80) ok = 0;
  }
  printf("pit: lsb-only reads valid: %s\n", yn(ok));
  outb(0x61, (uint8_t)(inb(0x61) & ~0x03));
}

static void test_timer_irq(void) {
  idt_set_handler(0x20, irq0);
  outb(0x43, 0x34); /* counter 0, LSB/MSB, mode 2 */
  outb(0x40, 11932 & 0xFF);
  outb(0x40, 11932 >> 8); /* 100 Hz */
  outb(PIC1 + 1, 0xFE);
  ticks = 0;
  __asm__ volatile("sti");
  for (int i = 0; i < 5; i++) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  printf("timer: %u interrupts for 5 hlt, ISR in the handler %02x, ISR after EOI %02x\n", ticks,
         isr_seen_in_irq0, pic_isr(PIC1));

  /* Poll mode: wait for the request with interrupts off, then poll it. */
  unsigned spins = 0;
  while (!(pic_irr(PIC1) & 1) && spins < 100000000) spins++;
  outb(PIC1, 0x0C);
  uint8_t poll = inb(PIC1);
  printf("pic: poll word %02x, ISR %02x\n", poll, pic_isr(PIC1));
  outb(PIC1, 0x20);
  printf("pic: ISR after EOI %02x\n", pic_isr(PIC1));
}

static void test_rtc(void) {
  printf("rtc: A %02x B %02x D %02x\n", cmos_read(0x0A) & 0x7F, cmos_read(0x0B), cmos_read(0x0D));
  while (cmos_read(0x0A) & 0x80) {
  }
  uint8_t s = cmos_read(0), m = cmos_read(2), h = cmos_read(4), d = cmos_read(7), mo = cmos_read(8),
          y = cmos_read(9), wd = cmos_read(6);
  int valid = bcd_ok(s, 59) && bcd_ok(m, 59) && bcd_ok(h, 23) && bcd_ok(d, 31) && d && bcd_ok(mo, 12) && mo &&
              bcd_ok(y, 99) && wd >= 1 && wd <= 7;
  printf("rtc: BCD time valid: %s\n", yn(valid));

  /* Binary mode shows the same minute. */
  cmos_write(0x0B, 0x06);
  uint8_t mb = cmos_read(2);
  cmos_write(0x0B, 0x02);
  uint8_t m2 = cmos_read(2);
  printf("rtc: binary minute matches BCD: %s\n", yn(mb == (m2 >> 4) * 10 + (m2 & 15) || mb == (m >> 4) * 10 + (m & 15)));

  idt_set_handler(0x28, irq8);
  idt_set_handler(0x2F, spurious);
  idt_set_handler(0x27, spurious);
  cmos_read(0x0C);
  outb(PIC2 + 1, 0xFE);  /* IRQ 8 */
  outb(PIC1 + 1, 0xFA);  /* IRQ 0 and the cascade */

  /* Update-ended interrupts: one per second, about 100 timer ticks apart. */
  cmos_write(0x0A, 0x20);  /* no periodic rate */
  cmos_write(0x0B, 0x12);  /* UIE, 24 h */
  rtc_irqs = rtc_uf = 0;
  __asm__ volatile("sti");
  while (rtc_uf < 1) __asm__ volatile("hlt");
  uint8_t s1 = cmos_read(0);
  unsigned t1 = ticks;
  while (rtc_uf < 2) __asm__ volatile("hlt");
  uint8_t s2 = cmos_read(0);
  unsigned t2 = ticks;
  __asm__ volatile("cli");
  int s1b = (s1 >> 4) * 10 + (s1 & 15), s2b = (s2 >> 4) * 10 + (s2 & 15);
  printf("rtc: updates one second apart: %s; timer ticks between them 80..120: %s\n",
         yn(s2b == (s1b + 1) % 60), yn(t2 - t1 >= 80 && t2 - t1 <= 120));

  /* Alarm two seconds ahead (hours and minutes "don't care"). */
  uint8_t now = cmos_read(0);
  int nb = ((now >> 4) * 10 + (now & 15) + 2) % 60;
  cmos_write(0x01, (uint8_t)((nb / 10) << 4 | (nb % 10)));
  cmos_write(0x03, 0xC0);
  cmos_write(0x05, 0xC0);
  cmos_write(0x0B, 0x32);  /* AIE, UIE */
  rtc_af = 0;
  rtc_uf = 0;
  __asm__ volatile("sti");
  while (!rtc_af) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  printf("rtc: alarm after %u updates\n", rtc_uf);

  /* Periodic interrupt at 64 Hz for 50 timer ticks (0.5 s): about 32. */
  cmos_write(0x0B, 0x02);
  cmos_write(0x0A, 0x2A);  /* rate 10: 64 Hz */
  cmos_read(0x0C);
  cmos_write(0x0B, 0x42);  /* PIE */
  rtc_pf = 0;
  unsigned t0 = ticks;
  __asm__ volatile("sti");
  while (ticks - t0 < 50) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  unsigned pf = rtc_pf;
  printf("rtc: periodic interrupts in 0.5 s within 26..38: %s\n", yn(pf >= 26 && pf <= 38));
  cmos_write(0x0B, 0x02);
  cmos_write(0x0A, 0x26);
  cmos_read(0x0C);
  outb(PIC2 + 1, 0xFF);
  outb(PIC1 + 1, 0xFF);
}

static void test_uart(void) {
  while (!(inb(COM1 + 5) & 0x40)) {
  }
  outb(COM1 + 4, 0x13); /* loopback, DTR, RTS */
  outb(COM1 + 2, 0x07); /* FIFO on and cleared, trigger 1 */
  inb(COM1 + 6);
  const char* msg = "kasou";
  for (int i = 0; i < 5; i++) outb(COM1, (uint8_t)msg[i]);
  char got[6];
  int n = 0;
  while ((inb(COM1 + 5) & 1) && n < 5) got[n++] = (char)inb(COM1);
  got[n] = 0;
  uint8_t msr = inb(COM1 + 6);
  outb(COM1 + 7, 0xA5);
  uint8_t scr = inb(COM1 + 7);
  uint8_t iir = inb(COM1 + 2);
  for (int i = 0; i < 17; i++) outb(COM1, (uint8_t)i);
  uint8_t lsr = inb(COM1 + 5);
  int cnt = 0;
  while ((inb(COM1 + 5) & 1) && cnt < 100) inb(COM1), cnt++;
  outb(COM1 + 2, 0x07);
  outb(COM1 + 4, 0x03);
  outb(COM1 + 2, 0xC7);
  inb(COM1 + 6);
  printf("uart: loopback read '%s', MSR %02x, scratch %02x, IIR %02x\n", got, msr & 0xF0, scr, iir);
  printf("uart: 17 bytes into the FIFO: overrun %s, %d bytes kept\n", yn(lsr & 0x02), cnt);

  /* THR-empty interrupt on IRQ 4. */
  idt_set_handler(0x24, irq4);
  outb(COM1 + 4, 0x0B); /* DTR, RTS, OUT2 */
  outb(PIC1 + 1, 0xEF);
  com_irqs = 0;
  outb(COM1 + 1, 0x02);
  __asm__ volatile("sti");
  for (volatile int i = 0; i < 100000 && !com_irqs; i++) {
  }
  __asm__ volatile("cli");
  outb(PIC1 + 1, 0xFF);
  outb(COM1 + 4, 0x03);
  printf("uart: THR-empty interrupts %u, IIR in the handler %02x\n", com_irqs, iir_seen);
}

static int kbc_wait_out(void) {
  for (unsigned i = 0; i < 1000000; i++)
    if (inb(0x64) & 1) return 1;
  return 0;
}
static int kbc_read(void) { return kbc_wait_out() ? inb(0x60) : -1; }
static void kbc_cmd(uint8_t c) {
  while (inb(0x64) & 2) {
  }
  outb(0x64, c);
}
static void kbc_data(uint8_t d) {
  while (inb(0x64) & 2) {
  }
  outb(0x60, d);
}

static void test_i8042(void) {
  while (inb(0x64) & 1) inb(0x60);
  kbc_cmd(0x20);
  int saved = kbc_read();
  kbc_cmd(0x60);
  kbc_data(0x44); /* SYS, XLATE, both ports enabled, no interrupts */
  kbc_cmd(0x20);
  int cb = kbc_read();
  kbc_cmd(0xAA);
  int st = kbc_read();
  kbc_cmd(0xAB);
  int it = kbc_read();
  kbc_data(0xEE);
  int echo = kbc_read();
  kbc_data(0xED);
  int ack1 = kbc_read();
  kbc_data(0x00);
  int ack2 = kbc_read();
  kbc_cmd(0xD0);
  int op = kbc_read();
  outb(0x92, (uint8_t)(inb(0x92) | 0x02));
  uint8_t p92 = inb(0x92);
  int sys = inb(0x64) & 0x04;
  kbc_cmd(0x60);
  kbc_data((uint8_t)(saved & 0xFC)); /* the firmware's byte, interrupts off */
  printf("i8042: command byte %02x, self test %02x, interface test %02x, echo %02x, LED acks %02x %02x\n", cb,
         st, it, echo, ack1, ack2);
  printf("i8042: output port A20 and reset bits %02x, port 0x92 A20 %02x, status SYS %s\n", op & 0x03,
         p92 & 0x02, yn(sys));
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  cpu_init();
  test_pic();
  test_pit();
  test_timer_irq();
  test_rtc();
  test_uart();
  test_i8042();
  outb(0x43, 0x30); /* counter 0 back to a quiet mode 0 */
  outb(0x40, 0);
  outb(0x40, 0);
  printf("pc devices: done\n");
  return 0;
}
