/* Guest platform of the differential test: a multiboot kernel. Output goes to
 * COM1; the fixed data region is ordinary RAM; a fault in a test body is
 * caught through the runtime's IDT (TRAP_TRY). A "filter=LIST" word on the
 * multiboot command line selects forms (see selected() in diff_main.c). */
#include "cpu.h"
#include "diff.h"

int diff_main(int argc, char** argv);

static char filter[64];

const char* plat_init(int argc, char** argv) {
  (void)argc, (void)argv;
  serial_init();
  cpu_init();
  return filter[0] ? filter : 0;
}

int plat_run(void (*body)(void), struct fault* f) {
  if (TRAP_TRY()) {
    run_body(body);
    trap_end();
    return -1;
  }
  const struct trap_frame* t = &trap_caught;
  f->vector = t->vector;
  f->eip = t->eip;
  f->r = (struct regs){t->eax, t->ecx, t->edx, t->ebx, trap_caught_esp, t->ebp, t->esi, t->edi, t->eflags};
  return (int)f->vector;
}

void plat_write(const char* s, unsigned n) { serial_write(s, n); }

void plat_finish(int status) { guest_exit(status); }

int guest_main(uint32_t magic, uint32_t info) {
  if (magic == 0x2BADB002 && (((const uint32_t*)info)[0] & 4)) {
    const char* cmd = (const char*)((const uint32_t*)info)[4];
    for (; *cmd; cmd++) {
      if (cmd[0] == 'f' && cmd[1] == 'i' && cmd[2] == 'l' && cmd[3] == 't' && cmd[4] == 'e' && cmd[5] == 'r' &&
          cmd[6] == '=') {
        unsigned n = 0;
        for (cmd += 7; *cmd && *cmd != ' ' && n < sizeof(filter) - 1; cmd++) filter[n++] = *cmd;
        filter[n] = 0;
        break;
      }
    }
  }
  return diff_main(0, 0);
}
