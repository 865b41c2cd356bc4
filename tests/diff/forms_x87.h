/* Differential test forms: the x87 FPU. Loads and stores of every format (m16,
 * m32, m64 integer; m32, m64, m80 real; m80 BCD), the arithmetic in all operand
 * forms, compares into FSW and EFLAGS, FCMOVcc, the transcendentals, constants,
 * stack manipulation (incl. the undocumented aliases), stack overflow and
 * underflow, FNSTSW/FNSTCW/FLDCW/FNCLEX/FNINIT, FNSTENV/FLDENV and FNSAVE/FRSTOR
 * in 16- and 32-bit formats, FXSAVE/FXRSTOR, and unmasked exceptions reported as
 * #MF by the next waiting instruction.
 *
 * Every body starts with FNINIT and FLDCW (a per-case control word: rounding,
 * precision, masks), loads up to three 80-bit values (ST0 = a, ST1 = b, ST2 = c;
 * FLD m80 raises nothing), runs the instruction and ends with FNSAVE, whose
 * image is printed: FCW, FSW, the tag word and every non-empty register. The
 * pointers (FIP, FCS, FOP, FDP, FDS) are not printed: the host's differ (CPL 3
 * selectors; AMD stores them only when an exception is pending).
 *
 * Fields of F() for C_X87: w = which condition codes the instruction defines
 * (XC_*; the others are masked: SDM vol. 2 "FPU Flags Affected" of each
 * instruction; after the loading FLDs C0 C2 C3 are undefined, so "unaffected"
 * counts as undefined), a = stack values loaded, b = the memory operand
 * ([esi+0x30]; XM_*), arg = the value domain (XD_*: F2XM1 and FYL2XP1 are
 * undefined outside their ranges). The guest runs with CR0.NE=1, as Linux
 * does, so #MF arrives as on the host (SIGFPE, trap number 16).
 *
 * Included twice by diff_main.c: first for the forms, then (with
 * KASOU_X87_GENERATORS) for the case generators and the state dump, which
 * forms_mmx.h shares. */
#ifndef KASOU_FORMS_X87_H
#define KASOU_FORMS_X87_H

/* Layout of the x87/MMX test data (ESI = MEM). */
#define X87_A (MEM + 0x00)
#define X87_B (MEM + 0x10)
#define X87_C (MEM + 0x20)
#define X87_M (MEM + 0x30) /* the instruction's memory operand */
#define X87_CW (MEM + 0x40)
#define X87_SAVE (MEM + 0x80) /* the final FNSAVE image (108 bytes) */
#define X87_ENV (MEM + 0x100) /* environment / FSAVE image read or written by the instruction */
#define X87_FX (MEM + 0x200)  /* FXSAVE area (512 bytes, 16-byte aligned) */

enum { XC_NONE, XC_C1, XC_C12, XC_ALL };
enum { XM_NONE, XM_I16, XM_I32, XM_I64, XM_R32, XM_R64, XM_R80, XM_BCD, XM_ST2, XM_ST4, XM_ST8, XM_ST10,
       XM_ENV32_IN, XM_ENV16_IN, XM_SAVE32_IN, XM_SAVE16_IN, XM_FX_IN, XM_ENV32_OUT, XM_ENV16_OUT,
       XM_SAVE16_OUT, XM_FX_OUT };
enum { XD_ANY, XD_UNIT, XD_YL2XP1, XD_UNMASK };

#define X87_PRE "fninit\n fldcw word ptr [esi+0x40]\n"
#define X87_L1 X87_PRE "fld tbyte ptr [esi]\n"
#define X87_L2 X87_PRE "fld tbyte ptr [esi+0x10]\n fld tbyte ptr [esi]\n"
#define X87_L3 X87_PRE "fld tbyte ptr [esi+0x20]\n fld tbyte ptr [esi+0x10]\n fld tbyte ptr [esi]\n"
/* Every physical register gets a known value, then the stack is emptied again
 * (FNINIT keeps the contents): loads of tag words then see defined registers. */
#define X87_FILL8                                                                                     \
  "fninit\n fld tbyte ptr [esi]\n fld tbyte ptr [esi+0x10]\n fld tbyte ptr [esi+0x20]\n fld1\n fldz\n" \
  " fldpi\n fldl2e\n fldln2\n fninit\n fldcw word ptr [esi+0x40]\n"
#define X87_END "\n fnsave [esi+0x80]"
#define M16 "word ptr [esi+0x30]"
#define M32 "dword ptr [esi+0x30]"
#define M64 "qword ptr [esi+0x30]"
#define M80 "tbyte ptr [esi+0x30]"

