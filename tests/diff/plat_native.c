/* Native platform of the differential test: a 32-bit Linux program. The fixed
 * data region is an mmap at its fixed address; a fault in a test body (#DE from
 * DIV, or anything unexpected) arrives as a signal on an alternate stack, whose
 * context gives the vector (trapno), EIP and registers; siglongjmp resumes. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "diff.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int diff_main(int argc, char** argv);

static sigjmp_buf jb;
static volatile sig_atomic_t armed;
static struct fault* cur;

static void on_signal(int sig, siginfo_t* si, void* ctx) {
  (void)si;
  const greg_t* g = ((ucontext_t*)ctx)->uc_mcontext.gregs;
  if (!armed) {
    static const char msg[] = "diff_native: unexpected signal outside a test body\n";
    write(2, msg, sizeof(msg) - 1);
    signal(sig, SIG_DFL);
    return; /* re-executes the faulting instruction with the default action */
  }
  armed = 0;
  cur->vector = (uint32_t)g[REG_TRAPNO];
  cur->eip = (uint32_t)g[REG_EIP];
  cur->r = (struct regs){(uint32_t)g[REG_EAX], (uint32_t)g[REG_ECX], (uint32_t)g[REG_EDX], (uint32_t)g[REG_EBX],
                         (uint32_t)g[REG_UESP], (uint32_t)g[REG_EBP], (uint32_t)g[REG_ESI], (uint32_t)g[REG_EDI],
                         (uint32_t)g[REG_EFL]};
  siglongjmp(jb, 1);
}

const char* plat_init(int argc, char** argv) {
  void* p = mmap((void*)REGION_BASE, REGION_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void*)REGION_BASE) {
    fprintf(stderr, "diff_native: cannot map the test region at %#x\n", REGION_BASE);
    exit(2);
  }
  static char altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGTRAP, &sa, 0);
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof(buf));
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "filter=", 7) == 0) return argv[i] + 7;
  return 0;
}

int plat_run(void (*body)(void), struct fault* f) {
  cur = f;
  if (sigsetjmp(jb, 1) == 0) {
    armed = 1;
    run_body(body);
    armed = 0;
    return -1;
  }
  return (int)f->vector;
}

void plat_write(const char* s, unsigned n) { fwrite(s, 1, n, stdout); }

void plat_finish(int status) {
  fflush(stdout);
  exit(status);
}

int main(int argc, char** argv) {
  plat_finish(diff_main(argc, argv));
  return 0;
}
