/* VGA graphics modes, programmed register by register (no BIOS calls): the
 * multiboot command line picks one picture:
 *   mode13h  320x200x256, chain-4: a colour ramp through a DAC the program loads
 *   mode12h  640x480x16 planar: rectangles in write mode 2, a line in write mode 0
 *            with set/reset, a pattern in write mode 3, a copy in write mode 1
 *   vbe32    640x480x32 through the Bochs VBE dispi ports and the linear framebuffer
 *            (PCI BAR0 of 1234:1111 when there is one, else 0xE0000000)
 *   vbe8     800x600x8 through the banked 64 KiB window at 0xA0000
 * The transcript reports what the program reads back (read modes 0 and 1, latches,
 * dispi registers); run_screen.py compares kasou's --screenshot with QEMU's
 * screendump of the same picture. */
#include "runtime.h"

static void seq(uint8_t i, uint8_t v) { outw(0x3C4, (uint16_t)(i | v << 8)); }
static void gc(uint8_t i, uint8_t v) { outw(0x3CE, (uint16_t)(i | v << 8)); }
static void crtc(uint8_t i, uint8_t v) { outw(0x3D4, (uint16_t)(i | v << 8)); }
static uint8_t gc_read(uint8_t i) {
  outb(0x3CE, i);
  return inb(0x3CF);
}
static void dac(uint8_t i, uint8_t r, uint8_t g, uint8_t b) {
  outb(0x3C8, i);
  outb(0x3C9, r);
  outb(0x3C9, g);
  outb(0x3C9, b);
}
static void dispi(uint16_t i, uint16_t v) {
  outw(0x1CE, i);
  outw(0x1CF, v);
}
static uint16_t dispi_read(uint16_t i) {
  outw(0x1CE, i);
  return inw(0x1CF);
}

static volatile uint8_t* const vmem = (volatile uint8_t*)0xA0000;

/* Loads a whole register set, as the BIOS's mode set does. */
static void set_mode(uint8_t misc, const uint8_t* s, const uint8_t* c, const uint8_t* g, const uint8_t* a) {
  seq(0, 0x01); /* synchronous reset */
  outb(0x3C2, misc);
  for (uint8_t i = 1; i < 5; i++) seq(i, s[i]);
  seq(0, 0x03);
  crtc(0x11, c[0x11] & 0x7F); /* unprotect CR0-7 */
  for (uint8_t i = 0; i < 0x19; i++) crtc(i, c[i]);
  for (uint8_t i = 0; i < 9; i++) gc(i, g[i]);
  inb(0x3DA);
  for (uint8_t i = 0; i < 0x15; i++) {
    outb(0x3C0, i);
    outb(0x3C0, a[i]);
  }
  outb(0x3C0, 0x20); /* palette address source: show the picture */
}

static const uint8_t seq13[5] = {0x03, 0x01, 0x0F, 0x00, 0x0E};
static const uint8_t crtc13[0x19] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF};
static const uint8_t gc13[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF};
static const uint8_t ac13[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                                   0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00};
static const uint8_t seq12[5] = {0x03, 0x01, 0x0F, 0x00, 0x06};
static const uint8_t crtc12[0x19] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF};
static const uint8_t gc12[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF};
static const uint8_t ac12[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                   0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00};

static uint32_t sum;
static void mix(uint32_t v) { sum = sum * 31 + v; }

static void mode13h(void) {
  set_mode(0x63, seq13, crtc13, gc13, ac13);
  for (unsigned i = 0; i < 256; i++) dac((uint8_t)i, (uint8_t)(i >> 2), (uint8_t)((i * 5) & 63), (uint8_t)(63 - (i >> 2)));
  for (unsigned y = 0; y < 200; y++)
    for (unsigned x = 0; x < 320; x++) vmem[y * 320 + x] = (uint8_t)((x + 2 * y) ^ (y >> 3));
  for (unsigned i = 0; i < 64000; i += 997) mix(vmem[i]);
  printf("mode 13h drawn, read back %08x\n", (unsigned)sum);
  outb(0x3C7, 37);
  printf("DAC 37 = %02x %02x %02x\n", inb(0x3C9), inb(0x3C9), inb(0x3C9));
}

