// String instructions: MOVS CMPS SCAS LODS STOS INS OUTS (byte, word, dword),
// alone or with REP/REPE/REPNE.
//
// The source is seg:(E)SI with DS by default (overridable); the destination is
// always ES:(E)DI. The address size picks SI/DI/CX (wrapping at 64 KiB) or
// ESI/EDI/ECX.
//
// A REP instruction runs at most kMaxIterations elements per call and leaves RIP
// on itself when it is not finished: the engine calls it again, and interrupts
// can be taken in between, as on hardware. Registers are updated after every
// element, so a fault in element k reports the state after element k-1.
//
// REP MOVS and REP STOS going up (DF=0) through plain RAM copy page-sized chunks
// through host pointers: this is the memcpy/memset of every kernel.
#include <algorithm>
#include <cstring>

#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/io_bus.h"

namespace kasou {
namespace {

constexpr uint64_t kMaxIterations = 4096;

enum class Str { kMovs, kCmps, kScas, kLods, kStos, kIns, kOuts };

class StringOp {
 public:
  StringOp(Vcpu& v, const DecodedInsn& d)
      : v_(v), size_(d.operand_bits() / 8), abits_(d.address_bits()), src_seg_(source_segment(d)) {
    step_ = (v.s.rflags & flag::DF) ? -static_cast<int64_t>(size_) : static_cast<int64_t>(size_);
  }

  unsigned size() const { return size_; }
  bool up() const { return step_ > 0; }
  SegReg src_seg() const { return src_seg_; }
  uint64_t si() const { return truncate(v_.s.gpr[kRsi], abits_); }
  uint64_t di() const { return truncate(v_.s.gpr[kRdi], abits_); }
  uint64_t count() const { return truncate(v_.s.gpr[kRcx], abits_); }
  void set_count(uint64_t c) { set(kRcx, c); }
  void next_si(uint64_t elements = 1) { set(kRsi, si() + static_cast<uint64_t>(step_) * elements); }
  void next_di(uint64_t elements = 1) { set(kRdi, di() + static_cast<uint64_t>(step_) * elements); }
  uint64_t acc() const { return truncate(v_.s.gpr[kRax], size_ * 8); }
  void set_acc(uint64_t value) {
    write_reg(v_.s, size_ == 1 ? ZYDIS_REGISTER_AL : size_ == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX, value);
  }
  uint16_t port() const { return static_cast<uint16_t>(v_.s.gpr[kRdx]); }
  // How many whole elements from `offset` upwards are inside the segment, inside
  // the address-size wrap and inside one page: the span a host pointer may cover.
  uint64_t contiguous(SegReg seg, uint64_t offset) const;

 private:
  // With 16-bit addressing only the low words of ESI/EDI/ECX change.
  void set(Gpr r, uint64_t value) {
    uint64_t& g = v_.s.gpr[r];
    g = abits_ == 16 ? (g & ~0xFFFFull) | (value & 0xFFFF) : (value & 0xFFFFFFFF);
  }
  static SegReg source_segment(const DecodedInsn& d) {
    for (unsigned i = 0; i < d.zi.operand_count; i++) {
      const ZydisDecodedOperand& op = d.ops[i];
      if (op.type == ZYDIS_OPERAND_TYPE_MEMORY &&
          (op.mem.base == ZYDIS_REGISTER_ESI || op.mem.base == ZYDIS_REGISTER_SI))
        return seg_of(op.mem.segment);
    }
    return kDs;
  }

