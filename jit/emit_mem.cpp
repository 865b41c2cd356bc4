// Memory operands: the effective address, the segment base, and the inline
// software-TLB lookup that turns a guest linear address into a host pointer, with
// its out-of-line slow path (TLB fill, MMIO, code pages, page crossings, faults).
#include <cstring>
#include <stdexcept>

#include "core/cpu_state.h"
#include "core/interp/operands.h"
#include "core/physical_memory.h"
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/host_regs.h"

namespace kasou::jit {

using namespace asmjit;

namespace {

x86::Gp host_gp32(ZydisRegister guest) {
  // 16-bit address registers are widened: the sum is truncated afterwards.
  int id = -1;
  if (guest >= ZYDIS_REGISTER_EAX && guest <= ZYDIS_REGISTER_EDI) id = guest - ZYDIS_REGISTER_EAX;
  if (guest >= ZYDIS_REGISTER_AX && guest <= ZYDIS_REGISTER_DI) id = guest - ZYDIS_REGISTER_AX;
  return x86::gpd(static_cast<uint32_t>(kGuestToHost[id]));
}

bool is_addr_reg(ZydisRegister r, unsigned address_bits) {
  if (r == ZYDIS_REGISTER_NONE) return true;
  if (address_bits == 32) return r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI;
  return r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI;
}

uint32_t scale_shift(uint8_t scale) { return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0; }

}  // namespace

bool Emitter::seg_inline_ok(ZydisRegister seg) const {
  switch (seg) {
    // Not CS: a code segment is never writable and may be execute-only, which
    // the reference implementation checks (#GP).
    case ZYDIS_REGISTER_ES: case ZYDIS_REGISTER_SS: case ZYDIS_REGISTER_DS:
      return mode_ & mode_bit::kFlat;
    case ZYDIS_REGISTER_FS: return mode_ & mode_bit::kFs4g;
    case ZYDIS_REGISTER_GS: return mode_ & mode_bit::kGs4g;
    default: return false;
  }
}

bool Emitter::mem_inline_ok(const DecodedInsn& d, const ZydisDecodedOperand& op) const {
  if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type != ZYDIS_MEMOP_TYPE_MEM) return false;
  if (op.size != 8 && op.size != 16 && op.size != 32 && op.size != 64) return false;
  if (!seg_inline_ok(op.mem.segment)) return false;
  return is_addr_reg(op.mem.base, d.address_bits()) && is_addr_reg(op.mem.index, d.address_bits());
}

void Emitter::emit_linear(const ZydisDecodedOperand& op) {
  const unsigned ab = d_->address_bits();
  const bool has_base = op.mem.base != ZYDIS_REGISTER_NONE;
  const bool has_index = op.mem.index != ZYDIS_REGISTER_NONE;
  const int32_t disp = static_cast<int32_t>(op.mem.disp.value);
  if (!has_base && !has_index) {
    a_.mov(x86::r8d, ab == 16 ? (disp & 0xFFFF) : disp);
  } else {
    x86::Mem m;
    if (has_base && has_index)
      m = x86::ptr(host_gp32(op.mem.base), host_gp32(op.mem.index), scale_shift(op.mem.scale), disp);
    else if (has_base)
      m = x86::ptr(host_gp32(op.mem.base), disp);
    if (!has_base) {
      // Index without base: asmjit has no operand for [index*scale + disp32]
      // without a base register, so the displacement goes in R8 first.
      a_.mov(x86::r8d, disp);
      a_.lea(x86::r8d, x86::ptr(x86::r8, host_gp32(op.mem.index), scale_shift(op.mem.scale)));
    } else {
      a_.lea(x86::r8d, m);
    }
    if (ab == 16) a_.movzx(x86::r8d, x86::r8w);
  }
  const ZydisRegister seg = op.mem.segment;
  if (seg == ZYDIS_REGISTER_FS || seg == ZYDIS_REGISTER_GS) {
    a_.mov(x86::r9d, x86::dword_ptr(x86::rbp, seg_base_off(seg == ZYDIS_REGISTER_FS ? kFs : kGs)));
    a_.lea(x86::r8d, x86::ptr(x86::r8, x86::r9));
  }
}

