/* Differential test forms: SHL SHR SAR ROL ROR RCL RCR by 1 (D0/D1), by imm8
 * (C0/C1, including imm 0, imm 1 and counts >= width and > 31, which the CPU
 * masks to 5 bits), by CL (the case generator walks CL over 0, 1, w-1, w, w+1,
 * 31, 32, 33 and random values); SHLD SHRD by imm and CL.
 * arg = the immediate count, or ARG_CL when the count is in CL.
 * ext = the ModRM reg field of the C0/C1/D0-D3 group (ROL 0 ROR 1 RCL 2 RCR 3 SHL 4 SHR 5 SAR 7). */

#define SHIFT_FORMS(op, fam, ext)                                                                             \
  F(op##32_r1, C_SHIFT, 32, L_EAX, L_IMM, fam, 1, #op " eax, 1")                                              \
  F(op##32_m1, C_SHIFT, 32, L_M, L_IMM, fam, 1, #op " dword ptr [esi], 1")                                    \
  F(op##32_rcl, C_SHIFT, 32, L_EBX, L_ECX, fam, ARG_CL, #op " ebx, cl")                                       \
  F(op##32_mcl, C_SHIFT, 32, L_M, L_ECX, fam, ARG_CL, #op " dword ptr [esi+edi*4-8], cl")                     \
  F(op##32_ri0, C_SHIFT, 32, L_EAX, L_IMM, fam, 0, #op " eax, 0")                                             \
  F(op##32_ri1, C_SHIFT, 32, L_EAX, L_IMM, fam, 1, ".byte 0xc1, 0xc0+8*" #ext ", 1")                          \
  F(op##32_ri7, C_SHIFT, 32, L_EDX, L_IMM, fam, 7, #op " edx, 7")                                             \
  F(op##32_ri31, C_SHIFT, 32, L_EAX, L_IMM, fam, 31, #op " eax, 31")                                          \
  F(op##32_ri32, C_SHIFT, 32, L_EAX, L_IMM, fam, 32, #op " eax, 32")                                          \
  F(op##32_ri33, C_SHIFT, 32, L_EAX, L_IMM, fam, 33, #op " eax, 33")                                          \
  F(op##32_mi13, C_SHIFT, 32, L_M, L_IMM, fam, 13, #op " dword ptr [esi], 13")                                \
  F(op##16_r1, C_SHIFT, 16, L_EAX, L_IMM, fam, 1, #op " ax, 1")                                               \
  F(op##16_rcl, C_SHIFT, 16, L_EDX, L_ECX, fam, ARG_CL, #op " dx, cl")                                        \
  F(op##16_mcl, C_SHIFT, 16, L_M, L_ECX, fam, ARG_CL, #op " word ptr [esi], cl")                              \
  F(op##16_ri15, C_SHIFT, 16, L_EBX, L_IMM, fam, 15, #op " bx, 15")                                           \
  F(op##16_ri16, C_SHIFT, 16, L_EAX, L_IMM, fam, 16, #op " ax, 16")                                           \
  F(op##16_ri17, C_SHIFT, 16, L_EAX, L_IMM, fam, 17, #op " ax, 17")                                           \
  F(op##16_mi1, C_SHIFT, 16, L_M, L_IMM, fam, 1, ".byte 0x66, 0xc1, 0x06+8*" #ext ", 1")                      \
  F(op##8_r1, C_SHIFT, 8, L_EAX, L_IMM, fam, 1, #op " al, 1")                                                 \
  F(op##8_h1, C_SHIFT, 8, L_BH, L_IMM, fam, 1, #op " bh, 1")                                                  \
  F(op##8_m1, C_SHIFT, 8, L_M, L_IMM, fam, 1, #op " byte ptr [esi], 1")                                       \
  F(op##8_rcl, C_SHIFT, 8, L_EAX, L_ECX, fam, ARG_CL, #op " al, cl")                                          \
  F(op##8_hcl, C_SHIFT, 8, L_AH, L_ECX, fam, ARG_CL, #op " ah, cl")                                           \
  F(op##8_mcl, C_SHIFT, 8, L_M, L_ECX, fam, ARG_CL, #op " byte ptr [esi], cl")                                \
  F(op##8_ri3, C_SHIFT, 8, L_EBX, L_IMM, fam, 3, #op " bl, 3")                                                \
  F(op##8_ri8, C_SHIFT, 8, L_EAX, L_IMM, fam, 8, #op " al, 8")                                                \
  F(op##8_ri9, C_SHIFT, 8, L_EAX, L_IMM, fam, 9, #op " al, 9")                                                \
  F(op##8_ri31, C_SHIFT, 8, L_EDX, L_IMM, fam, 31, #op " dl, 31")                                             \
  F(op##8_mi7, C_SHIFT, 8, L_M, L_IMM, fam, 7, #op " byte ptr [esi], 7")

/* b = the register shifted in. */
#define SHD_FORMS(op)                                                                                          \
  F(op##32_rr_cl, C_SHD, 32, L_EAX, L_EBX, FAM_SHD, ARG_CL, #op " eax, ebx, cl")                               \
  F(op##32_mr_cl, C_SHD, 32, L_M, L_EDX, FAM_SHD, ARG_CL, #op " dword ptr [esi], edx, cl")                     \
  F(op##32_rr_i0, C_SHD, 32, L_EAX, L_EBX, FAM_SHD, 0, #op " eax, ebx, 0")                                     \
  F(op##32_rr_i1, C_SHD, 32, L_EAX, L_EBX, FAM_SHD, 1, #op " eax, ebx, 1")                                     \
  F(op##32_rr_i12, C_SHD, 32, L_EDX, L_EAX, FAM_SHD, 12, #op " edx, eax, 12")                                  \
  F(op##32_rr_i31, C_SHD, 32, L_EAX, L_EBX, FAM_SHD, 31, #op " eax, ebx, 31")                                  \
  F(op##32_rr_i32, C_SHD, 32, L_EAX, L_EBX, FAM_SHD, 32, #op " eax, ebx, 32")                                  \
  F(op##32_mr_i5, C_SHD, 32, L_M, L_EBX, FAM_SHD, 5, #op " dword ptr [esi+edi*4-8], ebx, 5")                   \
  F(op##16_rr_cl, C_SHD, 16, L_EAX, L_EBX, FAM_SHD, ARG_CL, #op " ax, bx, cl")                                 \
  F(op##16_mr_cl, C_SHD, 16, L_M, L_EBX, FAM_SHD, ARG_CL, #op " word ptr [esi], bx, cl")                       \
  F(op##16_rr_i1, C_SHD, 16, L_EBX, L_EDX, FAM_SHD, 1, #op " bx, dx, 1")                                       \
  F(op##16_rr_i15, C_SHD, 16, L_EAX, L_EBX, FAM_SHD, 15, #op " ax, bx, 15")                                    \
  F(op##16_rr_i16, C_SHD, 16, L_EAX, L_EBX, FAM_SHD, 16, #op " ax, bx, 16")                                    \
  F(op##16_mr_i9, C_SHD, 16, L_M, L_EDX, FAM_SHD, 9, #op " word ptr [esi], dx, 9")

#define FORMS_SHIFT                 \
  SHIFT_FORMS(shl, FAM_SHL, 4)      \
  SHIFT_FORMS(shr, FAM_SHL, 5)      \
  SHIFT_FORMS(sar, FAM_SAR, 7)      \
  SHIFT_FORMS(rol, FAM_ROT, 0)      \
  SHIFT_FORMS(ror, FAM_ROT, 1)      \
  SHIFT_FORMS(rcl, FAM_ROT, 2)      \
  SHIFT_FORMS(rcr, FAM_ROT, 3)      \
  SHD_FORMS(shld)                   \
  SHD_FORMS(shrd)
