/* intmix: a CPU-bound integer workload (see intmix.h).
 *
 * Four parts, each run once per round with inputs that depend on the round, all
 * folded into checksums:
 *   hash  FNV-1a, murmur3_32 and table-driven CRC32, 64 passes over a 64 KiB
 *         buffer that is changed a little between passes;
 *   sort  quicksort (median of three, insertion sort for short runs) on even
 *         rounds, heap sort on odd rounds, of 200,000 signed ints;
 *   vm    a switch-dispatched register bytecode VM running two small programs:
 *         counting primes by trial division, and Collatz step counts;
 *   str   24 passes of strlen over lines, memcpy, memcmp, tokenising, naive and
 *         Horspool substring search over a 32 KiB text.
 * Natively the four parts take roughly equal time.
 * No floating point, no library calls: every helper is defined here, so the
 * native build and the guest build execute identical code. */
#include "intmix.h"

#define HASH_BYTES (64u * 1024u)
#define HASH_PASSES 64u
#define SORT_N 200000u
#define TEXT_LEN (32u * 1024u)
#define STR_PASSES 24u
#define VM_PRIME_LIMIT 30000u
#define VM_COLLATZ_LIMIT 12000u

static uint8_t hash_buf[HASH_BYTES];
static uint32_t crc_table[256];
static int32_t sort_buf[SORT_N];
static char text[TEXT_LEN + 1];
static char lines[TEXT_LEN + 1];
static char copy_buf[TEXT_LEN + 64];

/* ---- helpers ------------------------------------------------------------ */

static inline uint32_t rotl32(uint32_t x, unsigned r) { return (x << r) | (x >> (32u - r)); }

