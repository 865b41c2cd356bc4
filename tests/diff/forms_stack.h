/* Differential test forms: PUSH POP in all forms (registers, ESP itself, memory
 * with ESP-relative addresses, immediates, 16-bit operand size), PUSHA POPA,
 * PUSHF POPF (the user-visible flags, incl. AC ID NT and the fixed bits), ENTER
 * (nesting levels 0..31 and a level masked to 5 bits) LEAVE, CALL RET; and the
 * string instructions MOVS STOS LODS CMPS SCAS in 8/16/32 bits, without prefix,
 * with REP / REPE / REPNE, with DF = 0 and 1.
 * ESP starts at STK_TOP. arg of C_STACK: STK_EBP_FRAME = EBP points to a frame
 * at FRAME_ADDR (ENTER with nesting), STK_EBP_STACK = EBP = STK_TOP - 16 (LEAVE). */

#define FORMS_STACK                                                                                  \
  F(push32_r, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push ebx")                                  \
  F(push32_esp, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push esp")                                \
  F(push32_m, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push dword ptr [esi]")                      \
  F(push32_m_esp, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push dword ptr [esp+4]")                \
  F(push32_i8, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push -5")                                  \
  F(push32_i32, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push 0x87654321")                         \
  F(push16_r, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "push bx")                                   \
  F(push16_m, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "push word ptr [esi]")                       \
  F(push16_i16, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "pushw 0x8765")                            \
  F(push16_i8, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, ".byte 0x66, 0x6a, 0x80")                   \
  F(pop32_r, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pop ebx")                                    \
  F(pop32_esp, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pop esp")                                  \
  F(pop32_m, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pop dword ptr [esi]")                        \
  F(pop32_m_esp, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pop dword ptr [esp]")                    \
  F(pop32_m_esp4, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pop dword ptr [esp+4]")                 \
  F(pop16_r, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "pop dx")                                     \
  F(pop16_m, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "pop word ptr [esi]")                         \
  F(push_pop_seq, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push eax\n push ebx\n pushw cx\n pop dx\n pop eax\n pop ebx") \
  F(pushad, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "pushad")                                      \
  F(pushaw, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "pushaw")                                      \
  F(popad, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "popad")                                        \
  F(popaw, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, 0, "popaw")                                        \
  F(pushfd, C_PUSHF, 32, L_NONE, L_NONE, FAM_NONE, 0, "pushfd")                                      \
  F(pushfw, C_PUSHF, 16, L_NONE, L_NONE, FAM_NONE, 0, "pushfw")                                      \
  F(popfd, C_POPF, 32, L_NONE, L_NONE, FAM_NONE, 0, "popfd")                                         \
  F(popfw, C_POPF, 16, L_NONE, L_NONE, FAM_NONE, 0, "popfw")                                         \
  F(enter_0_0, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 0, 0")                   \
  F(enter_16_0, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 16, 0")                 \
  F(enter_8_1, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 8, 1")                   \
  F(enter_12_2, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 12, 2")                 \
  F(enter_4_5, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 4, 5")                   \
  F(enter_0_31, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 0, 31")                 \
  F(enter_big_33, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 0x1234, 33")          \
  F(enterw_8_2, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enterw 8, 2")                 \
  F(enterw_6_0, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enterw 6, 0")                 \
  F(leave, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_STACK, "leave")                            \
  F(leavew, C_STACK, 16, L_NONE, L_NONE, FAM_NONE, STK_EBP_STACK, "leavew")                          \
  F(enter_leave, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, STK_EBP_FRAME, "enter 24, 3\n mov [ebp-4], eax\n leave") \
  F(call_pop, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "call 1f\n1: pop edx\n sub edx, offset 1b\n mov dword ptr [esp-4], 0")  \
  F(call_ret, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "call 1f\n jmp 2f\n1: mov edx, esp\n ret\n2: mov dword ptr [esp-4], 0") \
  F(ret_imm, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "push offset 1f\n ret 8\n1: mov dword ptr [esp-12], 0")               \
  F(call_indirect, C_STACK, 32, L_NONE, L_NONE, FAM_NONE, 0, "mov edx, offset 1f\n call edx\n jmp 2f\n1: mov edx, [esp]\n sub edx, offset 1b\n ret\n2: mov dword ptr [esp-4], 0")

/* arg of C_STR: element size | op << 4 | rep << 8 (| STR_OVERLAP: source and
 * destination overlap, EDI a few bytes after ESI in the walk direction, so an
 * element-by-element copy replicates a pattern where a memmove would not). */
#define STR_ARG(size, op, rep) ((size) | ((op) << 4) | ((rep) << 8))
#define STR_FORMS(sfx, size)                                                                            \
  F(movs##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_MOVS, R_NONE), "movs" #sfx)   \
  F(rep_movs##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_MOVS, R_REP), "rep movs" #sfx) \
  F(stos##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_STOS, R_NONE), "stos" #sfx)   \
  F(rep_stos##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_STOS, R_REP), "rep stos" #sfx) \
  F(lods##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_LODS, R_NONE), "lods" #sfx)   \
  F(rep_lods##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_LODS, R_REP), "rep lods" #sfx) \
  F(cmps##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_CMPS, R_NONE), "cmps" #sfx)   \
  F(repe_cmps##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_CMPS, R_REP), "repe cmps" #sfx) \
  F(repne_cmps##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_CMPS, R_REPNE), "repne cmps" #sfx) \
  F(scas##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_SCAS, R_NONE), "scas" #sfx)   \
  F(repe_scas##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_SCAS, R_REP), "repe scas" #sfx) \
  F(repne_scas##sfx, C_STR, size * 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(size, S_SCAS, R_REPNE), "repne scas" #sfx)

#define FORMS_STRING                                                                                     \
  STR_FORMS(b, 1) STR_FORMS(w, 2) STR_FORMS(d, 4)                                                        \
  F(rep_movsd_ss, C_STR, 32, L_NONE, L_NONE, FAM_NONE, STR_ARG(4, S_MOVS, R_REP), ".byte 0xf3, 0x36, 0xa5") \
  F(lodsd_es, C_STR, 32, L_NONE, L_NONE, FAM_NONE, STR_ARG(4, S_LODS, R_NONE), ".byte 0x26, 0xad")          \
  F(rep_movsb_overlap, C_STR, 8, L_NONE, L_NONE, FAM_NONE, STR_ARG(1, S_MOVS, R_REP) | STR_OVERLAP, "rep movsb") \
  F(rep_movsw_overlap, C_STR, 16, L_NONE, L_NONE, FAM_NONE, STR_ARG(2, S_MOVS, R_REP) | STR_OVERLAP, "rep movsw") \
  F(rep_movsd_overlap, C_STR, 32, L_NONE, L_NONE, FAM_NONE, STR_ARG(4, S_MOVS, R_REP) | STR_OVERLAP, "rep movsd")
