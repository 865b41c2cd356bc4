/* Runtime of the bare-metal guest test programs (see runtime.h). */
#include "runtime.h"

#define COM1 0x3F8

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void serial_putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (uint8_t)c);
}

/* Once the transmitter holding register is empty (LSR.THRE), the FIFO (enabled in
 * serial_init) takes 16 bytes. */
void serial_write(const char* s, unsigned n) {
  while (n) {
    while (!(inb(COM1 + 5) & 0x20)) {
    }
    unsigned k = n < 16 ? n : 16;
    for (unsigned i = 0; i < k; i++) outb(COM1, (uint8_t)s[i]);
    s += k;
    n -= k;
  }
}

void puts_serial(const char* s) { serial_write(s, strlen(s)); }

void guest_exit(int code) {
  outb(0xF4, (uint8_t)code);
  for (;;) __asm__ volatile("cli; hlt");
}

void* memset(void* d, int c, unsigned n) {
  unsigned char* p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned n) {
  unsigned char* p = d;
  const unsigned char* q = s;
  while (n--) *p++ = *q++;
  return d;
}
void* memmove(void* d, const void* s, unsigned n) {
  unsigned char* p = d;
  const unsigned char* q = s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    while (n--) p[n] = q[n];
  }
  return d;
}
int memcmp(const void* a, const void* b, unsigned n) {
  const unsigned char *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
unsigned strlen(const char* s) {
  unsigned n = 0;
  while (s[n]) n++;
  return n;
}
int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

/* A printf with %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ', width,
 * precision for strings, and the l / ll / h / hh length modifiers. */
struct out {
  char* buf;      /* snprintf: the caller's buffer; printf: 0 */
  unsigned size, len;
  unsigned nq;    /* printf: characters queued in q */
  char q[64];
};

static void emit(struct out* o, char c) {
  if (o->buf) {
    if (o->len + 1 < o->size) o->buf[o->len] = c;
  } else {
    o->q[o->nq++] = c;
    if (o->nq == sizeof(o->q)) serial_write(o->q, o->nq), o->nq = 0;
  }
  o->len++;
}

static void emit_num(struct out* o, unsigned long long v, int neg, unsigned base, int upper, int width,
                     int zero, int left, char sign) {
  char tmp[24];
  int n = 0;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (v >> 32) { /* 64-bit division (libgcc) only for values that need it */
    do {
      tmp[n++] = digits[v % base];
      v /= base;
    } while (v);
  } else {
    uint32_t w = (uint32_t)v;
    do {
      tmp[n++] = digits[w % base];
      w /= base;
    } while (w);
  }
  char s = neg ? '-' : sign;
  int len = n + (s ? 1 : 0);
  if (!left && !zero)
    for (; width > len; width--) emit(o, ' ');
  if (s) emit(o, s);
  if (!left && zero)
    for (; width > len; width--) emit(o, '0');
  while (n) emit(o, tmp[--n]);
  if (left)
    for (; width > len; width--) emit(o, ' ');
}

static int format(struct out* o, const char* f, va_list ap) {
  for (; *f; f++) {
    if (*f != '%') {
      emit(o, *f);
      continue;
    }
    f++;
    int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
    char sign = 0;
    for (;; f++) {
      if (*f == '-') left = 1;
      else if (*f == '0') zero = 1;
      else if (*f == '+') sign = '+';
      else if (*f == ' ') { if (!sign) sign = ' '; }
      else break;
    }
    if (*f == '*') { width = va_arg(ap, int); f++; }
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    if (*f == '.') {
      prec = 0;
      f++;
      if (*f == '*') { prec = va_arg(ap, int); f++; }
      while (*f >= '0' && *f <= '9') prec = prec * 10 + (*f++ - '0');
    }
    while (*f == 'l' || *f == 'h') {
      if (*f == 'l') lng++;
      f++;
    }
    switch (*f) {
      case 'd':
      case 'i': {
        long long v = lng >= 2 ? va_arg(ap, long long) : (long long)va_arg(ap, int);
        emit_num(o, v < 0 ? (unsigned long long)(-v) : (unsigned long long)v, v < 0, 10, 0, width, zero, left, sign);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long) : (unsigned long long)va_arg(ap, unsigned);
        unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
        emit_num(o, v, 0, base, *f == 'X', width, zero, left, 0);
        break;
      }
      case 'p':
        emit(o, '0');
        emit(o, 'x');
        emit_num(o, (unsigned long long)(uintptr_t)va_arg(ap, void*), 0, 16, 0, 8, 1, 0, 0);
        break;
      case 'c': emit(o, (char)va_arg(ap, int)); break;
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (!s) s = "(null)";
        int len = 0;
        while (s[len] && (prec < 0 || len < prec)) len++;
        if (!left)
          for (int w = width; w > len; w--) emit(o, ' ');
        for (int i = 0; i < len; i++) emit(o, s[i]);
        if (left)
          for (int w = width; w > len; w--) emit(o, ' ');
        break;
      }
      case '%': emit(o, '%'); break;
      case 0: return (int)o->len;
      default: emit(o, '%'); emit(o, *f); break;
    }
  }
  return (int)o->len;
}

int vprintf(const char* fmt, va_list ap) {
  struct out o;
  o.buf = 0, o.size = 0, o.len = 0, o.nq = 0;
  int n = format(&o, fmt, ap);
  serial_write(o.q, o.nq);
  return n;
}

int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int snprintf(char* buf, unsigned size, const char* fmt, ...) {
  struct out o;
  o.buf = buf, o.size = size, o.len = 0, o.nq = 0;
  va_list ap;
  va_start(ap, fmt);
  format(&o, fmt, ap);
  va_end(ap);
  if (size) buf[o.len < size ? o.len : size - 1] = 0;
  return (int)o.len;
}
