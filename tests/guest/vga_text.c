/* The VGA text screen: the program clears the 80x25 text buffer at 0xB8000, writes
 * characters with attributes (plain stores, a line-drawing row, a REP MOVSD row),
 * places the hardware cursor, then reads everything back and reports it on COM1:
 * the rows, an attribute checksum, the CRTC/GC/sequencer registers of mode 3, a
 * glyph of the font the BIOS left in plane 2, and whether vertical retrace comes
 * and goes in input status 1. Under QEMU the VGA BIOS set mode 3; under kasou the
 * multiboot boot path leaves the VGA in mode 3. run_screen.py also compares
 * kasou's --screen-dump with vga_text.screen and its --screenshot with QEMU's
 * screendump of the same program. */
#include "runtime.h"

#define COLS 80
#define ROWS 25

static volatile uint16_t* const text = (volatile uint16_t*)0xB8000;

static void put(int row, int col, const char* s, uint8_t attr) {
  for (; *s; s++, col++) text[row * COLS + col] = (uint16_t)((uint8_t)*s | (attr << 8));
}

static uint8_t crtc_read(uint8_t index) {
  outb(0x3D4, index);
  return inb(0x3D5);
}

static void crtc_write(uint8_t index, uint8_t v) {
  outb(0x3D4, index);
  outb(0x3D5, v);
}

static uint8_t indexed_read(uint16_t port, uint8_t index) {
  outb(port, index);
  return inb(port + 1);
}

/* The byte at `offset` of plane 2 through a planar read, as the BIOS's font
 * loader accesses it; the text-mode addressing is restored afterwards. */
static uint8_t plane2_byte(unsigned offset) {
  outw(0x3C4, 0x0604); /* SR4: sequential addressing */
  outw(0x3CE, 0x0204); /* GR4: read map 2 */
  outw(0x3CE, 0x0005); /* GR5: read mode 0, no odd/even */
  outw(0x3CE, 0x0406); /* GR6: A0000, 64 KiB, text */
  uint8_t v = *(volatile uint8_t*)(0xA0000 + offset);
  outw(0x3C4, 0x0204);
  outw(0x3CE, 0x0004);
  outw(0x3CE, 0x1005);
  outw(0x3CE, 0x0E06);
  return v;
}

static int retrace_seen(void) {
  /* Wait for the start of vertical retrace, then for its end. */
  unsigned n = 0;
  while (!(inb(0x3DA) & 8))
    if (++n > 100000000u) return 0;
  while (inb(0x3DA) & 8)
    if (++n > 100000000u) return 0;
  return 1;
}

/* "hang" on the multiboot command line: spin after drawing instead of exiting, so
 * that run_screen.py can watch --screen-dump-every rewrite the dump while the
 * guest runs. */
static int hang_requested(uint32_t magic, uint32_t info) {
  const uint32_t* mbi = (const uint32_t*)info;
  if (magic != 0x2BADB002 || !(mbi[0] & 4)) return 0;
  for (const char* s = (const char*)mbi[4]; *s; s++)
    if (!memcmp(s, "hang", 4)) return 1;
  return 0;
}

int guest_main(uint32_t magic, uint32_t info) {
  serial_init();
  printf("vga text test\n");

  for (int i = 0; i < COLS * ROWS; i++) text[i] = 0x0720;
  put(0, 0, "kasou VGA text test", 0x1F);
  put(2, 4, "Hello from the text buffer at 0xB8000", 0x07);
  for (int c = 0; c < 20; c++) text[3 * COLS + c] = 0x0EC4; /* box-drawing horizontal line */
  put(10, 37, "middle", 0x4E);
  put(24, 0, "last row", 0x70);
  text[24 * COLS + 79] = 0x0223;

  /* A row copied with REP MOVSD through the VGA's memory window. */
  static uint16_t row[COLS];
  const char* msg = "copied with rep movsd";
  for (int c = 0; c < COLS; c++) row[c] = 0x0A20;
  for (int c = 0; msg[c]; c++) row[6 + c] = (uint16_t)(0x0A00 | (uint8_t)msg[c]);
  void* dst = (void*)(text + 4 * COLS);
  const void* src = row;
  unsigned count = COLS / 2;
  __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(count) : : "memory");

  /* The hardware cursor at row 5, column 0. */
  crtc_write(0x0E, (5 * COLS) >> 8);
  crtc_write(0x0F, (5 * COLS) & 0xFF);

  /* Read back. */
  uint32_t attr_sum = 0;
  for (int r = 0; r < ROWS; r++) {
    char line[COLS + 1];
    int len = 0;
    for (int c = 0; c < COLS; c++) {
      uint16_t v = text[r * COLS + c];
      attr_sum = attr_sum * 31 + (v >> 8);
      line[c] = (char)(v & 0xFF);
      if ((v & 0xFF) != ' ') len = c + 1;
    }
    line[len] = 0;
    if (len) {
      for (int c = 0; c < len; c++)
        if ((uint8_t)line[c] == 0xC4) line[c] = '-';
      printf("row %2d: %s\n", r, line);
    }
  }
  printf("attribute checksum %08x\n", (unsigned)attr_sum);
  printf("cursor %02x%02x\n", crtc_read(0x0E), crtc_read(0x0F));
  printf("mode: misc=%02x CR01=%02x CR09=%02x CR12=%02x CR13=%02x GR5=%02x GR6=%02x SR4=%02x\n", inb(0x3CC),
         crtc_read(0x01), crtc_read(0x09), crtc_read(0x12), crtc_read(0x13), indexed_read(0x3CE, 5),
         indexed_read(0x3CE, 6), indexed_read(0x3C4, 4));
  printf("font in plane 2: 'A' rows 2-5 = %02x %02x %02x %02x\n", plane2_byte('A' * 32 + 2),
         plane2_byte('A' * 32 + 3), plane2_byte('A' * 32 + 4), plane2_byte('A' * 32 + 5));
  printf("text intact after planar reads: %s\n", text[0] == 0x1F6B ? "yes" : "no");
  printf("vertical retrace seen: %s\n", retrace_seen() ? "yes" : "no");
  /* Cursor off: the picture no longer depends on the blink phase, so run_screen.py
   * can compare kasou's screenshot with QEMU's screendump pixel for pixel. */
  crtc_write(0x0A, crtc_read(0x0A) | 0x20);
  printf("cursor disabled: %s\n", (crtc_read(0x0A) & 0x20) ? "yes" : "no");
  if (hang_requested(magic, info))
    for (;;) __asm__ volatile("pause");
  return 0;
}
