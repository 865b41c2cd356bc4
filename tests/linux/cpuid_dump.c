/* Prints the CPUID leaves that Linux turns into /proc/cpuinfo's vendor, model
 * name and flags, so tests/linux can check the kernel's view against what kasou's
 * CPU really reports (leaf 0 vendor, leaf 1 EDX/ECX, 0x80000001 EDX, brand). */
#include "runtime.h"

static void cpuid(uint32_t leaf, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  uint32_t r[4];
  char vendor[13];
  cpuid(0, r);
  memcpy(vendor, &r[1], 4);
  memcpy(vendor + 4, &r[3], 4);
  memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  printf("cpuid vendor=%s max=%x\n", vendor, r[0]);
  cpuid(1, r);
  printf("cpuid 1 eax=%x ecx=%x edx=%x\n", r[0], r[2], r[3]);
  cpuid(0x80000000u, r);
  const uint32_t max_ext = r[0];
  uint32_t ext_edx = 0;
  if (max_ext >= 0x80000001u) {
    cpuid(0x80000001u, r);
    ext_edx = r[3];
  }
  printf("cpuid 80000001 edx=%x\n", ext_edx);
  if (max_ext >= 0x80000004u) {
    char brand[49];
    for (uint32_t i = 0; i < 3; i++) {
      cpuid(0x80000002u + i, r);
      memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 0;
    printf("cpuid brand=%s\n", brand);
  }
  return 0;
}
