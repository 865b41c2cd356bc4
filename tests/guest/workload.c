/* A small integer workload with a checkable result: fill 256 KiB with a PRNG,
 * sort it (quicksort with an insertion-sort cutoff), check the order, CRC-32 the
 * sorted array, count distinct values, merge-sort an index of half the keys
 * through an index array, and hash a 160 KiB text built with memcpy/memmove. */
#include "runtime.h"

#define N (64 * 1024)
static uint32_t arr[N];
static uint32_t tmp[N];
static uint32_t idx[N / 2], idx_tmp[N / 2];
static char text[160 * 1024];
static uint32_t crc_table[256];

static uint32_t rng = 12345;
static uint32_t rnd(void) { /* LCG (MUL + ADD) mixed with a xorshift */
  rng = rng * 1664525u + 1013904223u;
  return rng ^ (rng >> 15);
}

static void isort(uint32_t* a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) a[j + 1] = a[j], j--;
    a[j + 1] = v;
  }
}
static void qsort_u32(uint32_t* a, int n) {
  while (n > 16) {
    uint32_t p = a[n / 2];
    if (a[0] > p && a[n - 1] > p) p = a[0] < a[n - 1] ? a[0] : a[n - 1];
    int i = 0, j = n - 1;
    for (;;) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i >= j) break;
      uint32_t t = a[i];
      a[i++] = a[j];
      a[j--] = t;
    }
    if (j + 1 < n - j - 1) {
      qsort_u32(a, j + 1);
      a += j + 1, n -= j + 1;
    } else {
      qsort_u32(a + j + 1, n - j - 1);
      n = j + 1;
    }
  }
  isort(a, n);
}

static void msort_idx(uint32_t* ix, uint32_t* t, int n, const uint32_t* key) {
  if (n < 2) return;
  int h = n / 2;
  msort_idx(ix, t, h, key);
  msort_idx(ix + h, t, n - h, key);
  int i = 0, j = h, k = 0;
  while (i < h && j < n) t[k++] = key[ix[j]] < key[ix[i]] ? ix[j++] : ix[i++];
  while (i < h) t[k++] = ix[i++];
  while (j < n) t[k++] = ix[j++];
  memcpy(ix, t, (unsigned)n * 4);
}

static uint32_t crc32(const void* p, unsigned n, uint32_t c) {
  const uint8_t* b = p;
  c = ~c;
  while (n--) c = crc_table[(c ^ *b++) & 0xFF] ^ (c >> 8);
  return ~c;
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  serial_init();
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  printf("workload: crc32(\"123456789\") = %08x\n", crc32("123456789", 9, 0));

  for (int i = 0; i < N; i++) arr[i] = rnd() % 1000000u;
  uint32_t crc_before = crc32(arr, sizeof(arr), 0);
  memcpy(tmp, arr, sizeof(arr));
  qsort_u32(arr, N);
  int sorted = 1;
  uint32_t distinct = 1;
  for (int i = 1; i < N; i++) {
    if (arr[i - 1] > arr[i]) sorted = 0;
    distinct += arr[i] != arr[i - 1];
  }
  printf("sorted %d ints: in order %s, %u distinct, min %u max %u median %u\n", N, sorted ? "yes" : "NO", distinct,
         arr[0], arr[N - 1], arr[N / 2]);
  printf("crc32 before %08x after %08x\n", crc_before, crc32(arr, sizeof(arr), 0));

  for (int i = 0; i < N / 2; i++) idx[i] = (uint32_t)i;
  msort_idx(idx, idx_tmp, N / 2, tmp);
  int stable = 1;
  for (int i = 1; i < N / 2; i++)
    if (tmp[idx[i - 1]] > tmp[idx[i]] || (tmp[idx[i - 1]] == tmp[idx[i]] && idx[i - 1] > idx[i])) stable = 0;
  printf("merge sort of an index: ordered and stable %s, crc32 %08x\n", stable ? "yes" : "NO",
         crc32(idx, sizeof(idx), 0));

  static const char* words[] = {"alpha ", "beta ", "gamma ", "delta\n", "epsilon ", "zeta ", "eta ", "theta, "};
  unsigned len = 0;
  while (len < sizeof(text) - 16) {
    const char* w = words[rnd() & 7];
    unsigned n = strlen(w);
    memcpy(text + len, w, n);
    len += n;
  }
  memmove(text + 1000, text + 900, 50000);
  memmove(text + 5000, text + 7000, 60000); /* overlapping, downwards */
  uint32_t h = 2166136261u;
  for (unsigned i = 0; i < len; i++) h = (h ^ (uint8_t)text[i]) * 16777619u;
  printf("text %u bytes: fnv1a %08x crc32 %08x\n", len, h, crc32(text, len, 0));
  return sorted && stable ? 0 : 1;
}
