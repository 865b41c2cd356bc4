// The translator against the reference interpreter on random straight-line
// programs: ALU operations of every width, memory operands, flag readers (ADC,
// SBB, SETcc, CMOVcc, Jcc) separated from their writers by memory accesses,
// pushes and pops, RDTSC. Both engines must end in the same state. The instruction pool
// only uses instructions whose flags are all defined (except AF, which nothing in
// the pool reads), so the host CPU and the SDM-based interpreter must agree.
#include <Zydis/Encoder.h>

#include <cstdio>
#include <random>

#include "tests/unit/jit_fixture.h"

namespace kasou::test {
namespace {

class ProgramWriter {
 public:
  explicit ProgramWriter(uint32_t seed) : rng_(seed) {}

  std::vector<uint8_t> generate(int count) {
    bytes_.clear();
    // EBP points at the data area and is never written; ESP is only moved by push/pop pairs.
    emit({ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EBP), imm(EngineCpu::kData)}});
    for (ZydisRegister r : {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
                            ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI})
      emit({ZYDIS_MNEMONIC_MOV, {reg(r), imm(rng_())}});
    int pushed = 0;
    for (int i = 0; i < count; i++) {
      unsigned kind = rng_() % 20;
      if (kind == 0 && pushed < 8) {
        emit({ZYDIS_MNEMONIC_PUSH, {reg(gpr32())}});
        pushed++;
      } else if (kind == 1 && pushed > 0) {
        emit({ZYDIS_MNEMONIC_POP, {reg(gpr32())}});
        pushed--;
      } else if (kind == 3) {
        // An indirect branch: PUSH the address after the RET, RET (flags must cross it).
        std::vector<uint8_t> ret = {0xC3};
        emit({ZYDIS_MNEMONIC_PUSH, {imm(EngineCpu::kCode + bytes_.size() + 5 + 1)}});
        bytes_.insert(bytes_.end(), ret.begin(), ret.end());
      } else if (kind == 4) {
        // POPFD (a helper call) sets known flags, maybe DF too (the mode key).
        uint32_t f = (rng_() & (flag::kArith & ~flag::AF)) | flag::kFixed1 | (rng_() % 2 ? flag::DF : 0);
        emit({ZYDIS_MNEMONIC_PUSH, {imm(f)}});
        bytes_.push_back(0x9D);  // popfd
      } else if (kind == 5) {
        // A string instruction on the data area, in the current direction.
        static const uint8_t ops[] = {0xA4, 0xA5, 0xAA, 0xAB, 0xAC, 0xAD, 0xA6, 0xAE};
        emit({ZYDIS_MNEMONIC_LEA, {reg(ZYDIS_REGISTER_ESI), lea_ebp(64 + rng_() % 64)}});
        emit({ZYDIS_MNEMONIC_LEA, {reg(ZYDIS_REGISTER_EDI), lea_ebp(64 + rng_() % 64)}});
        bytes_.push_back(ops[rng_() % 8]);
      } else if (kind == 7 && pushed < 8) {
        // PUSH m32 / m16 from the data area (inline: a read, then a push). PUSH m16
        // leaves ESP misaligned by 2, so later pushes, pops and RETs straddle the
        // page boundary at the stack top and run in the interpreter (slow path).
        emit({ZYDIS_MNEMONIC_PUSH, {mem(rng_() % 2 ? 4 : 2)}});
        pushed++;
      } else if (kind == 6) {
        // RDTSC: the virtual clock counts retired instructions, inline code and the
        // reference implementation must read the same value mid-block.
        bytes_.push_back(0x0F);
        bytes_.push_back(0x31);
      } else if (kind == 2) {
        // Jcc over the next instruction.
        std::vector<uint8_t> skipped = encode_one(random_op());
        ZydisMnemonic jcc = kJcc[rng_() % 16];
        emit({jcc, {imm(bytes_.size() + 2 + skipped.size() + EngineCpu::kCode)}}, true);
        bytes_.insert(bytes_.end(), skipped.begin(), skipped.end());
      } else {
        emit(random_op());
      }
    }
    while (pushed-- > 0) emit({ZYDIS_MNEMONIC_POP, {reg(ZYDIS_REGISTER_ESI)}});
    // Make the final flags visible in registers too.
    for (int cc = 0; cc < 4; cc++) emit({kSetcc[rng_() % 16], {reg(ZYDIS_REGISTER_AL)}});
    bytes_.push_back(0xF4);  // hlt
    return bytes_;
  }