static inline uint32_t xorshift32(uint32_t* s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static inline uint32_t combine(uint32_t acc, uint32_t v) { return fmix32(acc ^ (v + 0x9e3779b9u + (acc << 6) + (acc >> 2))); }

uint32_t intmix_parse_u32(const char* s) {
  uint32_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10u + (uint32_t)(*s++ - '0');
  return v;
}

/* ---- hash --------------------------------------------------------------- */

static uint32_t fnv1a(const uint8_t* p, uint32_t n) {
  uint32_t h = 0x811c9dc5u;
  for (uint32_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x01000193u;
  }
  return h;
}

static uint32_t murmur3_32(const uint8_t* p, uint32_t n, uint32_t seed) {
  uint32_t h = seed;
  const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5u + 0xe6546b64u;
  }
  uint32_t k = 0;
  switch (n & 3u) {
    case 3: k ^= (uint32_t)p[i + 2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[i + 1] << 8;  /* fall through */
    case 1:
      k ^= p[i];
      k *= c1;
      k = rotl32(k, 15);
      k *= c2;
      h ^= k;
  }
  return fmix32(h ^ n);
}

static void crc32_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int j = 0; j < 8; j++) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t* p, uint32_t n, uint32_t crc) {
  crc = ~crc;
  for (uint32_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

static uint32_t hash_round(uint32_t round) {
  uint32_t s = 0x12345678u ^ (round * 0x9e3779b9u);
  if (s == 0) s = 1;
  for (uint32_t i = 0; i < HASH_BYTES; i += 4) {
    uint32_t v = xorshift32(&s);
    hash_buf[i] = (uint8_t)v;
    hash_buf[i + 1] = (uint8_t)(v >> 8);
    hash_buf[i + 2] = (uint8_t)(v >> 16);
    hash_buf[i + 3] = (uint8_t)(v >> 24);
  }
  uint32_t acc = round;
  for (uint32_t pass = 0; pass < HASH_PASSES; pass++) {
    uint32_t len = HASH_BYTES - (pass * 7u + round) % 61u; /* odd lengths exercise the tails */
    uint32_t a = fnv1a(hash_buf, len);
    uint32_t b = murmur3_32(hash_buf, len, a);
    uint32_t c = crc32(hash_buf, len, b);
    acc = combine(acc, a);
    acc = combine(acc, b);
    acc = combine(acc, c);
    /* change a few bytes so no pass repeats the previous one */
    for (int j = 0; j < 16; j++) hash_buf[xorshift32(&s) % HASH_BYTES] ^= (uint8_t)(acc >> (j & 24));
  }
  return acc;
}

/* ---- sort --------------------------------------------------------------- */

static void insertion_sort(int32_t* a, int32_t lo, int32_t hi) {
  for (int32_t i = lo + 1; i <= hi; i++) {
    int32_t v = a[i], j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static inline void swap_i32(int32_t* a, int32_t* b) {
  int32_t t = *a;
  *a = *b;
  *b = t;
}

static void quicksort(int32_t* a, int32_t lo, int32_t hi) {
  while (hi - lo > 16) {
    int32_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap_i32(&a[mid], &a[lo]);
    if (a[hi] < a[lo]) swap_i32(&a[hi], &a[lo]);
    if (a[hi] < a[mid]) swap_i32(&a[hi], &a[mid]);
    int32_t pivot = a[mid];
    int32_t i = lo - 1, j = hi + 1;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      swap_i32(&a[i], &a[j]);
    }
    /* recurse into the smaller side, loop on the larger: the stack stays shallow */
    if (j - lo < hi - j) {
      quicksort(a, lo, j);
      lo = j + 1;
    } else {
      quicksort(a, j + 1, hi);
      hi = j;
    }
  }
  insertion_sort(a, lo, hi);
}

static void sift_down(int32_t* a, uint32_t root, uint32_t n) {
  int32_t v = a[root];
  for (;;) {
    uint32_t child = 2u * root + 1u;
    if (child >= n) break;
    if (child + 1u < n && a[child + 1u] > a[child]) child++;
    if (a[child] <= v) break;
    a[root] = a[child];
    root = child;
  }
  a[root] = v;
}

static void heap_sort(int32_t* a, uint32_t n) {
  for (uint32_t i = n / 2u; i-- > 0;) sift_down(a, i, n);
  for (uint32_t end = n - 1u; end > 0; end--) {
    swap_i32(&a[0], &a[end]);
    sift_down(a, 0, end);
  }
}

static uint32_t sort_round(uint32_t round) {
  uint32_t s = 0xdeadbeefu ^ (round * 0x85ebca6bu);
  if (s == 0) s = 1;
  uint32_t range_mask = (round & 2u) ? 0xffffffffu : 0x0000ffffu; /* many duplicates on some rounds */
  for (uint32_t i = 0; i < SORT_N; i++) sort_buf[i] = (int32_t)(xorshift32(&s) & range_mask) - (int32_t)(range_mask >> 1);
  if (round & 1u)
    heap_sort(sort_buf, SORT_N);
  else
    quicksort(sort_buf, 0, (int32_t)SORT_N - 1);
  uint32_t acc = round, unsorted = 0;
  for (uint32_t i = 0; i < SORT_N; i++) {
    if (i && sort_buf[i - 1] > sort_buf[i]) unsorted++;
    acc = acc * 31u + (uint32_t)sort_buf[i];
  }
  return combine(acc, unsorted);
}

/* ---- vm ----------------------------------------------------------------- */

enum {
  OP_HALT, OP_LI, OP_MOV, OP_ADD, OP_ADDI, OP_SUB, OP_MUL, OP_MODU, OP_AND, OP_ANDI,
  OP_SHRI, OP_XOR, OP_BLTU, OP_BGEU, OP_BEQZ, OP_BNEZ, OP_BEQI, OP_JMP
};

#define VM_CODE_MAX 128
struct vm_asm {
  uint32_t code[VM_CODE_MAX];
  uint32_t n;
};

static void emit(struct vm_asm* a, uint32_t w) { a->code[a->n++] = w; }
static void emit2(struct vm_asm* a, uint32_t op, uint32_t x) { emit(a, op); emit(a, x); }
static void emit3(struct vm_asm* a, uint32_t op, uint32_t x, uint32_t y) { emit(a, op); emit(a, x); emit(a, y); }
static void emit4(struct vm_asm* a, uint32_t op, uint32_t x, uint32_t y, uint32_t z) {
  emit(a, op); emit(a, x); emit(a, y); emit(a, z);
}
/* Branch operands are code offsets; forward ones are patched through the
 * returned slot once the label is known. */
static uint32_t here(const struct vm_asm* a) { return a->n; }
static void patch(struct vm_asm* a, uint32_t slot) { a->code[slot] = a->n; }

/* r9 = limit in; r1 = number of primes below it, r5 = xor of them. */
static void vm_build_primes(struct vm_asm* a) {
  a->n = 0;
  emit3(a, OP_LI, 0, 2);
  emit3(a, OP_LI, 1, 0);
  emit3(a, OP_LI, 5, 0);
  uint32_t outer = here(a);
  emit4(a, OP_BGEU, 0, 9, 0);
  uint32_t to_end = here(a) - 1;
  emit3(a, OP_LI, 2, 2);
  uint32_t inner = here(a);
  emit4(a, OP_MUL, 3, 2, 2);
  emit4(a, OP_BLTU, 0, 3, 0);
  uint32_t to_prime = here(a) - 1;
  emit4(a, OP_MODU, 4, 0, 2);
  emit3(a, OP_BEQZ, 4, 0);
  uint32_t to_next = here(a) - 1;
  emit4(a, OP_ADDI, 2, 2, 1);
  emit2(a, OP_JMP, inner);
  patch(a, to_prime);
  emit4(a, OP_ADDI, 1, 1, 1);
  emit4(a, OP_XOR, 5, 5, 0);
  patch(a, to_next);
  emit4(a, OP_ADDI, 0, 0, 1);
  emit2(a, OP_JMP, outer);
  patch(a, to_end);
  emit(a, OP_HALT);
}

/* r9 = limit in; r1 = total Collatz steps of 1..limit-1, r6 = the longest. */
static void vm_build_collatz(struct vm_asm* a) {
  a->n = 0;
  emit3(a, OP_LI, 0, 1);
  emit3(a, OP_LI, 1, 0);
  emit3(a, OP_LI, 6, 0);
  emit3(a, OP_LI, 10, 3);
  uint32_t outer = here(a);
  emit4(a, OP_BGEU, 0, 9, 0);
  uint32_t to_end = here(a) - 1;
  emit3(a, OP_MOV, 2, 0);
  emit3(a, OP_LI, 3, 0);
  uint32_t loop = here(a);
  emit4(a, OP_BEQI, 2, 1, 0);
  uint32_t to_done = here(a) - 1;
  emit4(a, OP_ANDI, 4, 2, 1);
  emit3(a, OP_BEQZ, 4, 0);
  uint32_t to_even = here(a) - 1;
  emit4(a, OP_MUL, 2, 2, 10);
  emit4(a, OP_ADDI, 2, 2, 1);
  emit2(a, OP_JMP, 0);
  uint32_t to_cont = here(a) - 1;
  patch(a, to_even);
  emit4(a, OP_SHRI, 2, 2, 1);
  patch(a, to_cont);
  emit4(a, OP_ADDI, 3, 3, 1);
  emit2(a, OP_JMP, loop);
  patch(a, to_done);
  emit4(a, OP_ADD, 1, 1, 3);
  emit4(a, OP_BGEU, 6, 3, 0);
  uint32_t to_skip = here(a) - 1;
  emit3(a, OP_MOV, 6, 3);
  patch(a, to_skip);
  emit4(a, OP_ADDI, 0, 0, 1);
  emit2(a, OP_JMP, outer);
  patch(a, to_end);
  emit(a, OP_HALT);
}

/* Runs until HALT; returns the number of VM instructions executed. */
static uint32_t vm_run(const uint32_t* code, uint32_t* r) {
  uint32_t pc = 0, steps = 0;
  for (;;) {
    const uint32_t* i = code + pc;
    steps++;
    switch (i[0]) {
      case OP_HALT: return steps;
      case OP_LI: r[i[1] & 15u] = i[2]; pc += 3; break;
      case OP_MOV: r[i[1] & 15u] = r[i[2] & 15u]; pc += 3; break;
      case OP_ADD: r[i[1] & 15u] = r[i[2] & 15u] + r[i[3] & 15u]; pc += 4; break;
      case OP_ADDI: r[i[1] & 15u] = r[i[2] & 15u] + i[3]; pc += 4; break;
      case OP_SUB: r[i[1] & 15u] = r[i[2] & 15u] - r[i[3] & 15u]; pc += 4; break;
      case OP_MUL: r[i[1] & 15u] = r[i[2] & 15u] * r[i[3] & 15u]; pc += 4; break;
      case OP_MODU: {
        uint32_t d = r[i[3] & 15u];
        r[i[1] & 15u] = d ? r[i[2] & 15u] % d : 0;
        pc += 4;
        break;
      }
      case OP_AND: r[i[1] & 15u] = r[i[2] & 15u] & r[i[3] & 15u]; pc += 4; break;
      case OP_ANDI: r[i[1] & 15u] = r[i[2] & 15u] & i[3]; pc += 4; break;
      case OP_SHRI: r[i[1] & 15u] = r[i[2] & 15u] >> (i[3] & 31u); pc += 4; break;
      case OP_XOR: r[i[1] & 15u] = r[i[2] & 15u] ^ r[i[3] & 15u]; pc += 4; break;
      case OP_BLTU: pc = r[i[1] & 15u] < r[i[2] & 15u] ? i[3] : pc + 4; break;
      case OP_BGEU: pc = r[i[1] & 15u] >= r[i[2] & 15u] ? i[3] : pc + 4; break;
      case OP_BEQZ: pc = r[i[1] & 15u] == 0 ? i[2] : pc + 3; break;
      case OP_BNEZ: pc = r[i[1] & 15u] != 0 ? i[2] : pc + 3; break;
      case OP_BEQI: pc = r[i[1] & 15u] == i[2] ? i[3] : pc + 4; break;
      case OP_JMP: pc = i[1]; break;
      default: return 0xffffffffu;
    }
    if (pc >= VM_CODE_MAX - 4) return 0xfffffffeu;
  }
}

static struct vm_asm vm_primes, vm_collatz;

static uint32_t vm_round(uint32_t round) {
  uint32_t r[16];
  uint32_t acc = round;

  for (int k = 0; k < 16; k++) r[k] = 0;
  r[9] = VM_PRIME_LIMIT + (round % 8u) * 97u;
  acc = combine(acc, vm_run(vm_primes.code, r));
  acc = combine(acc, r[1]);
  acc = combine(acc, r[5]);

  for (int k = 0; k < 16; k++) r[k] = 0;
  r[9] = VM_COLLATZ_LIMIT + (round % 8u) * 31u;
  acc = combine(acc, vm_run(vm_collatz.code, r));
  acc = combine(acc, r[1]);
  acc = combine(acc, r[6]);
  return acc;
}

/* ---- strings ------------------------------------------------------------ */

static uint32_t str_len(const char* s) {
  const char* p = s;
  while (*p) p++;
  return (uint32_t)(p - s);
}

static void mem_copy(void* dst, const void* src, uint32_t n) {
  uint8_t* d = dst;
  const uint8_t* s = src;
  /* word copy when both are aligned alike, bytes otherwise (as a simple libc does) */
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    while (n && ((uintptr_t)d & 3u)) {
      *d++ = *s++;
      n--;
    }
    uint32_t* dw = (uint32_t*)d;
    const uint32_t* sw = (const uint32_t*)s;
    for (; n >= 4; n -= 4) *dw++ = *sw++;
    d = (uint8_t*)dw;
    s = (const uint8_t*)sw;
  }
  while (n--) *d++ = *s++;
}

static int mem_cmp(const void* a, const void* b, uint32_t n) {
  const uint8_t *p = a, *q = b;
  for (uint32_t i = 0; i < n; i++)
    if (p[i] != q[i]) return (int)p[i] - (int)q[i];
  return 0;
}

static uint32_t count_naive(const char* hay, uint32_t n, const char* pat, uint32_t m) {
  uint32_t count = 0;
  for (uint32_t i = 0; i + m <= n; i++) {
    uint32_t j = 0;
    while (j < m && hay[i + j] == pat[j]) j++;
    if (j == m) count++;
  }
  return count;
}

static uint32_t count_horspool(const char* hay, uint32_t n, const char* pat, uint32_t m) {
  uint32_t shift[256];
  for (int c = 0; c < 256; c++) shift[c] = m;
  for (uint32_t j = 0; j + 1 < m; j++) shift[(uint8_t)pat[j]] = m - 1u - j;
  uint32_t count = 0;
  for (uint32_t i = 0; i + m <= n;) {
    uint8_t last = (uint8_t)hay[i + m - 1u];
    if (last == (uint8_t)pat[m - 1u] && mem_cmp(hay + i, pat, m - 1u) == 0) count++;
    i += shift[last];
  }
  return count;
}

static uint32_t str_round(uint32_t round) {
  uint32_t s = 0x0badf00du ^ (round * 0xc2b2ae35u);
  if (s == 0) s = 1;
  /* text: words over a skewed alphabet, spaces, and a newline now and then */
  static const char alphabet[] = "eeeettaaoinshrdlucmfwypvbgkqjxz";
  uint32_t i = 0;
  while (i < TEXT_LEN) {
    uint32_t r = xorshift32(&s);
    uint32_t wl = 1u + (r % 9u);
    for (uint32_t k = 0; k < wl && i < TEXT_LEN; k++) text[i++] = alphabet[xorshift32(&s) % (sizeof alphabet - 1u)];
    if (i < TEXT_LEN) text[i++] = (r >> 16) % 8u == 0 ? '\n' : ' ';
  }
  text[TEXT_LEN] = 0;

  uint32_t acc = round;
  for (uint32_t pass = 0; pass < STR_PASSES; pass++) {
    /* strlen over each line of a copy whose newlines became NULs */
    mem_copy(lines, text, TEXT_LEN + 1u);
    for (uint32_t k = 0; k < TEXT_LEN; k++)
      if (lines[k] == '\n') lines[k] = 0;
    uint32_t nlines = 0, total = 0;
    for (uint32_t k = 0; k < TEXT_LEN;) {
      uint32_t l = str_len(lines + k);
      total = total * 7u + l;
      nlines++;
      k += l + 1u;
    }
    acc = combine(acc, nlines);
    acc = combine(acc, total);

    /* copies at several alignments, compared back */
    for (uint32_t off = 0; off < 4; off++) {
      uint32_t src_off = (pass + off * 3u) & 3u;
      mem_copy(copy_buf + off, text + src_off, TEXT_LEN - src_off);
      acc = combine(acc, (uint32_t)mem_cmp(copy_buf + off, text + src_off, TEXT_LEN - src_off));
      uint32_t pos = xorshift32(&s) % (TEXT_LEN - 4u);
      copy_buf[off + pos] ^= 0x20;
      acc = combine(acc, (uint32_t)mem_cmp(copy_buf + off, text + src_off, TEXT_LEN - src_off));
      acc = combine(acc, pos);
    }

    /* tokenise: words, letters, longest word */
    uint32_t words = 0, letters = 0, longest = 0, cur = 0;
    for (uint32_t k = 0; k < TEXT_LEN; k++) {
      char c = text[k];
      if (c >= 'a' && c <= 'z') {
        letters++;
        cur++;
      } else {
        if (cur) words++;
        if (cur > longest) longest = cur;
        cur = 0;
      }
    }
    acc = combine(acc, words);
    acc = combine(acc, letters ^ (longest << 20));

    /* substring search: short patterns naively, longer ones with Horspool */
    char pat[24];
    for (int q = 0; q < 4; q++) {
      uint32_t m = 2u + (xorshift32(&s) % 4u);
      uint32_t at = xorshift32(&s) % (TEXT_LEN - m);
      mem_copy(pat, text + at, m);
      acc = combine(acc, count_naive(text, TEXT_LEN, pat, m));
    }
    for (int q = 0; q < 4; q++) {
      uint32_t m = 6u + (xorshift32(&s) % 12u);
      uint32_t at = xorshift32(&s) % (TEXT_LEN - m);
      mem_copy(pat, text + at, m);
      acc = combine(acc, count_horspool(text, TEXT_LEN, pat, m));
    }
  }
  return acc;
}

/* ---- driver ------------------------------------------------------------- */

void intmix_run(uint32_t scale, struct intmix_result* res) {
  crc32_init();
  vm_build_primes(&vm_primes);
  vm_build_collatz(&vm_collatz);
  uint32_t h = 0, so = 0, v = 0, st = 0;
  for (uint32_t round = 0; round < scale; round++) {
    h = combine(h, hash_round(round));
    so = combine(so, sort_round(round));
    v = combine(v, vm_round(round));
    st = combine(st, str_round(round));
  }
  res->hash = h;
  res->sort = so;
  res->vm = v;
  res->str = st;
  res->total = combine(combine(combine(combine(scale, h), so), v), st);
}
