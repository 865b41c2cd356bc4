/* Differential test forms: data movement (MOV in all operand forms incl. moffs and
 * high-byte registers, MOVZX MOVSX, XCHG, XADD, CMPXCHG, CMPXCHG8B, XLAT, NOPs),
 * LEA (32- and 16-bit addressing), BCD (DAA DAS AAA AAS AAM AAD), LOOP LOOPcc
 * JCXZ JECXZ. The stack and string forms are in forms_stack.h. */

#define FORMS_MOV                                                                                 \
  F(mov32_rr, C_ALU2, 32, L_EAX, L_EBX, FAM_NONE, 0, "mov eax, ebx")                              \
  F(mov32_rr_ld, C_ALU2, 32, L_EBX, L_EDX, FAM_NONE, 0, "{load} mov ebx, edx")                    \
  F(mov32_rm, C_ALU2, 32, L_EDX, L_M, FAM_NONE, 0, "mov edx, dword ptr [esi]")                    \
  F(mov32_rm_bp, C_ALU2, 32, L_EBX, L_M, FAM_NONE, 0, "mov ebx, dword ptr [ebp-0x40]")            \
  F(mov32_mr, C_ALU2, 32, L_M, L_EAX, FAM_NONE, 0, "mov dword ptr [esi+edi*4-8], eax")            \
  F(mov32_ri, C_ALU2, 32, L_ECX, L_IMM, FAM_NONE, 0, "mov ecx, 0x89abcdef")                       \
  F(mov32_ri_c7, C_ALU2, 32, L_EDX, L_IMM, FAM_NONE, 0, ".byte 0xc7, 0xc2, 0x78, 0x56, 0x34, 0x12") \
  F(mov32_mi, C_ALU2, 32, L_M, L_IMM, FAM_NONE, 0, "mov dword ptr [esi], 0x80000000")             \
  F(mov32_moffs_ld, C_ALU2, 32, L_EAX, L_M, FAM_NONE, 0, "mov eax, dword ptr ds:[0x900000]")      \
  F(mov32_moffs_st, C_ALU2, 32, L_M, L_EAX, FAM_NONE, 0, "mov dword ptr ds:[0x900000], eax")      \
  F(mov16_rr, C_ALU2, 16, L_EAX, L_EBX, FAM_NONE, 0, "mov ax, bx")                                \
  F(mov16_rm, C_ALU2, 16, L_EDX, L_M, FAM_NONE, 0, "mov dx, word ptr [esi]")                      \
  F(mov16_mr, C_ALU2, 16, L_M, L_EBX, FAM_NONE, 0, "mov word ptr [esi], bx")                      \
  F(mov16_ri, C_ALU2, 16, L_EBX, L_IMM, FAM_NONE, 0, "mov bx, 0x8001")                            \
  F(mov16_mi, C_ALU2, 16, L_M, L_IMM, FAM_NONE, 0, "mov word ptr [esi+edi*4-8], 0xfffe")          \
  F(mov16_moffs_ld, C_ALU2, 16, L_EAX, L_M, FAM_NONE, 0, "mov ax, word ptr ds:[0x900000]")        \
  F(mov16_moffs_st, C_ALU2, 16, L_M, L_EAX, FAM_NONE, 0, "mov word ptr ds:[0x900000], ax")        \
  F(mov8_rr, C_ALU2, 8, L_EAX, L_EBX, FAM_NONE, 0, "mov al, bl")                                  \
  F(mov8_hh, C_ALU2, 8, L_AH, L_BH, FAM_NONE, 0, "mov ah, bh")                                    \
  F(mov8_lh, C_ALU2, 8, L_EDX, L_AH, FAM_NONE, 0, "mov dl, ah")                                   \
  F(mov8_hl_ld, C_ALU2, 8, L_BH, L_ECX, FAM_NONE, 0, "{load} mov bh, cl")                         \
  F(mov8_rm, C_ALU2, 8, L_AH, L_M, FAM_NONE, 0, "mov ah, byte ptr [esi]")                         \
  F(mov8_mr, C_ALU2, 8, L_M, L_BH, FAM_NONE, 0, "mov byte ptr [esi], bh")                         \
  F(mov8_ri, C_ALU2, 8, L_BH, L_IMM, FAM_NONE, 0, "mov bh, 0x80")                                 \
  F(mov8_mi, C_ALU2, 8, L_M, L_IMM, FAM_NONE, 0, "mov byte ptr [esi], 0x7f")                      \
  F(mov8_moffs_ld, C_ALU2, 8, L_EAX, L_M, FAM_NONE, 0, "mov al, byte ptr ds:[0x900000]")          \
  F(mov8_moffs_st, C_ALU2, 8, L_M, L_EAX, FAM_NONE, 0, "mov byte ptr ds:[0x900000], al")          \
  F(mov32_es_seg, C_ALU2, 32, L_EAX, L_M, FAM_NONE, 0, "mov eax, dword ptr es:[esi]")             \
  F(mov32_ss_seg_st, C_ALU2, 32, L_M, L_EBX, FAM_NONE, 0, "mov dword ptr ss:[esi], ebx")          \
  F(movzx32_r8, C_ALU2, 8, L_EAX, L_EBX, FAM_NONE, 0, "movzx eax, bl")                            \
  F(movzx32_h8, C_ALU2, 8, L_EDX, L_BH, FAM_NONE, 0, "movzx edx, bh")                             \
  F(movzx32_m8, C_ALU2, 8, L_EBX, L_M, FAM_NONE, 0, "movzx ebx, byte ptr [esi]")                  \
  F(movzx32_r16, C_ALU2, 16, L_EAX, L_EBX, FAM_NONE, 0, "movzx eax, bx")                          \
  F(movzx32_m16, C_ALU2, 16, L_EDX, L_M, FAM_NONE, 0, "movzx edx, word ptr [esi]")                \
  F(movzx16_r8, C_ALU2, 8, L_EAX, L_BH, FAM_NONE, 0, "movzx ax, bh")                              \
  F(movzx16_m8, C_ALU2, 8, L_EBX, L_M, FAM_NONE, 0, "movzx bx, byte ptr [esi]")                   \
  F(movsx32_r8, C_ALU2, 8, L_EAX, L_EBX, FAM_NONE, 0, "movsx eax, bl")                            \
  F(movsx32_h8, C_ALU2, 8, L_EDX, L_AH, FAM_NONE, 0, "movsx edx, ah")                             \
  F(movsx32_m8, C_ALU2, 8, L_EBX, L_M, FAM_NONE, 0, "movsx ebx, byte ptr [esi]")                  \
  F(movsx32_r16, C_ALU2, 16, L_EAX, L_EBX, FAM_NONE, 0, "movsx eax, bx")                          \
  F(movsx32_m16, C_ALU2, 16, L_EDX, L_M, FAM_NONE, 0, "movsx edx, word ptr [esi]")                \
  F(movsx16_r8, C_ALU2, 8, L_EAX, L_BH, FAM_NONE, 0, "movsx ax, bh")                              \
  F(movsx16_m8, C_ALU2, 8, L_EBX, L_M, FAM_NONE, 0, "movsx bx, byte ptr [esi]")                   \
  F(movsx32_same, C_ALU2, 16, L_EAX, L_EAX, FAM_NONE, 0, "movsx eax, ax")                         \
  F(xchg32_eax_r, C_ALU2, 32, L_EAX, L_ECX, FAM_NONE, 0, "xchg eax, ecx")                         \
  F(xchg32_rr, C_ALU2, 32, L_EBX, L_EDX, FAM_NONE, 0, "xchg ebx, edx")                            \
  F(xchg32_mr, C_ALU2, 32, L_M, L_EAX, FAM_NONE, 0, "xchg dword ptr [esi], eax")                  \
  F(xchg16_ax_r, C_ALU2, 16, L_EAX, L_EBX, FAM_NONE, 0, "xchg ax, bx")                            \
  F(xchg16_mr, C_ALU2, 16, L_M, L_EDX, FAM_NONE, 0, "xchg word ptr [esi], dx")                    \
  F(xchg8_hl, C_ALU2, 8, L_AH, L_EBX, FAM_NONE, 0, "xchg ah, bl")                                 \
  F(xchg8_mr, C_ALU2, 8, L_M, L_BH, FAM_NONE, 0, "xchg byte ptr [esi], bh")                       \
  F(xadd32_rr, C_ALU2, 32, L_EAX, L_EBX, FAM_NONE, 0, "xadd eax, ebx")                            \
  F(xadd32_mr, C_ALU2, 32, L_M, L_EBX, FAM_NONE, 0, "xadd dword ptr [esi], ebx")                  \
  F(xadd32_lock, C_ALU2, 32, L_M, L_ECX, FAM_NONE, 0, "lock xadd dword ptr [esi], ecx")           \
  F(xadd32_same, C_ALU2, 32, L_EDX, L_EDX, FAM_NONE, 0, "xadd edx, edx")                          \
  F(xadd16_rr, C_ALU2, 16, L_EAX, L_EBX, FAM_NONE, 0, "xadd ax, bx")                              \
  F(xadd16_mr, C_ALU2, 16, L_M, L_EDX, FAM_NONE, 0, "xadd word ptr [esi], dx")                    \
  F(xadd8_lh, C_ALU2, 8, L_EBX, L_AH, FAM_NONE, 0, "xadd bl, ah")                                 \
  F(xadd8_mr, C_ALU2, 8, L_M, L_BH, FAM_NONE, 0, "xadd byte ptr [esi], bh")                       \
  F(cmpxchg32_rr, C_CMPXCHG, 32, L_EBX, L_ECX, FAM_NONE, 0, "cmpxchg ebx, ecx")                   \
  F(cmpxchg32_mr, C_CMPXCHG, 32, L_M, L_ECX, FAM_NONE, 0, "cmpxchg dword ptr [esi], ecx")         \
  F(cmpxchg32_lock, C_CMPXCHG, 32, L_M, L_ECX, FAM_NONE, 0, "lock cmpxchg dword ptr [esi], ecx")  \
  F(cmpxchg32_acc, C_CMPXCHG, 32, L_EAX, L_ECX, FAM_NONE, 0, "cmpxchg eax, ecx")                  \
  F(cmpxchg16_rr, C_CMPXCHG, 16, L_EBX, L_ECX, FAM_NONE, 0, "cmpxchg bx, cx")                     \
  F(cmpxchg16_mr, C_CMPXCHG, 16, L_M, L_ECX, FAM_NONE, 0, "cmpxchg word ptr [esi], cx")           \
  F(cmpxchg8_rr, C_CMPXCHG, 8, L_EBX, L_ECX, FAM_NONE, 0, "cmpxchg bl, cl")                       \
  F(cmpxchg8_hr, C_CMPXCHG, 8, L_AH, L_ECX, FAM_NONE, 0, "cmpxchg ah, cl")                        \
  F(cmpxchg8_mr, C_CMPXCHG, 8, L_M, L_ECX, FAM_NONE, 0, "cmpxchg byte ptr [esi], cl")             \
  F(cmpxchg8b_m, C_CX8, 64, L_M, L_NONE, FAM_NONE, 0, "cmpxchg8b qword ptr [esi]")               \
  F(cmpxchg8b_lock, C_CX8, 64, L_M, L_NONE, FAM_NONE, 0, "lock cmpxchg8b qword ptr [esi+edi*4-8]") \
  F(xlat, C_XLAT, 8, L_EAX, L_NONE, FAM_NONE, 0, "xlatb")                                        \
  F(xlat_ss, C_XLAT, 8, L_EAX, L_NONE, FAM_NONE, 0, "ss xlatb")                                  \
  F(nop, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "nop")                                         \
  F(nop_0f1f, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "nop dword ptr [eax+ebx*4+0x10]")          \
  F(nop_66_0f1f, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00") \
  F(endbr32, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, ".byte 0xf3, 0x0f, 0x1e, 0xfb")             \
  F(hint_nop_0f19, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, ".byte 0x0f, 0x19, 0x06")             \
  F(pause, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "pause")

#define FORMS_LEA                                                                          \
  F(lea32_b, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [ebx]")                      \
  F(lea32_bi, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [ebx+ecx]")                 \
  F(lea32_bis_d8, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [ebx+ecx*2+0x10]")      \
  F(lea32_bis_d32, C_LEA, 32, L_EDX, L_NONE, FAM_NONE, 0, "lea edx, [esi+edi*8-0x12345678]") \
  F(lea32_is_d32, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [ecx*4+0x7ffffff0]")    \
  F(lea32_is, C_LEA, 32, L_EBX, L_NONE, FAM_NONE, 0, "lea ebx, [edx*8]")                   \
  F(lea32_x5, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [eax+eax*4]")               \
  F(lea32_bp, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [ebp]")                     \
  F(lea32_bp_d32, C_LEA, 32, L_ECX, L_NONE, FAM_NONE, 0, "lea ecx, [ebp+edx+0x80000000]")  \
  F(lea32_sp, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [esp+ebx*2+3]")             \
  F(lea32_sp0, C_LEA, 32, L_EDI, L_NONE, FAM_NONE, 0, "lea edi, [esp]")                    \
  F(lea32_abs, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [0x89abcdef]")          \
  F(lea32_neg, C_LEA, 32, L_ECX, L_NONE, FAM_NONE, 0, "lea ecx, [edx-1]")                  \
  F(lea16_a32, C_LEA, 16, L_EAX, L_NONE, FAM_NONE, 0, "lea ax, [ebx+ecx*2+0x1234]")        \
  F(lea32_a16_bx_si, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [bx+si]")            \
  F(lea32_a16_bx_di, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [bx+di+0x12]")       \
  F(lea32_a16_bp_si, C_LEA, 32, L_EDX, L_NONE, FAM_NONE, 0, "lea edx, [bp+si-1]")          \
  F(lea32_a16_bp_di, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [bp+di+0x7fff]")     \
  F(lea32_a16_si, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [si]")                  \
  F(lea32_a16_di, C_LEA, 32, L_EBX, L_NONE, FAM_NONE, 0, "lea ebx, [di-0x80]")             \
  F(lea32_a16_bp, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [bp]")                  \
  F(lea32_a16_bx, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "lea eax, [bx-0x8000]")           \
  F(lea32_a16_abs, C_LEA, 32, L_EAX, L_NONE, FAM_NONE, 0, "addr16 lea eax, [0xfedc]")      \
  F(lea16_a16, C_LEA, 16, L_EAX, L_NONE, FAM_NONE, 0, "lea ax, [bx+si-2]")                 \
  F(lea16_a16_bp, C_LEA, 16, L_ECX, L_NONE, FAM_NONE, 0, "lea cx, [bp+di+0x1234]")

/* arg of C_BCD: 1 = all 1024 combinations of AL, AF and CF; 0 = random AX and flags. */
#define FORMS_BCD                                                                  \
  F(daa, C_BCD, 8, L_EAX, L_NONE, FAM_DAA, 1, "daa")                               \
  F(das, C_BCD, 8, L_EAX, L_NONE, FAM_DAA, 1, "das")                               \
  F(aaa, C_BCD, 8, L_EAX, L_NONE, FAM_AAA, 0, "aaa")                               \
  F(aas, C_BCD, 8, L_EAX, L_NONE, FAM_AAA, 0, "aas")                               \
  F(aam, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aam")                               \
  F(aam16, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aam 16")                          \
  F(aam255, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aam 255")                        \
  F(aam0, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aam 0")                            \
  F(aad, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aad")                               \
  F(aad7, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aad 7")                            \
  F(aad0, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aad 0")                            \
  F(aad255, C_BCD, 8, L_EAX, L_NONE, FAM_AAM, 0, "aad 255")

/* The body leaves 1 (fell through) or 2 (branch taken) in EDX.
 * arg of C_LOOP: 0 = ECX from boundaries (0, 1, 2, 0x10000, ...), 1 = ECX in 1..64
 * for backward loops; EBX is the compare value of the LOOPNE search loop. */
#define LOOP_FWD(name, insn) \
  F(name, C_LOOP, 32, L_NONE, L_NONE, FAM_NONE, 0, insn " 1f\n mov edx, 1\n jmp 2f\n1: mov edx, 2\n2:")
/* Jcc rel8 and rel32 for the 16 conditions on random flags; JMP and CALL through
 * a register and through memory (the slot is cleared afterwards: it held a code
 * address, which differs between the two builds). */
#define JCC_FORMS(cc)                                                                                            \
  F(j##cc##_short, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "j" #cc " 1f\n mov edx, 1\n jmp 2f\n1: mov edx, 2\n2:") \
  F(j##cc##_near, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "j" #cc " 1f\n mov edx, 1\n jmp 2f\n .fill 130, 1, 0xcc\n1: mov edx, 2\n2:")
#define FORMS_JUMP                                                                                               \
  JCC_FORMS(o) JCC_FORMS(no) JCC_FORMS(b) JCC_FORMS(ae) JCC_FORMS(e) JCC_FORMS(ne) JCC_FORMS(be) JCC_FORMS(a)     \
  JCC_FORMS(s) JCC_FORMS(ns) JCC_FORMS(p) JCC_FORMS(np) JCC_FORMS(l) JCC_FORMS(ge) JCC_FORMS(le) JCC_FORMS(g)     \
  F(jmp_reg, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0, "mov edx, offset 1f\n jmp edx\n ud2\n1: mov edx, 3")         \
  F(jmp_mem, C_ALU1, 32, L_NONE, L_NONE, FAM_NONE, 0,                                                           \
    "mov dword ptr [esi+4], offset 1f\n jmp dword ptr [esi+4]\n ud2\n1: mov dword ptr [esi+4], 0")               \
  F(call_mem, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0,                                                         \
    "mov dword ptr [esi+4], offset 1f\n call dword ptr [esi+4]\n jmp 2f\n1: mov edx, [esp]\n sub edx, offset 1b\n ret\n" \
    "2: mov dword ptr [esi+4], 0\n mov dword ptr [esp-4], 0")

#define FORMS_LOOP                                                                                   \
  LOOP_FWD(loop, "loop")                                                                             \
  LOOP_FWD(loope, "loope")                                                                           \
  LOOP_FWD(loopne, "loopne")                                                                         \
  LOOP_FWD(jecxz, "jecxz")                                                                           \
  LOOP_FWD(jcxz_a16, "jcxz")                                                                         \
  LOOP_FWD(loop_a16, "loopw")                                                                        \
  LOOP_FWD(loopne_a16, "loopnew")                                                                    \
  F(loop_back, C_LOOP, 32, L_NONE, L_NONE, FAM_NONE, 1, "xor edx, edx\n1: add edx, ecx\n loop 1b")   \
  F(loopne_back, C_LOOP, 32, L_NONE, L_NONE, FAM_NONE, 1, "xor edx, edx\n1: inc edx\n cmp edx, ebx\n loopne 1b") \
  F(loope_back, C_LOOP, 32, L_NONE, L_NONE, FAM_NONE, 1, "mov edx, ebx\n1: shr edx, 1\n test edx, 1\n loope 1b")
