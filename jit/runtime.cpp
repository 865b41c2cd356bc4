// The runtime glue of generated code: the entry/exit trampolines, the shared
// stubs that generated code calls into C++ through (helper calls and the memory
// slow path), and the C++ entry points they call.
//
// Protocol. Generated code runs with RBP = Vcpu*, guest registers in host
// registers (see host_regs.h) and guest arithmetic flags in host EFLAGS; the host
// stack is the dispatcher's (16-byte aligned at every call). To call C++ it
// stores all guest registers (and EFLAGS) into CpuState. A thunk either lets the
// block go on (registers and flags reloaded from CpuState / flags_fill) or says
// "leave", after which generated code jumps to exit_nostore: CpuState is then
// authoritative and RIP tells the dispatcher where to continue.
//
// The spill, the call and the reload are the same at every site, so they live
// here once, as stubs that a site reaches with `call rel32` (the trampolines sit
// at the start of the code cache, in rel32 reach of every block). A stub is
// entered with its return address on the stack, so RSP is 8 mod 16 and it
// realigns before calling C++. "Leave" jumps straight to exit_nostore, which
// reloads RSP from host_rsp and so drops the return address.
//
//   helper site:    mov rsi, HelperSite* ; call helper_stub
//     The stub saves EFLAGS first (CALL and MOV leave them alone, so they are
//     still the guest's), spills, calls kasou_jit_call_helper and on "go on"
//     returns with all registers and the flags reloaded.
//
//   memory slow path (cold code of a TLB lookup, r8d = linear address):
//                   mov rsi, MemSite* ; call mem_slow_stub[_preserve]
//     ret:          mov host, r9 ; jmp rel32 done     (kMemSlowResumeSkip bytes)
//                   jmp next_instruction
//     Host pointer: the stub returns to `ret` with it in R9 and RAX/RCX/RDX (the
//     caller-saved guest registers) reloaded; the _preserve variant (flags live
//     at the lookup: flags in AX as LAHF/SETO left them, guest RAX in R11) also
//     restores that state, which `done` undoes. Instruction run in the
//     interpreter: the stub reloads the flags and every register and returns to
//     ret + kMemSlowResumeSkip. Fault, SMC, mode change...: exit_nostore.
#include <asmjit/x86.h>

#include "jit/engine.h"

#include <stdexcept>

namespace kasou::jit {

using namespace asmjit;

namespace {
const x86::Gp kHostGpr64[8] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::r12, x86::r13, x86::r14, x86::r15};

void spill(x86::Assembler& a) {
  for (int g = 0; g < 8; g++) a.mov(x86::qword_ptr(x86::rbp, gpr_off(g)), kHostGpr64[g]);
}

// All guest registers, or only the ones the System V ABI lets a call clobber.
void reload(x86::Assembler& a, bool caller_saved_only) {
  for (int g = 0; g < (caller_saved_only ? kRdx + 1 : 8); g++)
    a.mov(kHostGpr64[g], x86::qword_ptr(x86::rbp, gpr_off(g)));
}

// Host EFLAGS <- JitScratch::flags_fill (clobbers RAX: reload it after).
void load_flags_fill(x86::Assembler& a) {
  a.mov(x86::rax, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_fill)));
  a.add(x86::al, 0x7F);
  a.sahf();
}
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
  load_flags_fill(a);
  reload(a, false);
  a.jmp(x86::r11);

  a.bind(exit_common);
  a.pushfq();
  a.pop(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_spill)));
  a.bind(exit_store_regs);
  spill(a);
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

  // The shared stubs follow, helper stub first, then the memory slow-path stubs
  // (the perf map in jit_engine.cpp names the ranges in this order).
  Label helper_stub = a.newLabel(), mem_stub = a.newLabel(), mem_stub_preserve = a.newLabel();
  a.align(AlignMode::kCode, 16);
  a.bind(helper_stub);
  a.pushfq();  // first: nothing has touched the guest flags yet
  a.pop(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_spill)));
  spill(a);
  a.mov(x86::rdi, x86::rbp);
  a.sub(x86::rsp, 8);
  a.call(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(helper_thunk)));
  a.add(x86::rsp, 8);
  a.test(x86::eax, x86::eax);
  a.jnz(exit_nostore);
  // Always reload the flags: the next instruction may fault and need them.
  load_flags_fill(a);
  reload(a, false);
  a.ret();

  // The memory slow path; both variants share the call and the outcomes that
  // do not depend on where the flags were.
  Label mem_resume = a.newLabel();
  auto mem_slow_call = [&] {
    spill(a);
    a.mov(x86::rdi, x86::rbp);
    a.mov(x86::edx, x86::r8d);
    a.sub(x86::rsp, 8);
    a.call(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(mem_slow_thunk)));
    a.add(x86::rsp, 8);
    a.cmp(x86::rax, kSlowExit);
    a.je(exit_nostore);
    a.cmp(x86::rax, kSlowContinueNext);
    a.je(mem_resume);
    a.mov(x86::r9, x86::rax);
    reload(a, true);
  };
  a.align(AlignMode::kCode, 16);
  a.bind(mem_stub_preserve);
  a.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_lahf)), x86::rax);
  a.mov(x86::rax, x86::r11);
  mem_slow_call();
  a.mov(x86::r11, x86::rax);
  a.mov(x86::rax, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_lahf)));
  a.ret();
  a.align(AlignMode::kCode, 16);
  a.bind(mem_stub);
  mem_slow_call();
  a.ret();
  a.bind(mem_resume);
  a.add(x86::qword_ptr(x86::rsp), kMemSlowResumeSkip);  // before the flags are loaded
  load_flags_fill(a);
  reload(a, false);
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
  t.helper_stub = dst + code.labelOffset(helper_stub);
  t.mem_slow_stub = dst + code.labelOffset(mem_stub);
  t.mem_slow_stub_preserve = dst + code.labelOffset(mem_stub_preserve);
  return t;
}

extern "C" uint64_t kasou_jit_call_helper(Vcpu* v, HelperSite* site) {
  return scratch(*v).engine->call_helper(*v, *site);
}

extern "C" uint64_t kasou_jit_mem_slow(Vcpu* v, MemSite* site, uint64_t linear) {
  return scratch(*v).engine->mem_slow(*v, *site, linear);
}

}  // namespace kasou::jit
