/* intmix as a native 32-bit Linux program: `intmix-native [scale=]N`.
 * The workload itself is intmix.c, the same object file as in the guest. */
#include <stdio.h>

#include "intmix.h"

int main(int argc, char** argv) {
  uint32_t scale = INTMIX_DEFAULT_SCALE;
  if (argc > 1) {
    const char* a = argv[1];
    if (a[0] == 's' && a[1] == 'c' && a[2] == 'a' && a[3] == 'l' && a[4] == 'e' && a[5] == '=') a += 6;
    if (a[0] < '0' || a[0] > '9') {
      fprintf(stderr, "usage: %s [[scale=]N]  (rounds, default %u; 0 = start-up only)\n", argv[0],
              INTMIX_DEFAULT_SCALE);
      return 2;
    }
    scale = intmix_parse_u32(a);
  }
  struct intmix_result r;
  intmix_run(scale, &r);
  printf(INTMIX_REPORT_FMT, INTMIX_REPORT_ARGS(scale, r));
  return 0;
}