#define XF(name, cc, n, mem, dom, text) F(x87_##name, C_X87, cc, n, mem, FAM_NONE, dom, text)
/* The six two-operand arithmetic instructions in their seven forms. */
#define X87_ARITH6(op) \
  XF(f##op##_st0_st1, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "f" #op " st(0), st(1)" X87_END)  \
  XF(f##op##_st1_st0, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "f" #op " st(1), st(0)" X87_END)  \
  XF(f##op##p, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "f" #op "p st(1), st(0)" X87_END)        \
  XF(f##op##_m32, XC_C1, 1, XM_R32, XD_ANY, X87_L1 "f" #op " " M32 X87_END)              \
  XF(f##op##_m64, XC_C1, 1, XM_R64, XD_ANY, X87_L1 "f" #op " " M64 X87_END)              \
  XF(fi##op##_m16, XC_C1, 1, XM_I16, XD_ANY, X87_L1 "fi" #op " " M16 X87_END)             \
  XF(fi##op##_m32, XC_C1, 1, XM_I32, XD_ANY, X87_L1 "fi" #op " " M32 X87_END)

#define FORMS_X87_LOADSTORE                                                                           \
  XF(fld_m32, XC_C1, 0, XM_R32, XD_ANY, X87_PRE "fld " M32 X87_END)                                  \
  XF(fld_m64, XC_C1, 1, XM_R64, XD_ANY, X87_L1 "fld " M64 X87_END)                                   \
  XF(fld_m80, XC_C1, 2, XM_R80, XD_ANY, X87_L2 "fld " M80 X87_END)                                   \
  XF(fild_m16, XC_C1, 0, XM_I16, XD_ANY, X87_PRE "fild " M16 X87_END)                                \
  XF(fild_m32, XC_C1, 1, XM_I32, XD_ANY, X87_L1 "fild " M32 X87_END)                                 \
  XF(fild_m64, XC_C1, 0, XM_I64, XD_ANY, X87_PRE "fild " M64 X87_END)                                \
  XF(fbld, XC_NONE, 1, XM_BCD, XD_ANY, X87_L1 "fbld " M80 X87_END)                                   \
  XF(fld_st2, XC_C1, 3, XM_NONE, XD_ANY, X87_L3 "fld st(2)" X87_END)                                 \
  XF(fld_st5_empty, XC_C1, 3, XM_NONE, XD_ANY, X87_L3 "fld st(5)" X87_END)                           \
  XF(fld_overflow, XC_C1, 3, XM_R80, XD_UNMASK,                                                      \
     X87_L3 "fld1\n fld st(0)\n fld st(0)\n fld st(0)\n fld st(0)\n fld " M80 X87_END)               \
  XF(fld1, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fld1" X87_END)                                         \
  XF(fldz, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldz" X87_END)                                        \
  XF(fldpi, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldpi" X87_END)                                      \
  XF(fldl2e, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldl2e" X87_END)                                    \
  XF(fldl2t, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldl2t" X87_END)                                    \
  XF(fldlg2, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldlg2" X87_END)                                    \
  XF(fldln2, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fldln2" X87_END)                                    \
  XF(fst_m32, XC_C1, 1, XM_ST4, XD_ANY, X87_L1 "fst " M32 X87_END)                                   \
  XF(fstp_m32, XC_C1, 2, XM_ST4, XD_ANY, X87_L2 "fstp " M32 X87_END)                                 \
  XF(fst_m64, XC_C1, 1, XM_ST8, XD_ANY, X87_L1 "fst " M64 X87_END)                                   \
  XF(fstp_m64, XC_C1, 1, XM_ST8, XD_ANY, X87_L1 "fstp " M64 X87_END)                                 \
  XF(fstp_m80, XC_C1, 1, XM_ST10, XD_ANY, X87_L1 "fstp " M80 X87_END)                                \
  XF(fstp_m64_empty, XC_C1, 0, XM_ST8, XD_ANY, X87_PRE "fstp " M64 X87_END)                          \
  XF(fist_m16, XC_C1, 1, XM_ST2, XD_ANY, X87_L1 "fist " M16 X87_END)                                 \
  XF(fist_m32, XC_C1, 1, XM_ST4, XD_ANY, X87_L1 "fist " M32 X87_END)                                 \
  XF(fistp_m16, XC_C1, 2, XM_ST2, XD_ANY, X87_L2 "fistp " M16 X87_END)                               \
  XF(fistp_m32, XC_C1, 1, XM_ST4, XD_ANY, X87_L1 "fistp " M32 X87_END)                               \
  XF(fistp_m64, XC_C1, 1, XM_ST8, XD_ANY, X87_L1 "fistp " M64 X87_END)                               \
  XF(fbstp, XC_NONE, 1, XM_ST10, XD_ANY, X87_L1 "fbstp " M80 X87_END)                                \
  XF(fst_st2, XC_C1, 3, XM_NONE, XD_ANY, X87_L3 "fst st(2)" X87_END)                                 \
  XF(fstp_st2, XC_C1, 3, XM_NONE, XD_ANY, X87_L3 "fstp st(2)" X87_END)                               \
  XF(fstp_st0, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fstp st(0)" X87_END)                               \
  XF(fstp1_alias, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xd9, 0xd9" X87_END)                      \
  XF(fstp8_alias, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdf, 0xd1" X87_END)                      \
  XF(fstp9_alias, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdf, 0xd9" X87_END)

#define FORMS_X87_ARITH \
  X87_ARITH6(add) X87_ARITH6(sub) X87_ARITH6(subr) X87_ARITH6(mul) X87_ARITH6(div) X87_ARITH6(divr)

#define FORMS_X87_MISC                                                                                \
  XF(fsqrt, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fsqrt" X87_END)                                       \
  XF(fabs, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fabs" X87_END)                                         \
  XF(fchs, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fchs" X87_END)                                         \
  XF(fchs_empty, XC_C1, 0, XM_NONE, XD_ANY, X87_PRE "fchs" X87_END)                                  \
  XF(frndint, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "frndint" X87_END)                                   \
  XF(fxtract, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fxtract" X87_END)                                   \
  XF(fscale, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fscale" X87_END)                                     \
  XF(fprem, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fprem" X87_END)                                      \
  XF(fprem1, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fprem1" X87_END)                                    \
  XF(f2xm1, XC_C1, 1, XM_NONE, XD_UNIT, X87_L1 "f2xm1" X87_END)                                      \
  XF(fyl2x, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fyl2x" X87_END)                                       \
  XF(fyl2xp1, XC_C1, 2, XM_NONE, XD_YL2XP1, X87_L2 "fyl2xp1" X87_END)                                \
  XF(fsin, XC_C12, 1, XM_NONE, XD_ANY, X87_L1 "fsin" X87_END)                                        \
  XF(fcos, XC_C12, 1, XM_NONE, XD_ANY, X87_L1 "fcos" X87_END)                                        \
  XF(fsincos, XC_C12, 2, XM_NONE, XD_ANY, X87_L2 "fsincos" X87_END)                                  \
  XF(fptan, XC_C12, 1, XM_NONE, XD_ANY, X87_L1 "fptan" X87_END)                                      \
  XF(fpatan, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fpatan" X87_END)                                     \
  XF(fcom_st1, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fcom st(1)" X87_END)                              \
  XF(fcomp_st1, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fcomp st(1)" X87_END)                            \
  XF(fcompp, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fcompp" X87_END)                                    \
  XF(fcom_m32, XC_ALL, 1, XM_R32, XD_ANY, X87_L1 "fcom " M32 X87_END)                                \
  XF(fcomp_m64, XC_ALL, 1, XM_R64, XD_ANY, X87_L1 "fcomp " M64 X87_END)                              \
  XF(ficom_m16, XC_ALL, 1, XM_I16, XD_ANY, X87_L1 "ficom " M16 X87_END)                              \
  XF(ficomp_m32, XC_ALL, 1, XM_I32, XD_ANY, X87_L1 "ficomp " M32 X87_END)                            \
  XF(fucom_st1, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fucom st(1)" X87_END)                            \
  XF(fucomp_st1, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fucomp st(1)" X87_END)                          \
  XF(fucompp, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 "fucompp" X87_END)                                  \
  XF(fcom2_alias, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdc, 0xd1" X87_END)                     \
  XF(fcomp3_alias, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdc, 0xd9" X87_END)                    \
  XF(fcomp5_alias, XC_ALL, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xde, 0xd1" X87_END)                    \
  XF(ftst, XC_ALL, 1, XM_NONE, XD_ANY, X87_L1 "ftst" X87_END)                                        \
  XF(fxam, XC_ALL, 1, XM_NONE, XD_ANY, X87_L1 "fxam" X87_END)                                        \
  XF(fxam_empty, XC_ALL, 0, XM_NONE, XD_ANY, X87_PRE "fld1\n ffree st(0)\n fxam" X87_END)            \
  XF(fcomi, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcomi st(0), st(1)" X87_END)                          \
  XF(fcomip, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcomip st(0), st(1)" X87_END)                        \
  XF(fucomi, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fucomi st(0), st(1)" X87_END)                        \
  XF(fucomip, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fucomip st(0), st(1)" X87_END)                      \
  XF(fucomi_empty, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fucomi st(0), st(3)" X87_END)                  \
  XF(fcmovb, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovb st(0), st(1)" X87_END)                        \
  XF(fcmove, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmove st(0), st(1)" X87_END)                        \
  XF(fcmovbe, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovbe st(0), st(1)" X87_END)                      \
  XF(fcmovu, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovu st(0), st(1)" X87_END)                        \
  XF(fcmovnb, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovnb st(0), st(1)" X87_END)                      \
  XF(fcmovne, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovne st(0), st(1)" X87_END)                      \
  XF(fcmovnbe, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovnbe st(0), st(1)" X87_END)                    \
  XF(fcmovnu, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fcmovnu st(0), st(1)" X87_END)                      \
  XF(fcmovb_empty, XC_C1, 1, XM_NONE, XD_ANY, X87_L1 "fcmovb st(0), st(4)" X87_END)                  \
  XF(fxch_st1, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fxch st(1)" X87_END)                               \
  XF(fxch_st3_empty, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fxch st(3)" X87_END)                         \
  XF(fxch4_alias, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdd, 0xc9" X87_END)                      \
  XF(fxch7_alias, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 ".byte 0xdf, 0xc9" X87_END)                      \
  XF(ffree_st1, XC_NONE, 3, XM_NONE, XD_ANY, X87_L3 "ffree st(1)" X87_END)                           \
  XF(ffreep_st1, XC_NONE, 3, XM_NONE, XD_ANY, X87_L3 ".byte 0xdf, 0xc1" X87_END)                     \
  XF(fincstp, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fincstp" X87_END)                                   \
  XF(fdecstp, XC_C1, 2, XM_NONE, XD_ANY, X87_L2 "fdecstp" X87_END)                                   \
  XF(fnop, XC_NONE, 1, XM_NONE, XD_ANY, X87_L1 "fnop" X87_END)                                       \
  XF(feni_fdisi_fsetpm, XC_NONE, 1, XM_NONE, XD_ANY, X87_L1 ".byte 0xdb, 0xe0, 0xdb, 0xe1, 0xdb, 0xe4" X87_END)

#define FORMS_X87_CONTROL                                                                             \
  XF(fnstsw_ax, XC_NONE, 2, XM_NONE, XD_ANY, X87_L2 "fcom st(1)\n fnstsw ax" X87_END)                \
  XF(fnstsw_m16, XC_NONE, 2, XM_ST2, XD_UNMASK, X87_L2 "fdiv st(0), st(1)\n fnstsw " M16 X87_END)    \
  XF(fnstcw_m16, XC_NONE, 1, XM_ST2, XD_UNMASK, X87_L1 "fnstcw " M16 X87_END)                        \
  XF(fldcw, XC_NONE, 2, XM_I16, XD_ANY, X87_L2 "fadd st(0), st(1)\n fldcw " M16 X87_END)             \
  XF(fnclex, XC_NONE, 2, XM_NONE, XD_UNMASK, X87_L2 "fdiv st(0), st(1)\n fnclex" X87_END)            \
  XF(fninit, XC_ALL, 2, XM_NONE, XD_UNMASK, X87_L2 "fsqrt\n fninit" X87_END)                         \
  XF(fnstenv32, XC_C1, 3, XM_ENV32_OUT, XD_UNMASK, X87_L3 "fmul st(0), st(2)\n fnstenv [esi+0x100]" X87_END) \
  XF(fnstenv16, XC_C1, 3, XM_ENV16_OUT, XD_UNMASK,                                                   \
     X87_L3 "fmul st(0), st(2)\n .byte 0x66\n fnstenv [esi+0x100]" X87_END)                          \
  XF(fldenv32, XC_ALL, 3, XM_ENV32_IN, XD_ANY, X87_FILL8 "fldenv [esi+0x100]" X87_END)               \
  XF(fldenv16, XC_ALL, 3, XM_ENV16_IN, XD_ANY, X87_FILL8 ".byte 0x66\n fldenv [esi+0x100]" X87_END)  \
  XF(fnsave16, XC_C1, 3, XM_SAVE16_OUT, XD_UNMASK, X87_L3 "fsub st(0), st(1)\n .byte 0x66\n fnsave [esi+0x100]" X87_END) \
  XF(frstor32, XC_ALL, 0, XM_SAVE32_IN, XD_ANY, X87_PRE "frstor [esi+0x100]" X87_END)                \
  XF(frstor16, XC_ALL, 0, XM_SAVE16_IN, XD_ANY, X87_PRE ".byte 0x66\n frstor [esi+0x100]" X87_END)   \
  XF(fxsave, XC_C1, 3, XM_FX_OUT, XD_UNMASK, X87_FILL8 "fld tbyte ptr [esi+0x10]\n fld tbyte ptr [esi]\n fsub st(0), st(1)\n fxsave [esi+0x200]" X87_END) \
  XF(fxrstor, XC_ALL, 0, XM_FX_IN, XD_ANY, X87_PRE "fxrstor [esi+0x200]" X87_END)                    \
  XF(fxrstor_fxsave, XC_ALL, 0, XM_FX_IN, XD_ANY, X87_PRE "fxrstor [esi+0x200]\n fld1\n fxsave [esi+0x200]" X87_END)

/* Unmasked exceptions: the instruction sets ES; FWAIT (or the next waiting
 * instruction) raises #MF, before which nothing else changes. */
#define FORMS_X87_UNMASKED                                                                            \
  XF(fadd_wait, XC_C1, 2, XM_NONE, XD_UNMASK, X87_L2 "fadd st(0), st(1)\n fwait" X87_END)            \
  XF(fdiv_m64_wait, XC_C1, 1, XM_R64, XD_UNMASK, X87_L1 "fdiv " M64 "\n fwait" X87_END)              \
  XF(fsqrt_fld, XC_C1, 1, XM_NONE, XD_UNMASK, X87_L1 "fsqrt\n fld1" X87_END)                         \
  XF(fscale_wait, XC_C1, 2, XM_NONE, XD_UNMASK, X87_L2 "fscale\n fwait" X87_END)                     \
  XF(fst_m32_wait, XC_C1, 1, XM_ST4, XD_UNMASK, X87_L1 "fstp " M32 "\n fwait" X87_END)               \
  XF(fist_m16_wait, XC_C1, 1, XM_ST2, XD_UNMASK, X87_L1 "fistp " M16 "\n fwait" X87_END)             \
  XF(fbstp_wait, XC_NONE, 1, XM_ST10, XD_UNMASK, X87_L1 "fbstp " M80 "\n fwait" X87_END)             \
  XF(fcom_wait, XC_ALL, 2, XM_NONE, XD_UNMASK, X87_L2 "fcom st(1)\n fwait" X87_END)                  \
  XF(fxch_wait, XC_C1, 1, XM_NONE, XD_UNMASK, X87_L1 "fxch st(2)\n fwait" X87_END)                   \
  XF(fldenv_wait, XC_ALL, 3, XM_ENV32_IN, XD_ANY, X87_FILL8 "fldenv [esi+0x100]\n fwait" X87_END)    \
  XF(frstor_fld, XC_ALL, 0, XM_SAVE32_IN, XD_ANY, X87_PRE "frstor [esi+0x100]\n fldz" X87_END)

#define FORMS_X87 FORMS_X87_LOADSTORE FORMS_X87_ARITH FORMS_X87_MISC FORMS_X87_CONTROL FORMS_X87_UNMASKED

#endif /* KASOU_FORMS_X87_H */

#ifdef KASOU_X87_GENERATORS
/* ---- x87 and MMX case generators and the FPU state dump (uses diff_main.c's
 * rnd, pick, wr32, the text buffers and tc). ---- */

static void wr16(uint32_t a, uint16_t v) { *(volatile uint16_t*)(uintptr_t)a = v; }
static uint16_t rd16(uint32_t a) { return *(volatile uint16_t*)(uintptr_t)a; }

struct f80 {
  uint32_t lo, hi;
  uint16_t se;
};

/* The guest sets CR0.NE once, so that unmasked exceptions are #MF as on the host. */
static void x87_platform_init(void) {
#ifdef KASOU_GUEST
  static int done;
  if (!done) {
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 | 0x20u) & ~0xCu; /* NE; EM and TS clear */
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    done = 1;
  }
#endif
}

/* An 80-bit value of a category (or a random one when cat < 0): zeros, small
 * integers, normals near 1 and anywhere, the extremes of the exponent range,
 * denormals, pseudo-denormals, infinities, QNaNs, SNaNs, unsupported encodings
 * (unnormals, pseudo-NaN/infinity), and integers near the limits of the integer
 * and BCD formats. The domain narrows the finite values (F2XM1, FYL2XP1). */
enum { V_ZERO, V_SMALLINT, V_NEAR1, V_WIDE, V_EXTREME, V_DENORM, V_PDENORM, V_INF, V_QNAN, V_SNAN, V_UNSUP,
       V_BIGINT, V_NCAT };
static struct f80 x87_value(int dom, int cat) {
  static const uint8_t weights[20] = {V_ZERO,  V_ZERO,  V_SMALLINT, V_SMALLINT, V_NEAR1,  V_NEAR1, V_NEAR1,
                                      V_NEAR1, V_NEAR1, V_WIDE,     V_WIDE,     V_WIDE,   V_EXTREME, V_DENORM,
                                      V_PDENORM, V_INF, V_QNAN,     V_SNAN,     V_UNSUP,  V_BIGINT};
  struct f80 v;
  if (cat < 0) cat = weights[rnd() % 20];
  if (dom == XD_UNIT || dom == XD_YL2XP1) {
    if (cat == V_SMALLINT || cat == V_WIDE || cat == V_EXTREME || cat == V_INF || cat == V_BIGINT) cat = V_NEAR1;
  }
  uint16_t sign = (rnd() & 1) ? 0x8000 : 0;
  v.lo = rnd();
  v.hi = rnd() | 0x80000000u;
  switch (rnd() & 7) { /* some exact powers of two and all-ones significands */
    case 0: v.hi = 0x80000000u, v.lo = 0; break;
    case 1: v.hi = 0xFFFFFFFFu, v.lo = 0xFFFFFFFFu; break;
    default: break;
  }
  switch (cat) {
    case V_ZERO: v.hi = v.lo = 0, v.se = 0; break;
    case V_SMALLINT: {
      uint32_t n = 1 + rnd() % 100, e = 31;
      while (!(n >> e)) e--;
      v.hi = n << (31 - e), v.lo = 0, v.se = (uint16_t)(0x3FFF + e);
      break;
    }
    case V_NEAR1:
      v.se = (uint16_t)(0x3FFF - 8 + rnd() % 17);
      if (dom == XD_UNIT) v.se = (uint16_t)(0x3FF0 + rnd() % 15), v.hi |= 0x80000000u;
      if (dom == XD_UNIT && (rnd() & 3) == 0) v.se = 0x3FFF, v.hi = 0x80000000u, v.lo = 0; /* +-1 exactly */
      if (dom == XD_YL2XP1) v.se = (uint16_t)(0x3FF0 + rnd() % 13);
      break;
    case V_WIDE: v.se = (uint16_t)(0x3FFF - 0x50 + rnd() % 0xA0); break;
    case V_EXTREME: v.se = (rnd() & 1) ? (uint16_t)(1 + rnd() % 3) : (uint16_t)(0x7FFE - rnd() % 3); break;
    case V_DENORM: v.hi &= 0x7FFFFFFFu, v.se = 0; if (!v.hi && !v.lo) v.lo = 1; break;
    case V_PDENORM: v.se = 0; break;
    case V_INF: v.hi = 0x80000000u, v.lo = 0, v.se = 0x7FFF; break;
    case V_QNAN: v.hi |= 0xC0000000u, v.se = 0x7FFF; break;
    case V_SNAN: v.hi = (v.hi & 0xBFFFFFFFu) | 0x80000000u, v.se = 0x7FFF; if (v.hi == 0x80000000u && !v.lo) v.lo = 1; break;
    case V_UNSUP: v.hi &= 0x7FFFFFFFu, v.se = (rnd() & 1) ? 0x7FFF : (uint16_t)(1 + rnd() % 0x7FFE); break;
    default: { /* V_BIGINT: near 2^15, 2^31, 2^63 and 10^18 (BCD) */
      static const uint8_t exps[5] = {14, 15, 30, 31, 62};
      int k = rnd() % 6;
      if (k < 5) {
        v.se = (uint16_t)(0x3FFF + exps[k] + (rnd() & 1));
      } else {
        v.se = 0x3FFF + 59, v.hi = 0xDE0B6B3Au, v.lo = 0xA7640000u + (rnd() % 3) - 1; /* 10^18 */
      }
      break;
    }
  }
  v.se |= sign;
  return v;
}

static void x87_put(uint32_t a, struct f80 v) {
  wr32(a, v.lo);
  wr32(a + 4, v.hi);
  wr16(a + 8, v.se);
}
static void x87_print(const char* tag, struct f80 v) {
  t_kv(&ibuf, tag, v.se, 4);
  t_str(&ibuf, ":");
  t_hex(&ibuf, v.hi, 8);
  t_hex(&ibuf, v.lo, 8);
}

/* A control word: RC any, PC 24/53/64 bits (01 is reserved), masks all set or
 * (for XD_UNMASK forms, and one case in four otherwise) random. */
static uint16_t x87_cw(const struct form* f, int i) {
  static const uint16_t pcs[3] = {0x000, 0x200, 0x300};
  if (i < 12) return 0x037F;
  uint16_t cw = (uint16_t)(0x0040 | (rnd() & 0x0C00) | pcs[rnd() % 3]);
  int unmask = f->arg == XD_UNMASK ? (i & 1) : (i % 4 == 3);
  return (uint16_t)(cw | (unmask ? (rnd() & 0x3F) : 0x3F));
}

/* A value of memory format `m` at X87_M (loads), printed. */
static void x87_mem_value(int m, int i) {
  uint32_t lo = rnd(), hi = rnd();
  int cat = i < 12 ? i % 8 : (int)(rnd() % 10);
  switch (m) {
    case XM_I16: wr16(X87_M, (uint16_t)pick(16)); phex("m", rd16(X87_M), 16); return;
    case XM_I32: wr32(X87_M, pick(32)); phex("m", rd32(X87_M), 32); return;
    case XM_I64:
      if (cat < 4) hi = cat == 0 ? 0 : cat == 1 ? 0xFFFFFFFFu : cat == 2 ? 0x80000000u : 0x7FFFFFFFu;
      if (cat < 4) lo = cat == 2 ? 0 : cat == 3 ? 0xFFFFFFFFu : pick(32);
      wr32(X87_M, lo), wr32(X87_M + 4, hi);
      break;
    case XM_R32: { /* zero, denormal, near 1, wide, max, inf, QNaN, SNaN */
      static const uint32_t exps[8] = {0, 0, 127, 0, 254, 255, 255, 255};
      uint32_t e = cat == 3 ? 1 + rnd() % 254 : cat >= 8 ? 120 + rnd() % 16 : exps[cat];
      uint32_t m = lo & 0x7FFFFF;
      if (cat == 0) m = 0;
      if (cat == 1 && !m) m = 1;
      if (cat == 4) m = 0x7FFFFF;
      if (cat == 5) m = 0;
      if (cat == 6) m |= 0x400000;
      if (cat == 7) m = (m & 0x3FFFFF) | 1;
      wr32(X87_M, (hi & 0x80000000u) | e << 23 | m);
      phex("m", rd32(X87_M), 32);
      return;
    }
    case XM_R64: {
      static const uint32_t exps[8] = {0, 0, 1023, 0, 2046, 2047, 2047, 2047};
      uint32_t e = cat == 3 ? 1 + rnd() % 2046 : cat >= 8 ? 1015 + rnd() % 16 : exps[cat];
      uint32_t mh = hi & 0xFFFFF, ml = lo;
      if (cat == 0 || cat == 5) mh = ml = 0;
      if (cat == 1 && !mh && !ml) ml = 1;
      if (cat == 4) mh = 0xFFFFF, ml = 0xFFFFFFFFu;
      if (cat == 6) mh |= 0x80000;
      if (cat == 7) mh = (mh & 0x7FFFF), ml |= 1;
      wr32(X87_M, ml), wr32(X87_M + 4, (hi & 0x80000000u) | e << 20 | mh);
      break;
    }
    case XM_R80: {
      struct f80 v = x87_value(XD_ANY, i < 12 ? i : -1);
      x87_put(X87_M, v);
      x87_print("m", v);
      return;
    }
    default: { /* XM_BCD: valid digits only (others are undefined) */
      uint32_t d[3] = {0, 0, 0};
      int n = 1 + (int)(rnd() % 18);
      for (int k = 0; k < n; k++) d[k / 8] |= (rnd() % 10) << (4 * (k % 8));
      wr32(X87_M, d[0]), wr32(X87_M + 4, d[1]);
      wr16(X87_M + 8, (uint16_t)((d[2] & 0xFF) | ((rnd() & 1) ? 0x8000 : 0)));
      t_kv(&ibuf, "m", rd16(X87_M + 8), 4);
      t_hex(&ibuf, rd32(X87_M + 4), 8);
      t_hex(&ibuf, rd32(X87_M), 8);
      return;
    }
  }
  t_kv(&ibuf, "m", rd32(X87_M + 4), 8);
  t_hex(&ibuf, rd32(X87_M), 8);
}

/* A random environment at X87_ENV (32- or 16-bit layout), and for FRSTOR the
 * registers after it. FSW and FTW are random (ES and B too: the CPU derives them). */
static void x87_env_image(int m) {
  int op32 = m == XM_ENV32_IN || m == XM_SAVE32_IN;
  uint16_t cw = (uint16_t)((rnd() & 0x1F3F) | 0x40);
  if ((cw & 0x300) == 0x100) cw |= 0x200; /* no reserved PC */
  fill_random(X87_ENV, 0x70);
  if (op32) {
    wr16(X87_ENV, cw), wr16(X87_ENV + 4, (uint16_t)rnd()), wr16(X87_ENV + 8, (uint16_t)rnd());
  } else {
    wr16(X87_ENV, cw), wr16(X87_ENV + 2, (uint16_t)rnd()), wr16(X87_ENV + 4, (uint16_t)rnd());
  }
  if (m == XM_SAVE32_IN || m == XM_SAVE16_IN)
    for (uint32_t r = 0; r < 8; r++) x87_put(X87_ENV + (op32 ? 28 : 14) + 10 * r, x87_value(XD_ANY, -1));
  t_kv(&ibuf, "env#", fnv((const void*)(uintptr_t)X87_ENV, 0x70), 8);
}

/* A random FXSAVE image at X87_FX: MXCSR valid except in one case in eight (a
 * reserved bit, #GP(0), outside the MXCSR_MASK of every CPU). */
static void x87_fx_image(int i) {
  uint16_t cw = (uint16_t)((rnd() & 0x1F3F) | 0x40);
  if ((cw & 0x300) == 0x100) cw |= 0x200;
  fill_random(X87_FX, 512);
  wr16(X87_FX, cw);
  if (i & 1) wr16(X87_FX + 2, (uint16_t)(rd16(X87_FX + 2) & ~(~cw & 0x3F))); /* nothing pending */
  for (uint32_t r = 0; r < 8; r++) x87_put(X87_FX + 32 + 16 * r, x87_value(XD_ANY, -1));
  wr32(X87_FX + 24, i % 8 == 7 ? 0x1F80u | 1u << 20 : 0x1F80u);
  t_kv(&ibuf, "fx#", fnv((const void*)(uintptr_t)X87_FX, 512), 8);
}

static int gen_x87(const struct form* f, int i) {
  int m = f->b;
  int n = (m >= XM_ENV32_IN && m <= XM_FX_IN) ? 24 : 32;
  if (i >= n) return 1;
  x87_platform_init();
  uint16_t cw = x87_cw(f, i);
  wr16(X87_CW, cw);
  phex("cw", cw, 16);
  struct f80 v[3];
  for (int k = 0; k < 3; k++) {
    v[k] = x87_value(f->arg, i < 12 ? (k == 0 ? i : (i * 5 + 3 * k) % V_NCAT) : -1);
    x87_put(X87_A + 16 * (uint32_t)k, v[k]);
  }
  if (f->arg == XD_YL2XP1) v[1] = x87_value(XD_ANY, -1), x87_put(X87_B, v[1]); /* only ST0 is limited */
  static const char* const names[3] = {"a", "b", "c"};
  for (int k = 0; k < f->a; k++) x87_print(names[k], v[k]);
  /* The final FNSAVE image starts as "nothing stored" (all empty), which is what
   * a faulting case prints. */
  for (uint32_t k = 0; k < 108; k += 4) wr32(X87_SAVE + k, 0);
  wr16(X87_SAVE + 8, 0xFFFF);
  if (m >= XM_I16 && m <= XM_BCD) x87_mem_value(m, i);
  if (m >= XM_ST2 && m <= XM_ST10) fill_random(X87_M, 16);
  if (m >= XM_ENV32_IN && m <= XM_SAVE16_IN) x87_env_image(m);
  if (m == XM_FX_IN) x87_fx_image(i);
  if (m == XM_ENV32_OUT || m == XM_ENV16_OUT || m == XM_SAVE16_OUT) fill_random(X87_ENV, 0x70);
  if (m == XM_FX_OUT) fill_random(X87_FX, 512);

  static const uint16_t defined[4] = {0, 0x0200, 0x0600, 0x4700};
  uint32_t swmask = (0xFFFFu & ~0x4700u) | defined[f->w];
  dump_add('x', X87_SAVE, 108, swmask);
  if (m >= XM_ST2 && m <= XM_ST10) dump_add('m', X87_M, 8, ~0u);
  if (m == XM_ST10) dump_add('n', X87_M + 8, 4, 0xFFFF);
  if (m == XM_ENV32_OUT) {
    dump_add('e', X87_ENV, 4, ~0u);
    dump_add('e', X87_ENV + 4, 4, 0xFFFF0000u | swmask);
    dump_add('e', X87_ENV + 8, 4, ~0u);
  }
  if (m == XM_ENV16_OUT) {
    dump_add('e', X87_ENV, 4, 0xFFFFu | swmask << 16);
    dump_add('e', X87_ENV + 4, 4, 0xFFFF);
  }
  if (m == XM_SAVE16_OUT) dump_add('y', X87_ENV, 94, swmask);
  if (m == XM_FX_OUT) dump_add('f', X87_FX, 512, swmask);
  return 0;
}

/* Prints an FNSAVE image (len 108: 32-bit, 94: 16-bit layout) or an FXSAVE image
 * (tag 'f'): control word, status word (C bits outside d->mask hidden), tags,
 * MXCSR (FXSAVE), and each non-empty register in stack order. Tag 'z' (MMX
 * forms): registers still holding what the MMX loads put there (bits 79-64 set,
 * MMi = Ri from MEM + 8 i) are left out. */
static void x87_dump(struct text* t, const struct dump* d) {
  const uint32_t p = d->addr;
  const int fx = d->tag == 'f', sav16 = d->len == 94, mmx = d->tag == 'z';
  uint16_t cw = rd16(p), sw, tw;
  uint32_t regs, stride = 10;
  if (fx) sw = rd16(p + 2), tw = *(volatile uint8_t*)(uintptr_t)(p + 4), regs = p + 32, stride = 16;
  else if (sav16) sw = rd16(p + 2), tw = rd16(p + 4), regs = p + 14;
  else sw = rd16(p + 4), tw = rd16(p + 8), regs = p + 28;
  char tag[4] = {' ', d->tag, 0, 0};
  t_str(t, tag);
  t_kv(t, "cw", cw, 4);
  t_kv(t, "sw", sw & d->mask, 4);
  t_kv(t, "tw", tw, fx ? 2 : 4);
  if (fx) t_kv(t, "mx", rd32(p + 24), 8);
  unsigned top = (sw >> 11) & 7;
  for (unsigned i = 0; i < 8; i++) {
    unsigned phys = (top + i) & 7;
    int empty = fx ? !((tw >> phys) & 1) : ((tw >> (2 * phys)) & 3) == 3;
    if (empty) continue;
    char name[3] = {'s', (char)('0' + i), 0};
    uint32_t r = regs + stride * i;
    if (mmx && rd16(r + 8) == 0xFFFF && rd32(r) == rd32(MEM + 8 * phys) && rd32(r + 4) == rd32(MEM + 8 * phys + 4))
      continue;
    t_kv(t, name, rd16(r + 8), 4);
    t_str(t, ":");
    t_hex(t, rd32(r + 4), 8);
    t_hex(t, rd32(r), 8);
  }
}

#endif /* KASOU_X87_GENERATORS */
