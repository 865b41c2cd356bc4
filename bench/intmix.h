/* intmix: a CPU-bound integer workload (hashing, sorting, a bytecode VM, string
 * operations). The same object file (intmix.c, compiled once with the guest
 * flags) is linked into the native 32-bit Linux program and into the multiboot
 * guest, so both run the same machine code. It calls no library function. */
#ifndef KASOU_BENCH_INTMIX_H
#define KASOU_BENCH_INTMIX_H

#include <stdint.h>

/* Rounds of the whole mix when no scale is given. Chosen so that the native
 * program takes about two seconds on the project's machines; the runner passes
 * its own scale for --quick. */
#define INTMIX_DEFAULT_SCALE 24u

struct intmix_result {
  uint32_t hash;  /* FNV-1a, murmur3, CRC32 over a buffer */
  uint32_t sort;  /* quicksort and heap sort of an int array */
  uint32_t vm;    /* switch-dispatched bytecode VM: primes, Collatz */
  uint32_t str;   /* strlen, memcpy, memcmp, substring search */
  uint32_t total; /* all of the above, combined */
};

/* What both programs print (the runner reads it). */
#define INTMIX_REPORT_FMT "intmix: scale=%u hash=%08x sort=%08x vm=%08x str=%08x\nintmix: checksum=%08x\n"
#define INTMIX_REPORT_ARGS(scale, r) (unsigned)(scale), (unsigned)(r).hash, (unsigned)(r).sort, (unsigned)(r).vm, \
                                     (unsigned)(r).str, (unsigned)(r).total

/* Runs `scale` rounds and fills *r. Deterministic. Scale 0 runs no round: the
 * runner uses it to measure the start-up cost (process, boot) alone. */
void intmix_run(uint32_t scale, struct intmix_result* r);

/* Parses the decimal number at s (0 if there is none). */
uint32_t intmix_parse_u32(const char* s);

#endif
