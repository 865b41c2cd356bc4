/* intmix as a multiboot guest: the kernel command line may hold `scale=N`
 * (kasou run --append scale=N, qemu -append scale=N); default INTMIX_DEFAULT_SCALE. The workload itself is
 * intmix.c, the same object file as in the native program. */
#include "intmix.h"
#include "runtime.h"

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_INFO_CMDLINE (1u << 2)

static uint32_t scale_from_cmdline(uint32_t magic, uint32_t info) {
  if (magic != MULTIBOOT_LOADER_MAGIC || info == 0) return INTMIX_DEFAULT_SCALE;
  const uint32_t* mbi = (const uint32_t*)info;
  if (!(mbi[0] & MULTIBOOT_INFO_CMDLINE) || mbi[4] == 0) return INTMIX_DEFAULT_SCALE;
  const char* s = (const char*)mbi[4];
  for (; *s; s++) {
    if ((s == (const char*)mbi[4] || s[-1] == ' ') && s[0] == 's' && s[1] == 'c' && s[2] == 'a' && s[3] == 'l' &&
        s[4] == 'e' && s[5] == '=' && s[6] >= '0' && s[6] <= '9')
      return intmix_parse_u32(s + 6);
  }
  return INTMIX_DEFAULT_SCALE;
}

int guest_main(uint32_t magic, uint32_t info) {
  serial_init();
  uint32_t scale = scale_from_cmdline(magic, info);
  struct intmix_result r;
  intmix_run(scale, &r);
  printf(INTMIX_REPORT_FMT, INTMIX_REPORT_ARGS(scale, r));
  return 0;
}
