// Operand access for the reference interpreter.
#include "core/interp/operands.h"

#include "core/fault.h"

namespace kasou {

unsigned reg_bits(ZydisRegister r) {
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8: return 8;
    case ZYDIS_REGCLASS_GPR16: return 16;
    case ZYDIS_REGCLASS_GPR32: return 32;
    case ZYDIS_REGCLASS_GPR64: return 64;
    default: return 0;
  }
}

namespace {
bool is_high_byte(ZydisRegister r) { return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH; }
}  // namespace

SegReg seg_of(ZydisRegister r) {
  switch (r) {
    case ZYDIS_REGISTER_ES: return kEs;
    case ZYDIS_REGISTER_CS: return kCs;
    case ZYDIS_REGISTER_SS: return kSs;
    case ZYDIS_REGISTER_DS: return kDs;
    case ZYDIS_REGISTER_FS: return kFs;
    case ZYDIS_REGISTER_GS: return kGs;
    default: return kDs;
  }
}

uint64_t read_reg(const CpuState& s, ZydisRegister r) {
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8:
      if (is_high_byte(r)) return (s.gpr[r - ZYDIS_REGISTER_AH] >> 8) & 0xFF;
      return s.gpr[ZydisRegisterGetId(r)] & 0xFF;
    case ZYDIS_REGCLASS_GPR16: return s.gpr[ZydisRegisterGetId(r)] & 0xFFFF;
    case ZYDIS_REGCLASS_GPR32: return s.gpr[ZydisRegisterGetId(r)] & 0xFFFFFFFF;
    case ZYDIS_REGCLASS_GPR64: return s.gpr[ZydisRegisterGetId(r)];
    case ZYDIS_REGCLASS_SEGMENT: return s.seg[seg_of(r)].selector;
    case ZYDIS_REGCLASS_FLAGS: return s.rflags;
    case ZYDIS_REGCLASS_IP: return s.rip;
    default: return 0;
  }
}

void write_reg(CpuState& s, ZydisRegister r, uint64_t value) {
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8:
      if (is_high_byte(r)) {
        uint64_t& g = s.gpr[r - ZYDIS_REGISTER_AH];
        g = (g & ~0xFF00ull) | ((value & 0xFF) << 8);
      } else {
        uint64_t& g = s.gpr[ZydisRegisterGetId(r)];
        g = (g & ~0xFFull) | (value & 0xFF);
      }
      break;
    case ZYDIS_REGCLASS_GPR16: {
      uint64_t& g = s.gpr[ZydisRegisterGetId(r)];
      g = (g & ~0xFFFFull) | (value & 0xFFFF);
      break;
    }
    case ZYDIS_REGCLASS_GPR32: s.gpr[ZydisRegisterGetId(r)] = value & 0xFFFFFFFF; break;
    case ZYDIS_REGCLASS_GPR64: s.gpr[ZydisRegisterGetId(r)] = value; break;
    default: break;
  }
}

uint64_t effective_address(const CpuState& s, const DecodedInsn& d, const ZydisDecodedOperand& op) {
  uint64_t ea = static_cast<uint64_t>(op.mem.disp.value);
  if (op.mem.base != ZYDIS_REGISTER_NONE) ea += read_reg(s, op.mem.base);
  if (op.mem.index != ZYDIS_REGISTER_NONE) ea += read_reg(s, op.mem.index) * op.mem.scale;
  return truncate(ea, d.address_bits());
}

uint64_t operand_linear(Vcpu& v, const DecodedInsn& d, int index, Access access) {
  const ZydisDecodedOperand& op = d.ops[index];
  return seg_linear(v, seg_of(op.mem.segment), effective_address(v.s, d, op), op.size / 8, access);
}

uint64_t read_operand(Vcpu& v, const DecodedInsn& d, int index) {
  const ZydisDecodedOperand& op = d.ops[index];
  switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: return read_reg(v.s, op.reg.value);
    case ZYDIS_OPERAND_TYPE_MEMORY:
      return mmu_read(v, operand_linear(v, d, index, Access::kRead), op.size / 8);
    case ZYDIS_OPERAND_TYPE_IMMEDIATE: return truncate(op.imm.value.u, op.size);
    default: return 0;
  }
}

void write_operand(Vcpu& v, const DecodedInsn& d, int index, uint64_t value) {
  const ZydisDecodedOperand& op = d.ops[index];
  switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: write_reg(v.s, op.reg.value, value); break;
    case ZYDIS_OPERAND_TYPE_MEMORY:
      mmu_write(v, operand_linear(v, d, index, Access::kWrite), truncate(value, op.size), op.size / 8);
      break;
    default: break;
  }
}

uint64_t stack_pointer(const CpuState& s) {
  return (s.seg[kSs].attr & seg_attr::kDb) ? (s.gpr[kRsp] & 0xFFFFFFFF) : (s.gpr[kRsp] & 0xFFFF);
}

void stack_adjust(CpuState& s, int64_t delta) {
  if (s.seg[kSs].attr & seg_attr::kDb) {
    s.gpr[kRsp] = (s.gpr[kRsp] + delta) & 0xFFFFFFFF;
  } else {
    s.gpr[kRsp] = (s.gpr[kRsp] & ~0xFFFFull) | ((s.gpr[kRsp] + delta) & 0xFFFF);
  }
}

namespace {
uint64_t wrap_sp(const CpuState& s, uint64_t sp) {
  return (s.seg[kSs].attr & seg_attr::kDb) ? (sp & 0xFFFFFFFF) : (sp & 0xFFFF);
}
}  // namespace

void push_value(Vcpu& v, uint64_t value, unsigned size_bytes) {
  uint64_t sp = wrap_sp(v.s, stack_pointer(v.s) - size_bytes);
  seg_write(v, kSs, sp, value, size_bytes);
  stack_adjust(v.s, -static_cast<int64_t>(size_bytes));
}

uint64_t pop_value(Vcpu& v, unsigned size_bytes) {
  uint64_t value = seg_read(v, kSs, stack_pointer(v.s), size_bytes);
  stack_adjust(v.s, size_bytes);
  return value;
}

uint64_t stack_read(Vcpu& v, uint64_t sp_offset, unsigned size_bytes) {
  return seg_read(v, kSs, wrap_sp(v.s, stack_pointer(v.s) + sp_offset), size_bytes);
}

void stack_write(Vcpu& v, uint64_t sp_offset, uint64_t value, unsigned size_bytes) {
  seg_write(v, kSs, wrap_sp(v.s, stack_pointer(v.s) + sp_offset), value, size_bytes);
}

}  // namespace kasou
