/* Differential test forms: MUL, IMUL (one-operand, two-operand, three-operand
 * with imm8 and full immediates), DIV and IDIV (#DE on a zero divisor and on
 * quotient overflow, including INT_MIN / -1), in 8/16/32 bits, register and
 * memory operands. For the one-operand forms arg selects the generator:
 * MD_MUL (unsigned product), MD_IMUL, MD_DIV, MD_IDIV; b = the explicit operand. */

#define MULDIV_FORMS(op, kind, fam)                                                       \
  F(op##32_r, C_MULDIV, 32, L_NONE, L_EBX, fam, kind, #op " ebx")                         \
  F(op##32_m, C_MULDIV, 32, L_NONE, L_M, fam, kind, #op " dword ptr [esi]")               \
  F(op##16_r, C_MULDIV, 16, L_NONE, L_EBX, fam, kind, #op " bx")                          \
  F(op##16_m, C_MULDIV, 16, L_NONE, L_M, fam, kind, #op " word ptr [esi+edi*4-8]")        \
  F(op##8_r, C_MULDIV, 8, L_NONE, L_EBX, fam, kind, #op " bl")                            \
  F(op##8_h, C_MULDIV, 8, L_NONE, L_BH, fam, kind, #op " bh")                             \
  F(op##8_m, C_MULDIV, 8, L_NONE, L_M, fam, kind, #op " byte ptr [esi]")

#define FORMS_MULDIV                                                                                 \
  MULDIV_FORMS(mul, MD_MUL, FAM_MUL)                                                                 \
  MULDIV_FORMS(imul, MD_IMUL, FAM_MUL)                                                               \
  MULDIV_FORMS(div, MD_DIV, FAM_DIV)                                                                 \
  MULDIV_FORMS(idiv, MD_IDIV, FAM_DIV)                                                               \
  F(imul32_rr, C_ALU2, 32, L_EAX, L_EBX, FAM_MUL, 0, "imul eax, ebx")                                \
  F(imul32_rm, C_ALU2, 32, L_EDX, L_M, FAM_MUL, 0, "imul edx, dword ptr [esi]")                      \
  F(imul16_rr, C_ALU2, 16, L_EAX, L_EBX, FAM_MUL, 0, "imul ax, bx")                                  \
  F(imul16_rm, C_ALU2, 16, L_EBX, L_M, FAM_MUL, 0, "imul bx, word ptr [esi]")                        \
  F(imul32_rri8, C_ALU2, 32, L_EAX, L_EBX, FAM_MUL, 0, "imul eax, ebx, -3")                          \
  F(imul32_rri8b, C_ALU2, 32, L_EDX, L_EBX, FAM_MUL, 0, "imul edx, ebx, 127")                        \
  F(imul32_rri, C_ALU2, 32, L_ECX, L_EBX, FAM_MUL, 0, "imul ecx, ebx, 0x12345")                      \
  F(imul32_rri_big, C_ALU2, 32, L_EAX, L_EAX, FAM_MUL, 0, "imul eax, eax, 0x80000001")               \
  F(imul32_rmi, C_ALU2, 32, L_EAX, L_M, FAM_MUL, 0, "imul eax, dword ptr [esi], 0x7fffffff")         \
  F(imul16_rri8, C_ALU2, 16, L_EAX, L_EBX, FAM_MUL, 0, "imul ax, bx, -128")                          \
  F(imul16_rri, C_ALU2, 16, L_EDX, L_EBX, FAM_MUL, 0, "imul dx, bx, 0x4321")                         \
  F(imul16_rmi, C_ALU2, 16, L_EBX, L_M, FAM_MUL, 0, "imul bx, word ptr [esi], -2")