 private:
  struct Op {
    ZydisMnemonic m;
    std::vector<ZydisEncoderOperand> ops;
  };

  static ZydisEncoderOperand reg(ZydisRegister r) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_REGISTER;
    o.reg.value = r;
    return o;
  }
  // Zydis wants immediates sign-extended to 64 bits from the operand width.
  static ZydisEncoderOperand imm(uint64_t v, unsigned bits = 32) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    o.imm.s = static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
    return o;
  }
  ZydisEncoderOperand mem(unsigned bytes) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_MEMORY;
    o.mem.base = ZYDIS_REGISTER_EBP;
    o.mem.displacement = static_cast<int64_t>((rng_() % 30) * 4 + (rng_() % 4));
    o.mem.size = static_cast<uint16_t>(bytes);
    return o;
  }

  static ZydisEncoderOperand lea_ebp(int32_t disp) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_MEMORY;
    o.mem.base = ZYDIS_REGISTER_EBP;
    o.mem.displacement = disp;
    o.mem.size = 4;
    return o;
  }

  ZydisRegister gpr32() {
    static const ZydisRegister r[] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
                                      ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    return r[rng_() % 6];
  }
  ZydisRegister gpr(unsigned bits) {
    if (bits == 8) {
      static const ZydisRegister r[] = {ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL, ZYDIS_REGISTER_BL,
                                        ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH, ZYDIS_REGISTER_BH};
      return r[rng_() % 8];
    }
    ZydisRegister r32 = gpr32();
    return bits == 16 ? static_cast<ZydisRegister>(r32 - ZYDIS_REGISTER_EAX + ZYDIS_REGISTER_AX) : r32;
  }

  static constexpr ZydisMnemonic kAlu[] = {ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SUB,
                                           ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_OR,
                                           ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST,
                                           ZYDIS_MNEMONIC_MOV};
  static constexpr ZydisMnemonic kJcc[] = {
      ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_JZ,
      ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS,
      ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP, ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE,
      ZYDIS_MNEMONIC_JNLE};
  static constexpr ZydisMnemonic kSetcc[] = {
      ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ,
      ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
      ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_SETL,
      ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
  static constexpr ZydisMnemonic kCmov[] = {
      ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
      ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
      ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
      ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};

  Op random_op() {
    const unsigned bits = 8u << (rng_() % 3);
    switch (rng_() % 9) {
      case 0: case 1: {
        ZydisMnemonic m = kAlu[rng_() % 10];
        return {m, {reg(gpr(bits)), reg(gpr(bits))}};
      }
      case 2: {
        ZydisMnemonic m = kAlu[rng_() % 10];
        uint64_t v = rng_() % 4 ? rng_() % 256 : rng_();
        return {m, {reg(gpr(bits)), imm(v, bits)}};
      }
      case 3: {
        ZydisMnemonic m = kAlu[rng_() % 10];
        if (m == ZYDIS_MNEMONIC_TEST) return {m, {mem(bits / 8), reg(gpr(bits))}};  // TEST has only r/m, r
        return {m, {reg(gpr(bits)), mem(bits / 8)}};
      }
      case 4: return {kAlu[rng_() % 10], {mem(bits / 8), reg(gpr(bits))}};
      case 5: {
        static const ZydisMnemonic u[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
                                          ZYDIS_MNEMONIC_NOT};
        return {u[rng_() % 4], {rng_() % 2 ? reg(gpr(bits)) : mem(bits / 8)}};
      }
      case 6: return {kSetcc[rng_() % 16], {rng_() % 2 ? reg(gpr(8)) : mem(1)}};
      case 7: return {kCmov[rng_() % 16], {reg(gpr32()), rng_() % 2 ? reg(gpr32()) : mem(4)}};
      default: {
        ZydisEncoderOperand m{};
        m.type = ZYDIS_OPERAND_TYPE_MEMORY;
        m.mem.base = gpr32();
        m.mem.index = gpr32();
        m.mem.scale = static_cast<uint8_t>(1u << (rng_() % 4));
        m.mem.displacement = static_cast<int32_t>(rng_());
        m.mem.size = 4;
        return {ZYDIS_MNEMONIC_LEA, {reg(gpr32()), m}};
      }
    }
  }

  std::vector<uint8_t> encode_one(const Op& op) {
    ZydisEncoderRequest req{};
    req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    req.mnemonic = op.m;
    req.operand_count = static_cast<ZyanU8>(op.ops.size());
    for (size_t i = 0; i < op.ops.size(); i++) req.operands[i] = op.ops[i];
    uint8_t buf[16];
    ZyanUSize len = sizeof buf;
    ZyanStatus st = ZydisEncoderEncodeInstruction(&req, buf, &len);
    if (!ZYAN_SUCCESS(st)) {
      for (auto& o : op.ops) std::printf("op type %d reg %s imm %llx mem size %d\n", o.type, ZydisRegisterGetString(o.reg.value), (unsigned long long)o.imm.u, o.mem.size);
      std::printf("mnemonic %s\n", ZydisMnemonicGetString(op.m));
    }
    REQUIRE(ZYAN_SUCCESS(st));
    return {buf, buf + len};
  }

  void emit(const Op& op, bool short_branch = false) {
    if (short_branch) {
      // Jcc rel8 to an absolute target: encode relative to where it lands.
      ZydisEncoderRequest req{};
      req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
      req.mnemonic = op.m;
      req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
      req.operand_count = 1;
      req.operands[0] = op.ops[0];
      uint8_t buf[16];
      ZyanUSize len = sizeof buf;
      REQUIRE(ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, buf, &len, EngineCpu::kCode + bytes_.size())));
      bytes_.insert(bytes_.end(), buf, buf + len);
      return;
    }
    auto b = encode_one(op);
    bytes_.insert(bytes_.end(), b.begin(), b.end());
  }

  std::mt19937 rng_;
  std::vector<uint8_t> bytes_;
};