static void mode12h(void) {
  set_mode(0xE3, seq12, crtc12, gc12, ac12);
  for (unsigned i = 0; i < 64; i++) /* the EGA palette */
    dac((uint8_t)i, (uint8_t)(((i >> 2) & 1) * 42 + ((i >> 5) & 1) * 21), (uint8_t)(((i >> 1) & 1) * 42 + ((i >> 4) & 1) * 21),
        (uint8_t)((i & 1) * 42 + ((i >> 3) & 1) * 21));
  /* Clear: write mode 0, set/reset 0 on all planes. */
  gc(1, 0x0F);
  gc(0, 0x00);
  for (unsigned i = 0; i < 80 * 480; i++) vmem[i] = 0;
  /* Sixteen rectangles 40x60 in write mode 2 (the colour from the CPU byte). */
  gc(1, 0x00);
  gc(5, 0x02);
  for (unsigned c = 0; c < 16; c++)
    for (unsigned y = 40; y < 100; y++)
      for (unsigned xb = 0; xb < 5; xb++) {
        volatile uint8_t* p = &vmem[y * 80 + c * 5 + xb];
        (void)*p; /* load the latches */
        *p = (uint8_t)c;
      }
  /* A diagonal line in write mode 0 with set/reset colour 14, one pixel per byte
   * through the bit mask. */
  gc(5, 0x00);
  gc(0, 0x0E);
  gc(1, 0x0F);
  for (unsigned x = 0; x < 400; x++) {
    unsigned y = 120 + x / 2;
    gc(8, (uint8_t)(0x80 >> (x & 7)));
    volatile uint8_t* p = &vmem[y * 80 + x / 8];
    (void)*p;
    *p = 0xFF;
  }
  /* A striped band in write mode 3: colour 9 where the rotated CPU byte has ones. */
  gc(5, 0x03);
  gc(0, 0x09);
  gc(8, 0xFF);
  gc(3, 0x02); /* rotate right 2 */
  for (unsigned y = 330; y < 360; y++)
    for (unsigned xb = 10; xb < 70; xb++) {
      volatile uint8_t* p = &vmem[y * 80 + xb];
      (void)*p;
      *p = 0xF0;
    }
  gc(3, 0x00);
  /* Write mode 1: copy the rectangle row at y=50 to rows 400..409 via the latches. */
  gc(5, 0x01);
  for (unsigned y = 400; y < 410; y++)
    for (unsigned xb = 0; xb < 80; xb++) {
      (void)vmem[50 * 80 + xb];
      vmem[y * 80 + xb] = 0;
    }
  /* Read back: read mode 0 of each plane and read mode 1 (pixels of colour 12). */
  gc(5, 0x00);
  for (unsigned p = 0; p < 4; p++) {
    gc(4, (uint8_t)p);
    for (unsigned i = 0; i < 80 * 480; i += 331) mix(vmem[i]);
  }
  gc(5, 0x08);
  gc(2, 0x0C);
  gc(7, 0x0F);
  printf("mode 12h drawn, read back %08x, colour-12 bits at row 50: %02x %02x %02x\n", (unsigned)sum,
         vmem[50 * 80 + 59], vmem[50 * 80 + 60], vmem[50 * 80 + 61]);
  gc(7, 0x00);
  printf("colour don't care 0: %02x; GR5 = %02x\n", vmem[0], gc_read(5));
  gc(5, 0x00);
}

/* BAR0 of the std VGA (1234:1111) if the PCI bus has one, else the Bochs default. */
static uint32_t lfb_address(void) {
  for (unsigned dev = 0; dev < 32; dev++) {
    outl(0xCF8, 0x80000000u | dev << 11);
    if (inl(0xCFC) == 0x11111234u) {
      outl(0xCF8, 0x80000000u | dev << 11 | 0x10);
      return inl(0xCFC) & ~0xFu;
    }
  }
  return 0xE0000000u;
}

static void vbe32(void) {
  dispi(4, 0);
  dispi(1, 640);
  dispi(2, 480);
  dispi(3, 32);
  dispi(4, 0x41); /* enabled, LFB */
  printf("dispi: id %04x xres %u yres %u bpp %u virtual %ux%u, %u x 64 KiB of video memory\n", dispi_read(0),
         dispi_read(1), dispi_read(2), dispi_read(3), dispi_read(6), dispi_read(7), dispi_read(10));
  volatile uint32_t* fb = (volatile uint32_t*)lfb_address();
  for (unsigned y = 0; y < 480; y++)
    for (unsigned x = 0; x < 640; x++)
      fb[y * 640 + x] = (uint32_t)((x * 255 / 639) << 16 | (y * 255 / 479) << 8 | ((x ^ y) & 0xFF));
  for (unsigned i = 0; i < 640 * 480; i += 1237) mix(fb[i]);
  printf("vbe 32 bpp drawn, read back %08x\n", (unsigned)sum);
}

static void vbe8(void) {
  dispi(4, 0);
  dispi(1, 800);
  dispi(2, 600);
  dispi(3, 8);
  dispi(4, 0x01); /* enabled, banked */
  for (unsigned i = 0; i < 256; i++) dac((uint8_t)i, (uint8_t)(i & 63), (uint8_t)((i >> 2) & 63), (uint8_t)((i * 7) & 63));
  for (unsigned bank = 0; bank * 65536 < 800 * 600; bank++) {
    dispi(5, (uint16_t)bank);
    for (unsigned o = 0; o < 65536 && bank * 65536 + o < 800 * 600; o++) {
      unsigned a = bank * 65536 + o, x = a % 800, y = a / 800;
      vmem[o] = (uint8_t)((x / 4) ^ (y / 3));
    }
  }
  dispi(5, 3);
  for (unsigned o = 0; o < 65536; o += 4099) mix(vmem[o]);
  printf("vbe 8 bpp banked drawn, bank %u, read back %08x\n", dispi_read(5), (unsigned)sum);
}

static int has(const char* s, const char* word) {
  unsigned n = strlen(word);
  for (; *s; s++)
    if (!memcmp(s, word, n)) return 1;
  return 0;
}

int guest_main(uint32_t magic, uint32_t info) {
  serial_init();
  const uint32_t* mbi = (const uint32_t*)info;
  const char* cmdline = (magic == 0x2BADB002 && (mbi[0] & 4)) ? (const char*)mbi[4] : "";
  if (has(cmdline, "mode13h")) mode13h();
  else if (has(cmdline, "mode12h")) mode12h();
  else if (has(cmdline, "vbe32")) vbe32();
  else if (has(cmdline, "vbe8")) vbe8();
  else {
    printf("vga_gfx: no picture named on the command line (mode13h, mode12h, vbe32, vbe8)\n");
    return 1;
  }
  printf("picture done\n");
  return 0;
}
