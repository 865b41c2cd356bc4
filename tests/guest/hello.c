/* Smallest guest test: serial output, the multiboot magic, a GDT/IDT load and
 * the exit through the debug-exit port. If this fails, nothing else can pass. */
#include "cpu.h"
#include "runtime.h"

int guest_main(uint32_t magic, uint32_t info) {
  (void)info;
  serial_init();
  printf("hello from the guest: magic %s\n", magic == 0x2BADB002 ? "ok" : "BAD");
  cpu_init();
  printf("GDT and IDT loaded, cs=%x ds=%x\n", read_cs(), read_ds());
  return magic == 0x2BADB002 ? 0 : 1;
}
