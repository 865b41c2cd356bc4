/* The demo guest of kasou's first-run command: a Mandelbrot set in fixed-point
 * integer arithmetic, a prime sieve and a checksum, printed on COM1. It is also a
 * guest test: its transcript must be the same under QEMU. */
#include "runtime.h"

#define W 72
#define H 24
#define FIX 13 /* fixed point: 1.0 = 1 << 13 */

static int mandel(int cr, int ci) {
  int zr = 0, zi = 0;
  for (int i = 0; i < 64; i++) {
    int zr2 = (zr * zr) >> FIX, zi2 = (zi * zi) >> FIX;
    if (zr2 + zi2 > (4 << FIX)) return i;
    zi = ((2 * zr * zi) >> FIX) + ci;
    zr = zr2 - zi2 + cr;
  }
  return 64;
}

static unsigned char sieve[200000];

int guest_main(uint32_t magic, uint32_t info) {
  (void)info;
  serial_init();
  printf("kasou demo guest: multiboot magic %08x, running translated x86 code\n\n", (unsigned)magic);
  static const char shade[] = " .:-=+*#%@";
  unsigned sum = 0;
  for (int y = 0; y < H; y++) {
    char line[W + 1];
    for (int x = 0; x < W; x++) {
      int cr = ((x - W * 2 / 3) << FIX) * 3 / W;
      int ci = ((y - H / 2) << FIX) * 2 / H;
      int n = mandel(cr, ci);
      sum = sum * 31 + (unsigned)n;
      line[x] = n >= 64 ? '@' : shade[n % 9];
    }
    line[W] = 0;
    printf("%s\n", line);
  }
  int primes = 0;
  for (unsigned i = 2; i < sizeof sieve; i++) {
    if (sieve[i]) continue;
    primes++;
    for (unsigned j = i * 2; j < sizeof sieve; j += i) sieve[j] = 1;
  }
  printf("\nprimes below %u: %d\n", (unsigned)sizeof sieve, primes);
  printf("mandelbrot checksum: %08x\n", sum);
  return 0;
}
