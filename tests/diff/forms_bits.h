/* Differential test forms: BT BTS BTR BTC with a register or imm8 bit offset on
 * a register or a memory operand (memory bit strings: the register offset is
 * signed and reaches +-512 KiB around MEM; the generator dumps the addressed
 * word); BSF BSR (a zero source leaves the destination unchanged on real CPUs
 * and sets ZF); BSWAP; SETcc and CMOVcc for all 16 conditions; LAHF SAHF CLC STC
 * CMC CLD STD; CBW CWDE CWD CDQ. arg of C_BT = the imm8 offset, or ARG_REG. */

#define BT_FORMS(op)                                                                       \
  F(op##32_rr, C_BT, 32, L_EAX, L_EBX, FAM_BT, ARG_REG, #op " eax, ebx")                    \
  F(op##32_mr, C_BT, 32, L_M, L_EBX, FAM_BT, ARG_REG, #op " dword ptr [esi], ebx")          \
  F(op##32_mr_sib, C_BT, 32, L_M, L_EDX, FAM_BT, ARG_REG, #op " dword ptr [esi+edi*4-8], edx") \
  F(op##32_ri, C_BT, 32, L_EDX, L_IMM, FAM_BT, 19, #op " edx, 19")                          \
  F(op##32_ri_big, C_BT, 32, L_EAX, L_IMM, FAM_BT, 63, #op " eax, 63")                      \
  F(op##32_mi, C_BT, 32, L_M, L_IMM, FAM_BT, 31, #op " dword ptr [esi], 31")                \
  F(op##32_mi_big, C_BT, 32, L_M, L_IMM, FAM_BT, 200, #op " dword ptr [esi], 200")          \
  F(op##16_rr, C_BT, 16, L_EAX, L_EBX, FAM_BT, ARG_REG, #op " ax, bx")                      \
  F(op##16_mr, C_BT, 16, L_M, L_EBX, FAM_BT, ARG_REG, #op " word ptr [esi], bx")            \
  F(op##16_ri, C_BT, 16, L_EBX, L_IMM, FAM_BT, 15, #op " bx, 15")                           \
  F(op##16_mi, C_BT, 16, L_M, L_IMM, FAM_BT, 21, #op " word ptr [esi], 21")

#define BSF_FORMS(op)                                                                 \
  F(op##32_rr, C_BSF, 32, L_EAX, L_EBX, FAM_BSF, 0, #op " eax, ebx")                  \
  F(op##32_rm, C_BSF, 32, L_EDX, L_M, FAM_BSF, 0, #op " edx, dword ptr [esi]")        \
  F(op##32_same, C_BSF, 32, L_EAX, L_EAX, FAM_BSF, 0, #op " eax, eax")                \
  F(op##16_rr, C_BSF, 16, L_EAX, L_EBX, FAM_BSF, 0, #op " ax, bx")                    \
  F(op##16_rm, C_BSF, 16, L_EBX, L_M, FAM_BSF, 0, #op " bx, word ptr [esi]")

#define CC_FORMS(cc)                                                                   \
  F(set##cc##_r, C_ALU1, 8, L_EAX, L_NONE, FAM_NONE, 0, "set" #cc " al")               \
  F(set##cc##_h, C_ALU1, 8, L_BH, L_NONE, FAM_NONE, 0, "set" #cc " bh")                \
  F(set##cc##_m, C_ALU1, 8, L_M, L_NONE, FAM_NONE, 0, "set" #cc " byte ptr [esi]")     \
  F(cmov##cc##32_rr, C_ALU2, 32, L_EAX, L_EBX, FAM_NONE, 0, "cmov" #cc " eax, ebx")    \
  F(cmov##cc##32_rm, C_ALU2, 32, L_EDX, L_M, FAM_NONE, 0, "cmov" #cc " edx, dword ptr [esi]") \
  F(cmov##cc##16_rr, C_ALU2, 16, L_EBX, L_EDX, FAM_NONE, 0, "cmov" #cc " bx, dx")

#define FORMS_BITS                                                                  \
  BT_FORMS(bt) BT_FORMS(bts) BT_FORMS(btr) BT_FORMS(btc)                            \
  F(lock_bts32_mr, C_BT, 32, L_M, L_EBX, FAM_BT, ARG_REG, "lock bts dword ptr [esi], ebx") \
  F(lock_btc16_mi, C_BT, 16, L_M, L_IMM, FAM_BT, 3, "lock btc word ptr [esi], 3")   \
  BSF_FORMS(bsf) BSF_FORMS(bsr)                                                     \
  F(bswap_eax, C_ALU1, 32, L_EAX, L_NONE, FAM_NONE, 0, "bswap eax")                \
  F(bswap_ebx, C_ALU1, 32, L_EBX, L_NONE, FAM_NONE, 0, "bswap ebx")                \
  F(bswap_ecx, C_ALU1, 32, L_ECX, L_NONE, FAM_NONE, 0, "bswap ecx")                \
  F(bswap_edx, C_ALU1, 32, L_EDX, L_NONE, FAM_NONE, 0, "bswap edx")                \
  F(bswap_esi, C_ALU1, 32, L_ESI, L_NONE, FAM_NONE, 0, "bswap esi")               \
  F(bswap_edi, C_ALU1, 32, L_EDI, L_NONE, FAM_NONE, 0, "bswap edi")               \
  F(bswap_ebp, C_ALU1, 32, L_EBP, L_NONE, FAM_NONE, 0, "bswap ebp")               \
  CC_FORMS(o) CC_FORMS(no) CC_FORMS(b) CC_FORMS(ae) CC_FORMS(e) CC_FORMS(ne)        \
  CC_FORMS(be) CC_FORMS(a) CC_FORMS(s) CC_FORMS(ns) CC_FORMS(p) CC_FORMS(np)        \
  CC_FORMS(l) CC_FORMS(ge) CC_FORMS(le) CC_FORMS(g)                                 \
  F(lahf, C_ALU1, 8, L_AH, L_NONE, FAM_NONE, 0, "lahf")                            \
  F(sahf, C_ALU1, 8, L_AH, L_NONE, FAM_NONE, 0, "sahf")                            \
  F(clc, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "clc")                           \
  F(stc, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "stc")                           \
  F(cmc, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "cmc")                           \
  F(std, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "std") \
  F(cld, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "cld")                           \
  F(cbw, C_ALU1, 8, L_EAX, L_NONE, FAM_NONE, 0, "cbw")                             \
  F(cwde, C_ALU1, 16, L_EAX, L_NONE, FAM_NONE, 0, "cwde")                          \
  F(cwd, C_ALU1, 16, L_EAX, L_NONE, FAM_NONE, 0, "cwd")                            \
  F(cdq, C_ALU1, 32, L_EAX, L_NONE, FAM_NONE, 0, "cdq")