  Vcpu& v_;
  unsigned size_;
  unsigned abits_;
  SegReg src_seg_;
  int64_t step_;
};

uint64_t StringOp::contiguous(SegReg seg, uint64_t offset) const {
  const SegmentCache& c = v_.s.seg[seg];
  if (!(c.attr & seg_attr::kCode) && (c.attr & seg_attr::kExpandDown)) return 0;  // rare: exact path
  if (offset > c.limit) return 0;
  uint64_t room = std::min<uint64_t>(uint64_t(c.limit) - offset + 1, (uint64_t(1) << abits_) - offset);
  const uint64_t lin = (c.base + offset) & 0xFFFFFFFF;
  room = std::min<uint64_t>(room, kPageBytes - (lin & (kPageBytes - 1)));
  return room / size_;
}

// One element, exact path. The register updates come after the memory accesses.
template <Str k>
void one_element(Vcpu& v, StringOp& op) {
  const unsigned n = op.size();
  switch (k) {
    case Str::kMovs: {
      const uint64_t x = seg_read(v, op.src_seg(), op.si(), n);
      seg_write(v, kEs, op.di(), x, n);
      op.next_si();
      op.next_di();
      break;
    }
    case Str::kCmps: {
      const uint64_t a = seg_read(v, op.src_seg(), op.si(), n);
      const uint64_t b = seg_read(v, kEs, op.di(), n);
      with_width(n * 8, [&]<class T>(T) { alu_sub<T>(v.s, static_cast<T>(a), static_cast<T>(b), false); });
      op.next_si();
      op.next_di();
      break;
    }
    case Str::kScas: {
      const uint64_t b = seg_read(v, kEs, op.di(), n);
      with_width(n * 8, [&]<class T>(T) { alu_sub<T>(v.s, static_cast<T>(op.acc()), static_cast<T>(b), false); });
      op.next_di();
      break;
    }
    case Str::kLods:
      op.set_acc(seg_read(v, op.src_seg(), op.si(), n));
      op.next_si();
      break;
    case Str::kStos:
      seg_write(v, kEs, op.di(), op.acc(), n);
      op.next_di();
      break;
    case Str::kIns: {
      // The destination is checked before the port is read: a fault must not
      // lose a byte the device already handed over.
      const uint64_t lin = probe_seg_write(v, kEs, op.di(), n);
      mmu_check_alignment(v, lin, n, n, Access::kWrite);
      mmu_write(v, lin, v.io->read(op.port(), n), n);
      op.next_di();
      break;
    }
    case Str::kOuts:
      // The port write is the caller's last step (a device may stop the machine).
      break;
  }
}

// REP MOVS / REP STOS upwards through RAM: up to `max` elements in one page of
// source and destination. Returns how many were done; 0 means "take the exact
// path for the next element" (segment end, page crossing, MMIO, code page...).
template <Str k>
uint64_t fast_chunk(Vcpu& v, StringOp& op, uint64_t max) {
  const unsigned n = op.size();
  // Misaligned elements while alignment checking is armed: the exact path raises
  // #AC on the first one (every element has the same alignment).
  if (alignment_check_armed(v.s) && n > 1 &&
      (((v.s.seg[kEs].base + op.di()) & (n - 1)) ||
       (k == Str::kMovs && ((v.s.seg[op.src_seg()].base + op.si()) & (n - 1)))))
    return 0;
  uint64_t elems = std::min(max, op.contiguous(kEs, op.di()));
  const uint8_t* src = nullptr;
  if (k == Str::kMovs) {
    elems = std::min(elems, op.contiguous(op.src_seg(), op.si()));
    if (elems == 0) return 0;
    const uint64_t lin = seg_linear(v, op.src_seg(), op.si(), unsigned(elems * n), Access::kRead);
    src = mmu_host_pointer(v, lin, unsigned(elems * n), Access::kRead);
    if (!src) return 0;
  }
  if (elems == 0) return 0;
  const unsigned bytes = unsigned(elems * n);
  const uint64_t lin = seg_linear(v, kEs, op.di(), bytes, Access::kWrite);
  uint8_t* dst = mmu_host_pointer(v, lin, bytes, Access::kWrite);
  if (!dst) return 0;
  if (k == Str::kMovs) {
    if (dst > src && dst < src + bytes) {
      // Overlap with the destination ahead of the source: element by element, as
      // the CPU does (REP MOVSB with dst = src+1 replicates a byte).
      for (unsigned i = 0; i < bytes; i += n) {
        uint8_t tmp[4];
        std::memcpy(tmp, src + i, n);
        std::memcpy(dst + i, tmp, n);
      }
    } else {
      std::memmove(dst, src, bytes);
    }
    op.next_si(elems);
  } else {
    const uint64_t x = op.acc();
    if (n == 1) std::memset(dst, static_cast<int>(x), bytes);
    else
      for (unsigned i = 0; i < bytes; i += n) std::memcpy(dst + i, &x, n);  // little-endian host
  }
  op.next_di(elems);
  return elems;
}

template <Str k>
void h_string(Vcpu& v, const DecodedInsn& d) {
  StringOp op(v, d);
  const bool repeated = d.rep() || d.repne();
  if (repeated && op.count() == 0) {
    advance(v, d);
    return;
  }
  if (k == Str::kIns || k == Str::kOuts) check_io_permission(v, op.port(), op.size());

  if (!repeated) {
    if (k == Str::kOuts) {
      const uint64_t x = seg_read(v, op.src_seg(), op.si(), op.size());
      op.next_si();
      advance(v, d);
      v.io->write(op.port(), static_cast<uint32_t>(x), op.size());
    } else {
      one_element<k>(v, op);
      advance(v, d);
    }
    return;
  }

  for (uint64_t done = 0; done < kMaxIterations;) {
    const uint64_t count = op.count();
    if ((k == Str::kMovs || k == Str::kStos) && op.up()) {
      if (const uint64_t chunk = fast_chunk<k>(v, op, std::min(count, kMaxIterations - done))) {
        op.set_count(count - chunk);
        done += chunk;
        if (count == chunk) return advance(v, d);
        continue;
      }
    }
    if (k == Str::kOuts) {
      const uint64_t x = seg_read(v, op.src_seg(), op.si(), op.size());
      op.next_si();
      op.set_count(count - 1);
      if (count == 1) advance(v, d);
      v.io->write(op.port(), static_cast<uint32_t>(x), op.size());
      if (count == 1 || v.exit_request != ExitRequest::kNone) return;
      done++;
      continue;
    }
    one_element<k>(v, op);
    op.set_count(count - 1);
    done++;
    if (count == 1) return advance(v, d);
    if (k == Str::kCmps || k == Str::kScas) {
      const bool zf = v.s.rflags & flag::ZF;
      if (d.repne() ? zf : !zf) return advance(v, d);
    }
    // A device (MMIO, port) may have asked for attention: let the engine see it.
    if (v.exit_request != ExitRequest::kNone) return;
  }
}

// MOVSD and CMPSD are also SSE2 mnemonics (F2 0F 10 / F2 0F C2), which are not
// implemented: those forms raise #UD.
template <Str k>
void h_string_or_sse(Vcpu& v, const DecodedInsn& d) {
  if (d.zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT) raise_fault(vec::UD);
  h_string<k>(v, d);
}

}  // namespace

void register_string_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_MOVSB] = m[ZYDIS_MNEMONIC_MOVSW] = h_string<Str::kMovs>;
  m[ZYDIS_MNEMONIC_MOVSD] = h_string_or_sse<Str::kMovs>;
  m[ZYDIS_MNEMONIC_CMPSB] = m[ZYDIS_MNEMONIC_CMPSW] = h_string<Str::kCmps>;
  m[ZYDIS_MNEMONIC_CMPSD] = h_string_or_sse<Str::kCmps>;
  m[ZYDIS_MNEMONIC_SCASB] = m[ZYDIS_MNEMONIC_SCASW] = m[ZYDIS_MNEMONIC_SCASD] = h_string<Str::kScas>;
  m[ZYDIS_MNEMONIC_LODSB] = m[ZYDIS_MNEMONIC_LODSW] = m[ZYDIS_MNEMONIC_LODSD] = h_string<Str::kLods>;
  m[ZYDIS_MNEMONIC_STOSB] = m[ZYDIS_MNEMONIC_STOSW] = m[ZYDIS_MNEMONIC_STOSD] = h_string<Str::kStos>;
  m[ZYDIS_MNEMONIC_INSB] = m[ZYDIS_MNEMONIC_INSW] = m[ZYDIS_MNEMONIC_INSD] = h_string<Str::kIns>;
  m[ZYDIS_MNEMONIC_OUTSB] = m[ZYDIS_MNEMONIC_OUTSW] = m[ZYDIS_MNEMONIC_OUTSD] = h_string<Str::kOuts>;
}

}  // namespace kasou