void Emitter::emit_tlb_hit(unsigned size, bool write, const x86::Gp& host, const Label& miss) {
  const unsigned view = (mode_ & mode_bit::kCplMask) == 3 ? 1 : 0;
  const int32_t table = kTlbOff + static_cast<int32_t>(view * kTlbEntries * sizeof(TlbEntry));
  const int32_t tag = table + static_cast<int32_t>(write ? offsetof(TlbEntry, write_tag) : offsetof(TlbEntry, read_tag));
  const int32_t addend = table + static_cast<int32_t>(offsetof(TlbEntry, addend));
  static_assert(sizeof(TlbEntry) == 32);
  // The slot of r8d's page; its tag must be the page of the access's last byte
  // (so an access that crosses into the next page misses too).
  a_.mov(x86::r9d, x86::r8d);
  a_.shr(x86::r9d, kPageShift - 5);
  a_.and_(x86::r9d, (kTlbEntries - 1) << 5);
  a_.lea(x86::r10d, x86::ptr(x86::r8, static_cast<int32_t>(size - 1)));
  a_.and_(x86::r10d, 0xFFFFF000u);
  a_.cmp(x86::r10, x86::qword_ptr(x86::rbp, x86::r9, 0, tag));
  a_.jne(miss);
  a_.mov(host, x86::qword_ptr(x86::rbp, x86::r9, 0, addend));
  a_.add(host, x86::r8);
}

void Emitter::emit_lookup(unsigned size, bool write, const x86::Gp& host) {
  // Flags are kept across the lookup when something reads them later, and for an
  // instruction that writes only some of them (INC/DEC leave CF): the others must
  // be the guest's after it, or a later fault would push the lookup's.
  const bool preserve = flags_live_here() != 0 || partial_flag_writer_[index_];

  // When the guest's flags are live here, keep them in AX (LAHF + SETO) while the
  // lookup's CMP clobbers EFLAGS, and put them back with ADD AL,7F + SAHF; guest
  // EAX waits in R11.
  Label slow = a_.newLabel(), done = a_.newLabel();
  const FlagsAt source = preserve ? kFlagsLahf : ensure_fault_flags();
  if (preserve) {
    a_.mov(x86::r11, x86::rax);
    a_.lahf();
    a_.seto(x86::al);
  }
  // Alignment checking armed: a misaligned access takes the slow path (#AC).
  if ((mode_ & mode_bit::kAlignCheck) && size > 1) {
    a_.test(x86::r8d, size - 1);
    a_.jnz(slow);
  }
  emit_tlb_hit(size, write, host, slow);
  a_.bind(done);
  if (preserve) {
    a_.add(x86::al, 0x7F);
    a_.sahf();
    a_.mov(x86::rax, x86::r11);
  }
  mem_lookups_++;

  MemSite& site = b_.mem_sites.emplace_back();
  site.eip = d_->eip;
  site.length = static_cast<uint8_t>(d_->length());
  site.size_bytes = static_cast<uint8_t>(size);
  site.is_write = write;
  site.code16 = d_->code16;
  site.stack16 = d_->stack16;
  site.flags_source = source;
  std::memcpy(site.bytes, d_->bytes, d_->length());
  site.unretired_after = static_cast<uint32_t>(insns_->size() - index_ - 1);
  MemSite* site_ptr = &site;
  const Label next = insn_labels_[index_ + 1];
  cold_.push_back([this, slow, done, preserve, site_ptr, host, next] {
    // The shared stub does the spill, the call and the reload (runtime.cpp); it
    // relies on the exact layout after the call.
    a_.bind(slow);
    a_.mov(x86::rsi, reinterpret_cast<uint64_t>(site_ptr));
    call_abs(preserve ? env_.tramp->mem_slow_stub_preserve : env_.tramp->mem_slow_stub);
    const size_t ret_at = a_.offset();
    a_.mov(host.r64(), x86::r9);
    a_.long_().jmp(done);
    if (a_.offset() - ret_at != kMemSlowResumeSkip)
      throw std::logic_error("jit: memory slow-path site layout");
    a_.jmp(next);  // the instruction ran in the interpreter
  });
}

}  // namespace kasou::jit
