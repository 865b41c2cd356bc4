// Guest -> host register mapping for re-encoded instructions.
#include "jit/host_regs.h"

namespace kasou::jit {

ZydisRegister map_guest_reg(ZydisRegister r) {
  if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) return r;  // low bytes of RAX..RBX
  if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) return r;  // high bytes: legacy encodings
  static const ZydisRegister k16[8] = {ZYDIS_REGISTER_AX, ZYDIS_REGISTER_CX, ZYDIS_REGISTER_DX, ZYDIS_REGISTER_BX,
                                       ZYDIS_REGISTER_R12W, ZYDIS_REGISTER_R13W, ZYDIS_REGISTER_R14W, ZYDIS_REGISTER_R15W};
  static const ZydisRegister k32[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
                                       ZYDIS_REGISTER_R12D, ZYDIS_REGISTER_R13D, ZYDIS_REGISTER_R14D, ZYDIS_REGISTER_R15D};
  if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return k16[r - ZYDIS_REGISTER_AX];
  if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return k32[r - ZYDIS_REGISTER_EAX];
  return ZYDIS_REGISTER_NONE;
}

}  // namespace kasou::jit
