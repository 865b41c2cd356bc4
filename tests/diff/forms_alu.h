/* Differential test forms: ADD ADC SUB SBB CMP AND OR XOR TEST NEG NOT INC DEC
 * in 8/16/32 bits, register / memory / immediate forms, including the
 * alternative encodings ({load} = the 02/03-style reg,reg opcode, 0x82, 0xFF /0).
 *
 * F(name, class, width, a-location, b-location, flag family, arg, "intel asm")
 * a = first (destination) operand, b = second; L_M is the dword at MEM, which the
 * bodies reach as [esi] (ESI = MEM), [esi+edi*4-8] (EDI = 2), [ebp-0x40]
 * (EBP = MEM + 0x40) or the absolute address. */

/* The imm strings: i8 = sign-extended imm8 (opcode 83), i32/i16/ib = full width. */
#define ALU2_FORMS(op, fam, i8, i32, i16, ib)                                                         \
  F(op##32_rr, C_ALU2, 32, L_EAX, L_EBX, fam, 0, #op " eax, ebx")                                 \
  F(op##32_rr_ld, C_ALU2, 32, L_EBX, L_EDX, fam, 0, "{load} " #op " ebx, edx")                    \
  F(op##32_rm, C_ALU2, 32, L_EAX, L_M, fam, 0, #op " eax, dword ptr [esi]")                       \
  F(op##32_rm_sib, C_ALU2, 32, L_EDX, L_M, fam, 0, #op " edx, dword ptr [esi+edi*4-8]")           \
  F(op##32_mr, C_ALU2, 32, L_M, L_EBX, fam, 0, #op " dword ptr [esi], ebx")                       \
  F(op##32_mr_abs, C_ALU2, 32, L_M, L_EAX, fam, 0, #op " dword ptr ds:[0x900000], eax")           \
  F(op##32_mr_bp, C_ALU2, 32, L_M, L_ECX, fam, 0, #op " dword ptr [ebp-0x40], ecx")               \
  F(op##32_ri8, C_ALU2, 32, L_EBX, L_IMM, fam, 0, #op " ebx, " i8)                                \
  F(op##32_eax_i, C_ALU2, 32, L_EAX, L_IMM, fam, 0, #op " eax, " i32)                             \
  F(op##32_ri, C_ALU2, 32, L_EDX, L_IMM, fam, 0, #op " edx, " i32)                                \
  F(op##32_mi8, C_ALU2, 32, L_M, L_IMM, fam, 0, #op " dword ptr [esi+edi*4-8], " i8)              \
  F(op##32_mi, C_ALU2, 32, L_M, L_IMM, fam, 0, #op " dword ptr [esi], " i32)                      \
  F(op##16_rr, C_ALU2, 16, L_EAX, L_EBX, fam, 0, #op " ax, bx")                                   \
  F(op##16_rm, C_ALU2, 16, L_EBX, L_M, fam, 0, #op " bx, word ptr [esi]")                         \
  F(op##16_mr, C_ALU2, 16, L_M, L_EDX, fam, 0, #op " word ptr [esi], dx")                         \
  F(op##16_ri8, C_ALU2, 16, L_EBX, L_IMM, fam, 0, #op " bx, " i8)                                 \
  F(op##16_ax_i, C_ALU2, 16, L_EAX, L_IMM, fam, 0, #op " ax, " i16)                               \
  F(op##16_mi, C_ALU2, 16, L_M, L_IMM, fam, 0, #op " word ptr [esi], " i16)                       \
  F(op##8_rr, C_ALU2, 8, L_EAX, L_EBX, fam, 0, #op " al, bl")                                     \
  F(op##8_hh, C_ALU2, 8, L_AH, L_BH, fam, 0, #op " ah, bh")                                       \
  F(op##8_lh_ld, C_ALU2, 8, L_EBX, L_AH, fam, 0, "{load} " #op " bl, ah")                         \
  F(op##8_rm, C_ALU2, 8, L_AH, L_M, fam, 0, #op " ah, byte ptr [esi]")                            \
  F(op##8_mr, C_ALU2, 8, L_M, L_EBX, fam, 0, #op " byte ptr [esi+edi*4-8], bl")                   \
  F(op##8_al_i, C_ALU2, 8, L_EAX, L_IMM, fam, 0, #op " al, " ib)                                  \
  F(op##8_bh_i, C_ALU2, 8, L_BH, L_IMM, fam, 0, #op " bh, " ib)                                   \
  F(op##8_mi, C_ALU2, 8, L_M, L_IMM, fam, 0, #op " byte ptr [esi], " ib)

/* ModRM reg field of the 80-83 group, for the 0x82 alias (valid outside 64-bit mode). */
#define ALU_82_FORM(op, fam, ext) \
  F(op##8_op82, C_ALU2, 8, L_EBX, L_IMM, fam, 0, ".byte 0x82, 0xc3+8*" #ext ", 0x81")

#define TEST_FORMS                                                                        \
  F(test32_rr, C_ALU2, 32, L_EAX, L_EBX, FAM_LOGIC, 0, "test eax, ebx")                  \
  F(test32_mr, C_ALU2, 32, L_M, L_EDX, FAM_LOGIC, 0, "test dword ptr [esi], edx")        \
  F(test32_eax_i, C_ALU2, 32, L_EAX, L_IMM, FAM_LOGIC, 0, "test eax, 0x80000001")        \
  F(test32_ri, C_ALU2, 32, L_EBX, L_IMM, FAM_LOGIC, 0, "test ebx, 0xffff0000")           \
  F(test32_mi, C_ALU2, 32, L_M, L_IMM, FAM_LOGIC, 0, "test dword ptr [esi], 0x7fffffff") \
  F(test16_rr, C_ALU2, 16, L_EAX, L_EBX, FAM_LOGIC, 0, "test ax, bx")                    \
  F(test16_ax_i, C_ALU2, 16, L_EAX, L_IMM, FAM_LOGIC, 0, "test ax, 0x8000")              \
  F(test16_mi, C_ALU2, 16, L_M, L_IMM, FAM_LOGIC, 0, "test word ptr [esi], 0x00ff")      \
  F(test8_rr, C_ALU2, 8, L_EAX, L_EBX, FAM_LOGIC, 0, "test al, bl")                      \
  F(test8_hh, C_ALU2, 8, L_AH, L_BH, FAM_LOGIC, 0, "test ah, bh")                        \
  F(test8_al_i, C_ALU2, 8, L_EAX, L_IMM, FAM_LOGIC, 0, "test al, 0x80")                  \
  F(test8_bh_i, C_ALU2, 8, L_BH, L_IMM, FAM_LOGIC, 0, "test bh, 0x01")                   \
  F(test8_mr, C_ALU2, 8, L_M, L_BH, FAM_LOGIC, 0, "test byte ptr [esi], bh")

#define UNARY_FORMS(op, fam)                                                    \
  F(op##32_r, C_ALU1, 32, L_EAX, L_NONE, fam, 0, #op " eax")                    \
  F(op##32_m, C_ALU1, 32, L_M, L_NONE, fam, 0, #op " dword ptr [esi]")          \
  F(op##16_r, C_ALU1, 16, L_EBX, L_NONE, fam, 0, #op " bx")                     \
  F(op##16_m, C_ALU1, 16, L_M, L_NONE, fam, 0, #op " word ptr [esi+edi*4-8]")  \
  F(op##8_r, C_ALU1, 8, L_EAX, L_NONE, fam, 0, #op " al")                       \
  F(op##8_h, C_ALU1, 8, L_BH, L_NONE, fam, 0, #op " bh")                        \
  F(op##8_m, C_ALU1, 8, L_M, L_NONE, fam, 0, #op " byte ptr [esi]")

#define FORMS_ALU                                                                               \
  ALU2_FORMS(add, FAM_NONE, "-1", "0x7fffffff", "0x8000", "0x80")                               \
  ALU2_FORMS(adc, FAM_NONE, "0x7f", "0x80000000", "0x7fff", "0xff")                             \
  ALU2_FORMS(sub, FAM_NONE, "1", "0x80000000", "0xffff", "0x7f")                                \
  ALU2_FORMS(sbb, FAM_NONE, "-128", "0xffffffff", "0x8000", "0x01")                             \
  ALU2_FORMS(cmp, FAM_NONE, "-1", "0x7fffffff", "0x7fff", "0x80")                               \
  ALU2_FORMS(and, FAM_LOGIC, "-16", "0x8000ffff", "0x00ff", "0x0f")                             \
  ALU2_FORMS(or, FAM_LOGIC, "0x40", "0x80000000", "0x8001", "0x80")                             \
  ALU2_FORMS(xor, FAM_LOGIC, "-1", "0x55aa55aa", "0xffff", "0x80")                              \
  ALU_82_FORM(add, FAM_NONE, 0)                                                                 \
  ALU_82_FORM(sbb, FAM_NONE, 3)                                                                 \
  ALU_82_FORM(xor, FAM_LOGIC, 6)                                                                \
  TEST_FORMS                                                                                    \
  UNARY_FORMS(neg, FAM_NONE)                                                                    \
  UNARY_FORMS(not, FAM_NONE)                                                                    \
  UNARY_FORMS(inc, FAM_NONE)                                                                    \
  UNARY_FORMS(dec, FAM_NONE)                                                                    \
  F(inc32_short_edx, C_ALU1, 32, L_EDX, L_NONE, FAM_NONE, 0, "inc edx")                       \
  F(dec32_short_ecx, C_ALU1, 32, L_ECX, L_NONE, FAM_NONE, 0, "dec ecx")                       \
  F(inc32_ff, C_ALU1, 32, L_EAX, L_NONE, FAM_NONE, 0, ".byte 0xff, 0xc0")                     \
  F(dec16_ff, C_ALU1, 16, L_EAX, L_NONE, FAM_NONE, 0, ".byte 0x66, 0xff, 0xc8")               \
  F(inc16_short, C_ALU1, 16, L_EDX, L_NONE, FAM_NONE, 0, "inc dx")                            \
  F(neg8_ah, C_ALU1, 8, L_AH, L_NONE, FAM_NONE, 0, "neg ah")                                  \
  F(lock_add32_mr, C_ALU2, 32, L_M, L_EBX, FAM_NONE, 0, "lock add dword ptr [esi], ebx")      \
  F(lock_sbb8_mr, C_ALU2, 8, L_M, L_BH, FAM_NONE, 0, "lock sbb byte ptr [esi], bh")           \
  F(lock_or16_mi, C_ALU2, 16, L_M, L_IMM, FAM_LOGIC, 0, "lock or word ptr [esi], 0x8001")     \
  F(lock_inc32_m, C_ALU1, 32, L_M, L_NONE, FAM_NONE, 0, "lock inc dword ptr [esi]")           \
  F(lock_neg8_m, C_ALU1, 8, L_M, L_NONE, FAM_NONE, 0, "lock neg byte ptr [esi]")              \
  F(lock_not16_m, C_ALU1, 16, L_M, L_NONE, FAM_NONE, 0, "lock not word ptr [esi]")            \
  F(add32_ds_seg, C_ALU2, 32, L_EAX, L_M, FAM_NONE, 0, "ds add eax, dword ptr [esi]")         \
  F(sub32_ss_seg, C_ALU2, 32, L_M, L_EBX, FAM_NONE, 0, "sub dword ptr ss:[esi], ebx")
