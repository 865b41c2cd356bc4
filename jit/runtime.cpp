// The runtime glue of generated code: the entry/exit trampolines and the two
// thunks generated code calls (helper calls and the memory slow path).
//
// Protocol. Generated code runs with RBP = Vcpu*, guest registers in host
// registers (see host_regs.h) and guest arithmetic flags in host EFLAGS; the host
// stack is the dispatcher's (16-byte aligned at every call). To call C++ it
// stores all guest registers (and EFLAGS) into CpuState. A thunk either lets the
// block go on (registers and flags reloaded from CpuState / flags_fill) or says
// "leave", after which generated code jumps to exit_nostore: CpuState is then
// authoritative and RIP tells the dispatcher where to continue.
#include <asmjit/x86.h>

#include "jit/engine.h"

#include <stdexcept>

namespace kasou::jit {

using namespace asmjit;

namespace {
const x86::Gp kHostGpr64[8] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::r12, x86::r13, x86::r14, x86::r15};
}  // namespace

Trampolines build_trampolines(CodeCache& cache) {
  CodeHolder code;
  code.init(Environment::host(), (reinterpret_cast<uint64_t>(cache.cursor()) + 15) & ~uint64_t{15});
  x86::Assembler a(&code);
  Label enter = a.newLabel(), exit_common = a.newLabel(), exit_store_regs = a.newLabel(),
        exit_nostore = a.newLabel();

  a.bind(enter);  // void enter(Vcpu* rdi, const void* code rsi)
  a.push(x86::rbp);
  a.push(x86::rbx);
  a.push(x86::r12);
  a.push(x86::r13);
  a.push(x86::r14);
  a.push(x86::r15);
  a.sub(x86::rsp, 8);  // 16-byte alignment for calls made by generated code
  a.mov(x86::rbp, x86::rdi);
  a.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(host_rsp)), x86::rsp);
  a.mov(x86::r11, x86::rsi);
  a.mov(x86::rax, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_fill)));
  a.add(x86::al, 0x7F);
  a.sahf();
  for (int g = 0; g < 8; g++) a.mov(kHostGpr64[g], x86::qword_ptr(x86::rbp, gpr_off(g)));
  a.jmp(x86::r11);

  a.bind(exit_common);
  a.pushfq();
  a.pop(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_spill)));
  a.bind(exit_store_regs);
  for (int g = 0; g < 8; g++) a.mov(x86::qword_ptr(x86::rbp, gpr_off(g)), kHostGpr64[g]);
  a.bind(exit_nostore);
  a.mov(x86::rsp, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(host_rsp)));
  a.add(x86::rsp, 8);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbx);
  a.pop(x86::rbp);
  a.ret();

  code.flatten();
  code.resolveUnresolvedLinks();
  size_t size = code.codeSize();
  uint8_t* dst = cache.allocate(size);
  if (!dst || reinterpret_cast<uint64_t>(dst) != code.baseAddress())
    throw std::runtime_error("jit: cannot place the trampolines");
  code.copyFlattenedData(dst, size);
  Trampolines t;
  t.enter = reinterpret_cast<void (*)(Vcpu*, const void*)>(dst + code.labelOffset(enter));
  t.exit_common = dst + code.labelOffset(exit_common);
  t.exit_store_regs = dst + code.labelOffset(exit_store_regs);
  t.exit_nostore = dst + code.labelOffset(exit_nostore);
  return t;
}

extern "C" uint64_t kasou_jit_call_helper(Vcpu* v, HelperSite* site) {
  return scratch(*v).engine->call_helper(*v, *site);
}

extern "C" uint64_t kasou_jit_mem_slow(Vcpu* v, MemSite* site, uint64_t linear) {
  return scratch(*v).engine->mem_slow(*v, *site, linear);
}

}  // namespace kasou::jit