struct FinalState {
  uint32_t gpr[8];
  uint32_t flags;
  uint32_t eip;
  std::vector<uint8_t> data;
};

FinalState run_program(bool jit, const std::vector<uint8_t>& code, bool single_step = false) {
  JitOptions o;
  o.single_step = single_step;
  EngineCpu c(jit, o);
  c.load(code);
  std::vector<uint8_t> init(256);
  for (size_t i = 0; i < init.size(); i++) init[i] = static_cast<uint8_t>(i * 37 + 11);
  c.m.memory().write_bytes(EngineCpu::kData, init.data(), init.size());
  StopReason why = c.run(100000);
  CHECK(why == StopReason::kHaltedForever);
  FinalState f;
  for (int g = 0; g < 8; g++) f.gpr[g] = static_cast<uint32_t>(c.s.gpr[g]);
  f.flags = c.s.eflags() & (flag::kArith & ~flag::AF);
  f.eip = c.s.eip();
  f.data.resize(256 + 64);
  c.m.memory().read_bytes(EngineCpu::kData, f.data.data(), 256);
  c.m.memory().read_bytes(EngineCpu::kStackTop - 64, f.data.data() + 256, 64);
  return f;
}

TEST_CASE("jit vs interpreter: random programs end in the same state") {
  for (uint32_t seed = 1; seed <= 300; seed++) {
    ProgramWriter w(seed);
    std::vector<uint8_t> code = w.generate(60);
    FinalState ref = run_program(false, code);
    FinalState got = run_program(true, code, seed % 5 == 0);
    INFO("seed " << seed);
    for (int g = 0; g < 8; g++) CHECK(got.gpr[g] == ref.gpr[g]);
    CHECK(got.flags == ref.flags);
    CHECK(got.eip == ref.eip);
    CHECK(got.data == ref.data);
    if (got.gpr[0] != ref.gpr[0] || got.data != ref.data) break;  // one detailed failure is enough
  }
}

