/* Differential test forms: MMX (the Pentium MMX set). Each body starts with
 * FNINIT and loads all eight MMX registers (mm0..mm7 from [esi], [esi+8], ...),
 * runs the instruction with a register, memory ([esi+0x40]) or immediate
 * operand, and ends with FNSAVE: the printed image shows the MMX registers in
 * the x87 registers (bits 79-64 set by MMX writes; those still holding their
 * loaded value are left out), TOS 0, the tags (valid; empty after EMMS) and the
 * status word. MOVD to a general register shows in the
 * registers of the transcript, stores in memory dumps. Also: x87 and MMX code
 * mixed, EMMS, and #MF from an MMX instruction with an x87 exception pending.
 *
 * Fields of F() for C_MMX: arg = MX_* flags (shift counts in mm1 and memory,
 * memory stores to dump); the generator and the dump are in forms_x87.h. */
#ifndef KASOU_FORMS_MMX_H
#define KASOU_FORMS_MMX_H

#define MX_SHIFT 1 /* mm1 and [esi+0x40] hold a shift count */
#define MX_STORE 2 /* the instruction writes [esi+0x40] */
#define MX_X87 4   /* the x87 values a, b at [esi+0x50], [esi+0x60] and a control word at [esi+0x70] */

#define MMX_PRE                                                                                    \
  "fninit\n movq mm0, [esi]\n movq mm1, [esi+8]\n movq mm2, [esi+0x10]\n movq mm3, [esi+0x18]\n" \
  " movq mm4, [esi+0x20]\n movq mm5, [esi+0x28]\n movq mm6, [esi+0x30]\n movq mm7, [esi+0x38]\n"
/* For the forms that start with x87 code: every register still gets a known
 * value first (a register left from an earlier case would differ: on the host,
 * a signal handler gets a fresh FPU), then the x87 stack is emptied. */
#define MMX_PRE_X87 MMX_PRE "fninit\n"
#define MMX_END "\n fnsave [esi+0x80]"
#define MMX_M64 "qword ptr [esi+0x40]"
#define MMX_M32 "dword ptr [esi+0x40]"

#define MF(name, arg, text) F(mmx_##name, C_MMX, 64, L_NONE, L_NONE, FAM_NONE, arg, text)
/* A binary operation: register source (mm5 into mm2: not the first registers),
 * and memory source. */
