// System and sensitive instructions that a user-level program can still execute:
// port I/O (with IOPL and the TSS I/O bitmap), HLT, CLI/STI, software interrupts,
// CPUID, RDTSC, NOP forms. Each is the single implementation that both the
// interpreter and the translator's helper calls use.
#include <cstring>

#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/interp/operands.h"
#include "core/io_bus.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/msr.h"

namespace kasou {

void check_io_permission(Vcpu& v, uint16_t port, unsigned size_bytes) {
  const CpuState& s = v.s;
  if (!(s.cr0 & cr0::PE)) return;
  const unsigned iopl = (s.rflags & flag::IOPL) >> 12;
  if (!(s.rflags & flag::VM) && s.cpl <= iopl) return;
  // Only a 32-bit TSS has an I/O bitmap.
  const unsigned type = s.tr.attr & 0xF;
  if (type != 0x9 && type != 0xB) raise_fault(vec::GP, 0);
  if (s.tr.limit < 0x67) raise_fault(vec::GP, 0);
  uint32_t base_off = static_cast<uint32_t>(mmu_read(v, s.tr.base + 0x66, 2, true));
  uint32_t byte_off = base_off + port / 8;
  if (byte_off + 1 > s.tr.limit) raise_fault(vec::GP, 0);
  uint32_t bits = static_cast<uint32_t>(mmu_read(v, s.tr.base + byte_off, 2, true));
  uint32_t mask = ((1u << size_bytes) - 1) << (port & 7);
  if (bits & mask) raise_fault(vec::GP, 0);
}

void write_eflags(Vcpu& v, uint32_t value, uint32_t mask) {
  constexpr uint32_t kReserved = 0xFFC08028u;  // bits 3, 5, 15, 22-31
  uint64_t old = v.s.rflags;
  uint64_t nf = (old & ~static_cast<uint64_t>(mask)) | (value & mask);
  nf = (nf & ~static_cast<uint64_t>(kReserved)) | flag::kFixed1;
  v.s.rflags = nf;
  if (((old ^ nf) & (flag::IF | flag::TF | flag::VM)) || ((nf & flag::IF) && !(old & flag::IF)))
    v.request_exit(ExitRequest::kAttention);
}

namespace {

uint16_t port_operand(Vcpu& v, const DecodedInsn& d, int index) {
  return static_cast<uint16_t>(read_operand(v, d, index));
}

void h_in(Vcpu& v, const DecodedInsn& d) {
  // IN acc, imm8 | IN acc, DX
  const unsigned size = d.ops[0].size / 8;
  const uint16_t port = port_operand(v, d, 1);
  check_io_permission(v, port, size);
  uint32_t value = v.io->read(port, size);
  write_reg(v.s, d.ops[0].reg.value, value);
  advance(v, d);
}

void h_out(Vcpu& v, const DecodedInsn& d) {
  // OUT imm8, acc | OUT DX, acc
  const unsigned size = d.ops[1].size / 8;
  const uint16_t port = port_operand(v, d, 0);
  check_io_permission(v, port, size);
  uint32_t value = static_cast<uint32_t>(read_operand(v, d, 1));
  advance(v, d);  // a device may stop or reset the machine: leave RIP past the OUT first
  v.io->write(port, value, size);
}

void h_hlt(Vcpu& v, const DecodedInsn& d) {
  if ((v.s.cr0 & cr0::PE) && v.s.cpl != 0) raise_fault(vec::GP, 0);
  advance(v, d);
  v.s.halted = 1;
  v.request_exit(ExitRequest::kAttention);
}

bool iopl_allows_if(const CpuState& s) {
  if (!(s.cr0 & cr0::PE)) return true;
  const unsigned iopl = (s.rflags & flag::IOPL) >> 12;
  if (s.rflags & flag::VM) return iopl == 3;
  return s.cpl <= iopl;
}

void h_cli(Vcpu& v, const DecodedInsn& d) {
  if (!iopl_allows_if(v.s)) raise_fault(vec::GP, 0);
  v.s.rflags &= ~static_cast<uint64_t>(flag::IF);
  advance(v, d);
}

void h_sti(Vcpu& v, const DecodedInsn& d) {
  if (!iopl_allows_if(v.s)) raise_fault(vec::GP, 0);
  const bool was_enabled = v.s.rflags & flag::IF;
  advance(v, d);
  if (!was_enabled) {
    v.s.interrupt_shadow = 1;
    write_eflags(v, flag::IF, flag::IF);
  }
}

void software_interrupt(Vcpu& v, const DecodedInsn& d, uint8_t vector, bool privilege_checked) {
  if ((v.s.rflags & flag::VM) && ((v.s.rflags & flag::IOPL) >> 12) != 3 && privilege_checked)
    raise_fault(vec::GP, 0);
  const uint64_t rip = v.s.rip;
  advance(v, d);
  try {
    deliver_software_interrupt(v, vector, privilege_checked);
  } catch (...) {
    v.s.rip = rip;
    throw;
  }
}

void h_int(Vcpu& v, const DecodedInsn& d) {
  software_interrupt(v, d, static_cast<uint8_t>(d.ops[0].imm.value.u), true);
}
void h_int3(Vcpu& v, const DecodedInsn& d) { software_interrupt(v, d, vec::BP, true); }
void h_int1(Vcpu& v, const DecodedInsn& d) { software_interrupt(v, d, vec::DB, false); }
void h_into(Vcpu& v, const DecodedInsn& d) {
  if (v.s.rflags & flag::OF) software_interrupt(v, d, vec::OF, true);
  else advance(v, d);
}

void h_bound(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  const int64_t index = sign_extend(read_reg(v.s, d.ops[0].reg.value), bits);
  const uint64_t lin = operand_linear(v, d, 1, Access::kRead);
  const int64_t lower = sign_extend(mmu_read(v, lin, bits / 8), bits);
  const int64_t upper = sign_extend(mmu_read(v, (lin + bits / 8) & 0xFFFFFFFF, bits / 8), bits);
  if (index < lower || index > upper) raise_fault(vec::BR);
  advance(v, d);
}

// CPUID reports only what kasou implements (see README's status table).
void h_cpuid(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const uint32_t leaf = static_cast<uint32_t>(s.gpr[kRax]);
  uint32_t a = 0, b = 0, c = 0, dx = 0;
  // The vendor is Intel's, as QEMU's CPU models do: operating systems pick their
  // code paths by vendor (an unknown one gets Linux's "may be unstable" generic
  // path); the features below are what kasou really implements, and the brand
  // string says what this CPU is.
  static const char kVendor[13] = "GenuineIntel";
  static const char kBrand[49] = "kasou virtual CPU (i686, dynamic translation)";
  auto vendor = [&] {
    std::memcpy(&b, kVendor, 4);
    std::memcpy(&dx, kVendor + 4, 4);
    std::memcpy(&c, kVendor + 8, 4);
  };
  // Leaf 1 EDX: FPU, DE (CR4.DE, DR4/DR5), PSE, TSC, MSR, PAE, CX8, SEP (SYSENTER/SYSEXIT),
  // MTRR, PGE, CMOV (and FCMOV/FCOMI), PAT, MMX, FXSR (FXSAVE/FXRSTOR, CR4.OSFXSR).
  constexpr uint32_t kFpu = 1u << 0, kMmx = 1u << 23, kFxsr = 1u << 24;
  constexpr uint32_t kDe = 1u << 2, kPse = 1u << 3, kTsc = 1u << 4, kMsr = 1u << 5, kPae = 1u << 6,
                     kCx8 = 1u << 8, kSep = 1u << 11, kMtrr = 1u << 12, kPge = 1u << 13,
                     kCmov = 1u << 15, kPat = 1u << 16;
  constexpr uint32_t kNx = 1u << 20;  // leaf 0x80000001 EDX
  // Leaf 1 ECX bit 31: a hypervisor is present (this is a virtual machine; guests
  // then e.g. skip the performance counters, which kasou does not implement).
  constexpr uint32_t kHypervisor = 1u << 31;
  // Leaf 7 EDX bit 29: IA32_ARCH_CAPABILITIES exists (core/msr.h says what it denies).
  constexpr uint32_t kArchCapabilities = 1u << 29;
  switch (leaf) {
    case 0: a = 7; vendor(); break;
    case 2: a = 1; break;  // one round of cache/TLB descriptors, all "none"
    case 3: case 4: case 5: case 6: break;  // no serial number, cache leaves, MONITOR, power management
    case 7:
      if (s.gpr[kRcx] == 0) dx = kArchCapabilities;  // subleaf 0 (EAX = 0: the only one)
      break;
    case 0x80000000u: a = 0x80000004u; break;
    case 0x80000001u: dx = nx_available(s) ? kNx : 0; break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: {
      uint32_t r[4];
      std::memcpy(r, kBrand + 16 * (leaf - 0x80000002u), 16);
      a = r[0], b = r[1], c = r[2], dx = r[3];
      break;
    }
    case 1:
    default:  // leaves past the maximum return the highest basic leaf (as Intel CPUs do)
      a = 0x00000663;  // family 6, model 6, stepping 3
      dx = kFpu | kDe | kPse | kTsc | kMsr | kPae | kCx8 | kSep | kMtrr | kPge | kCmov | kPat | kMmx | kFxsr;
      c = kHypervisor;
      break;
  }
  s.gpr[kRax] = a;
  s.gpr[kRbx] = b;
  s.gpr[kRcx] = c;
  s.gpr[kRdx] = dx;
  advance(v, d);
}

void h_rdtsc(Vcpu& v, const DecodedInsn& d) {
  if ((v.s.cr4 & cr4::TSD) && v.s.cpl != 0 && (v.s.cr0 & cr0::PE)) raise_fault(vec::GP, 0);
  const uint64_t tsc = v.tsc();
  v.s.gpr[kRax] = tsc & 0xFFFFFFFF;
  v.s.gpr[kRdx] = tsc >> 32;
  advance(v, d);
}

void h_nop(Vcpu& v, const DecodedInsn& d) { advance(v, d); }

}  // namespace

void register_system_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_IN] = h_in;
  m[ZYDIS_MNEMONIC_OUT] = h_out;
  m[ZYDIS_MNEMONIC_HLT] = h_hlt;
  m[ZYDIS_MNEMONIC_CLI] = h_cli;
  m[ZYDIS_MNEMONIC_STI] = h_sti;
  m[ZYDIS_MNEMONIC_INT] = h_int;
  m[ZYDIS_MNEMONIC_INT3] = h_int3;
  m[ZYDIS_MNEMONIC_INT1] = h_int1;
  m[ZYDIS_MNEMONIC_INTO] = h_into;
  m[ZYDIS_MNEMONIC_BOUND] = h_bound;
  m[ZYDIS_MNEMONIC_CPUID] = h_cpuid;
  m[ZYDIS_MNEMONIC_RDTSC] = h_rdtsc;
  m[ZYDIS_MNEMONIC_NOP] = h_nop;
  m[ZYDIS_MNEMONIC_PAUSE] = h_nop;
  // CET end-branch markers (Debian's libgcc has them) are NOPs on a CPU without CET.
  m[ZYDIS_MNEMONIC_ENDBR32] = h_nop;
  m[ZYDIS_MNEMONIC_ENDBR64] = h_nop;
  // UD2 keeps the default handler: #UD.
}

}  // namespace kasou