// An indirect branch in a block of its own whose memory access straddles a page
// boundary runs in the interpreter and leaves the block from its slow path; the
// flags it hands on must be the guest's (0xC2 from POPFD: SF = ZF = 1, so SETLE
// sets BH), not what the block's time-slice check left in host EFLAGS. Each
// program runs in the interpreter, the JIT, and the JIT with one-instruction
// blocks; `jmp $+2` puts the branch in a block of its own in the normal JIT too.
TEST_CASE("jit vs interpreter: flags survive an indirect branch that takes the memory slow path") {
  auto dword = [](std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; i++) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  // mov ebp,kData ; push 0xc2 ; popfd ; <body(t2)> ; t2: setle bh ; hlt
  auto program = [&](auto body) {
    std::vector<uint8_t> head = {0xBD};
    dword(head, EngineCpu::kData);  // [ebp-2] straddles a page boundary
    head.insert(head.end(), {0x68, 0xC2, 0x00, 0x00, 0x00, 0x9D});
    const size_t body_bytes = body(0u).size();
    const uint32_t t2 = EngineCpu::kCode + static_cast<uint32_t>(head.size() + body_bytes);
    std::vector<uint8_t> code = head;
    std::vector<uint8_t> b = body(t2);
    code.insert(code.end(), b.begin(), b.end());
    code.insert(code.end(), {0x0F, 0x9E, 0xC7, 0xF4});  // setle bh ; hlt
    return code;
  };
  struct Case {
    const char* name;
    std::vector<uint8_t> code;
  };
  std::vector<Case> cases;
  // lea esp,[esp+2] ; push t2 ; jmp $+2 ; ret  (the return address straddles 0x80000)
  cases.push_back({"ret", program([&](uint32_t t2) {
                     std::vector<uint8_t> v = {0x8D, 0x64, 0x24, 0x02, 0x68};
                     dword(v, t2);
                     v.insert(v.end(), {0xEB, 0x00, 0xC3});
                     return v;
                   })});
  // mov dword [ebp-2],t2 ; jmp $+2 ; jmp dword [ebp-2]  (the target straddles 0x20000)
  cases.push_back({"jmp m32", program([&](uint32_t t2) {
                     std::vector<uint8_t> v = {0xC7, 0x45, 0xFE};
                     dword(v, t2);
                     v.insert(v.end(), {0xEB, 0x00, 0xFF, 0x65, 0xFE});
                     return v;
                   })});
  // lea esp,[esp+2] ; mov dword [ebp],t2 ; jmp $+2 ; call dword [ebp]  (the push straddles)
  cases.push_back({"call m32", program([&](uint32_t t2) {
                     std::vector<uint8_t> v = {0x8D, 0x64, 0x24, 0x02, 0xC7, 0x45, 0x00};
                     dword(v, t2);
                     v.insert(v.end(), {0xEB, 0x00, 0xFF, 0x55, 0x00});
                     return v;
                   })});
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    FinalState ref = run_program(false, c.code);
    REQUIRE((ref.gpr[kRbx] >> 8 & 0xFF) == 1);  // SETLE with SF = ZF = 1
    for (bool single_step : {false, true}) {
      INFO("single step " << single_step);
      FinalState got = run_program(true, c.code, single_step);
      CHECK((got.gpr[kRbx] >> 8 & 0xFF) == 1);
      CHECK(got.flags == ref.flags);
      CHECK(got.eip == ref.eip);
      CHECK(got.gpr[kRsp] == ref.gpr[kRsp]);
      CHECK(got.data == ref.data);
    }
  }
}

}  // namespace
}  // namespace kasou::test