#define MMX_BIN(op, msize)                                          \
  MF(op##_rr, 0, MMX_PRE #op " mm2, mm5" MMX_END)                   \
  MF(op##_rm, 0, MMX_PRE #op " mm7, " msize MMX_END)
#define MMX_SHIFT_FORMS(op)                                         \
  MF(op##_rr, MX_SHIFT, MMX_PRE #op " mm3, mm1" MMX_END)            \
  MF(op##_rm, MX_SHIFT, MMX_PRE #op " mm0, " MMX_M64 MMX_END)       \
  MF(op##_i1, 0, MMX_PRE #op " mm6, 1" MMX_END)                     \
  MF(op##_i7, 0, MMX_PRE #op " mm6, 7" MMX_END)                     \
  MF(op##_i15, 0, MMX_PRE #op " mm6, 15" MMX_END)                   \
  MF(op##_i16, 0, MMX_PRE #op " mm6, 16" MMX_END)                   \
  MF(op##_i31, 0, MMX_PRE #op " mm6, 31" MMX_END)                   \
  MF(op##_i33, 0, MMX_PRE #op " mm6, 33" MMX_END)                   \
  MF(op##_i63, 0, MMX_PRE #op " mm6, 63" MMX_END)                   \
  MF(op##_i200, 0, MMX_PRE #op " mm6, 200" MMX_END)

#define FORMS_MMX_ARITH                                                                     \
  MMX_BIN(paddb, MMX_M64) MMX_BIN(paddw, MMX_M64) MMX_BIN(paddd, MMX_M64)                   \
  MMX_BIN(paddsb, MMX_M64) MMX_BIN(paddsw, MMX_M64) MMX_BIN(paddusb, MMX_M64)               \
  MMX_BIN(paddusw, MMX_M64) MMX_BIN(psubb, MMX_M64) MMX_BIN(psubw, MMX_M64)                 \
  MMX_BIN(psubd, MMX_M64) MMX_BIN(psubsb, MMX_M64) MMX_BIN(psubsw, MMX_M64)                 \
  MMX_BIN(psubusb, MMX_M64) MMX_BIN(psubusw, MMX_M64) MMX_BIN(pmullw, MMX_M64)              \
  MMX_BIN(pmulhw, MMX_M64) MMX_BIN(pmaddwd, MMX_M64) MMX_BIN(pcmpeqb, MMX_M64)              \
  MMX_BIN(pcmpeqw, MMX_M64) MMX_BIN(pcmpeqd, MMX_M64) MMX_BIN(pcmpgtb, MMX_M64)             \
  MMX_BIN(pcmpgtw, MMX_M64) MMX_BIN(pcmpgtd, MMX_M64) MMX_BIN(packsswb, MMX_M64)            \
  MMX_BIN(packssdw, MMX_M64) MMX_BIN(packuswb, MMX_M64) MMX_BIN(punpckhbw, MMX_M64)         \
  MMX_BIN(punpckhwd, MMX_M64) MMX_BIN(punpckhdq, MMX_M64) MMX_BIN(punpcklbw, MMX_M32)       \
  MMX_BIN(punpcklwd, MMX_M32) MMX_BIN(punpckldq, MMX_M32) MMX_BIN(pand, MMX_M64)            \
  MMX_BIN(pandn, MMX_M64) MMX_BIN(por, MMX_M64) MMX_BIN(pxor, MMX_M64)

#define FORMS_MMX_SHIFT                                                                     \
  MMX_SHIFT_FORMS(psllw) MMX_SHIFT_FORMS(pslld) MMX_SHIFT_FORMS(psllq)                      \
  MMX_SHIFT_FORMS(psrlw) MMX_SHIFT_FORMS(psrld) MMX_SHIFT_FORMS(psrlq)                      \
  MMX_SHIFT_FORMS(psraw) MMX_SHIFT_FORMS(psrad)

#define FORMS_MMX_MOVE                                                                                \
  MF(movd_mm_r32, 0, MMX_PRE "movd mm3, ebx" MMX_END)                                                \
  MF(movd_r32_mm, 0, MMX_PRE "movd edx, mm4" MMX_END)                                                \
  MF(movd_mm_m32, 0, MMX_PRE "movd mm0, " MMX_M32 MMX_END)                                           \
  MF(movd_m32_mm, MX_STORE, MMX_PRE "movd " MMX_M32 ", mm7" MMX_END)                                 \
  MF(movq_mm_mm, 0, MMX_PRE "movq mm1, mm6" MMX_END)                                                 \
  MF(movq_mm_mm_7f, 0, MMX_PRE ".byte 0x0f, 0x7f, 0xf1" MMX_END)                                     \
  MF(movq_m64_mm, MX_STORE, MMX_PRE "movq " MMX_M64 ", mm2" MMX_END)                                 \
  MF(emms, 0, MMX_PRE "emms" MMX_END)                                                                \
  MF(emms_fld, MX_X87, MMX_PRE "emms\n fld1\n fld tbyte ptr [esi+0x50]" MMX_END)                          \
  MF(fld_then_mmx, MX_X87, MMX_PRE_X87 "fld tbyte ptr [esi+0x50]\n fld tbyte ptr [esi+0x60]\n fld1\n"   \
                            " movq mm1, [esi+8]\n paddw mm1, mm7" MMX_END)                           \
  MF(mmx_then_fld, 0, MMX_PRE "fld1\n faddp st(1), st(0)" MMX_END)                                   \
  MF(mmx_reads_x87, MX_X87 | MX_STORE, MMX_PRE_X87 "fld tbyte ptr [esi+0x50]\n fld tbyte ptr [esi+0x60]\n"         \
                             " movq " MMX_M64 ", mm7\n movd eax, mm6" MMX_END)                        \
  MF(mmx_pending_mf, MX_X87, MMX_PRE_X87 "fldcw word ptr [esi+0x70]\n fld tbyte ptr [esi+0x50]\n"       \
                              " fld tbyte ptr [esi+0x60]\n fdiv st(0), st(1)\n paddb mm0, mm1" MMX_END) \
  MF(emms_pending_mf, MX_X87, MMX_PRE_X87 "fldcw word ptr [esi+0x70]\n fld tbyte ptr [esi+0x50]\n"      \
                               " fld tbyte ptr [esi+0x60]\n fsqrt\n emms" MMX_END)

#define FORMS_MMX FORMS_MMX_ARITH FORMS_MMX_SHIFT FORMS_MMX_MOVE

#endif /* KASOU_FORMS_MMX_H */

#ifdef KASOU_X87_GENERATORS
/* A 64-bit MMX value built from 16-bit lanes that hit the saturation and sign
 * boundaries of bytes, words and dwords. */
static void mmx_value(uint32_t* lo, uint32_t* hi) {
  static const uint16_t lanes[16] = {0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x7FFF, 0x8000, 0xFFFF,
                                     0x00FF, 0xFF00, 0x8080, 0x7F7F, 0x8001, 0xFFFE, 0x0100, 0x7F80};
  uint16_t w[4];
  for (int k = 0; k < 4; k++) w[k] = (rnd() & 3) == 0 ? (uint16_t)rnd() : lanes[rnd() % 16];
  *lo = w[0] | (uint32_t)w[1] << 16;
  *hi = w[2] | (uint32_t)w[3] << 16;
}

static int gen_mmx(const struct form* f, int i) {
  if (i >= 24) return 1;
  x87_platform_init();
  for (uint32_t r = 0; r < 9; r++) { /* mm0..mm7 and the memory operand */
    uint32_t lo, hi;
    mmx_value(&lo, &hi);
    wr32(MEM + 8 * r, lo), wr32(MEM + 8 * r + 4, hi);
  }
  if (f->arg & MX_SHIFT) {
    static const uint32_t counts[16] = {0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 0x12};
    uint32_t c = counts[i % 16], chi = 0;
    if (i >= 16) c = rnd() % 70, chi = (i % 4 == 3) ? 1 : 0; /* a count >= 2^32 shifts everything out */
    wr32(MEM + 8, c), wr32(MEM + 12, chi);
    wr32(MEM + 0x40, c), wr32(MEM + 0x44, chi);
  }
  if (f->arg & MX_X87) {
    x87_put(MEM + 0x50, x87_value(XD_ANY, i % 4 == 0 ? V_ZERO : -1)); /* the divisor */
    x87_put(MEM + 0x60, x87_value(XD_ANY, -1));
    wr16(MEM + 0x70, (uint16_t)(0x0340 | (rnd() & 0x3F)));
  }
  t_kv(&ibuf, "a", rd32(MEM + 4), 8), t_hex(&ibuf, rd32(MEM), 8);
  t_kv(&ibuf, "b", rd32(MEM + 12), 8), t_hex(&ibuf, rd32(MEM + 8), 8);
  t_kv(&ibuf, "m", rd32(MEM + 0x44), 8), t_hex(&ibuf, rd32(MEM + 0x40), 8);
  if (f->arg & MX_X87) t_kv(&ibuf, "x#", fnv((const void*)(uintptr_t)(MEM + 0x50), 0x22), 8);
  for (uint32_t k = 0; k < 108; k += 4) wr32(X87_SAVE + k, 0);
  wr16(X87_SAVE + 8, 0xFFFF);
  dump_add('z', X87_SAVE, 108, 0xFFFF);
  if (f->arg & MX_STORE) dump_add('m', MEM + 0x40, 8, ~0u);
  return 0;
}
#endif /* KASOU_X87_GENERATORS */
