; Code that the smc test (smc.c) rewrites while it runs. Every function here
; is cdecl and lives in .text, which is plain writable RAM in the guest.
bits 32
section .text

; Returns the imm32 the test patches at smc_imm + 1.
global smc_imm
smc_imm:
        mov eax, 0x11111111
        ret

; (a, b) -> a + b; the test rewrites the opcode byte at smc_op_insn (01 add -> 29 sub -> 31 xor).
global smc_op, smc_op_insn
smc_op:
        mov eax, [esp+4]
        mov ecx, [esp+8]
smc_op_insn:
        add eax, ecx
        ret

; Writes into the very next instruction: returns 1, 2, 3, ... on successive calls.
global smc_next, smc_next_imm
smc_next:
        inc byte [smc_next_imm]
        mov al, 0
smc_next_imm equ $ - 1
        movzx eax, al
        ret

; (v) -> 3 + v: stores v into an instruction further down the same block.
global smc_later
smc_later:
        mov ecx, [esp+4]
        xor eax, eax
        mov byte [.m + 1], cl
        add eax, 3
        nop
        lea edx, [eax + 1]
.m:     add al, 0
        ret

; (n) -> sum over n iterations of the value returned by smc_chain_b, a block the
; loop reaches by direct jumps (and a translator chains); the test patches it.
global smc_chain_a, smc_chain_b
smc_chain_a:
        mov ecx, [esp+4]
        xor edx, edx
chain_loop:
        jmp smc_chain_b
chain_back:
        add edx, eax
        dec ecx
        jnz chain_loop
        mov eax, edx
        ret
smc_chain_b:
        mov eax, 1
        jmp chain_back

; (n) -> 1 + 2 + ... + n: the loop increments its own add immediate each time.
global smc_selfloop, smc_selfloop_imm
smc_selfloop:
        mov ecx, [esp+4]
        xor edx, edx
.l:     add edx, 1
smc_selfloop_imm equ $ - 1
        inc byte [smc_selfloop_imm]
        dec ecx
        jnz .l
        mov eax, edx
        ret

; Far-called (through the flat code segment or an alias code segment with a
; non-zero base): EAX = the EIP of .here plus the imm8 at smc_where_imm.
global smc_where, smc_where_imm
smc_where:
        call .here
.here:  pop eax
        add eax, strict byte 0
smc_where_imm equ $ - 1
        retf

; far_call(selector, offset) -> EAX of the far-called function.
global far_call
far_call:
        push dword [esp+4]        ; selector
        push dword [esp+12]       ; offset
        call far [esp]
        add esp, 8
        ret

; es_write8(selector, offset, value): one byte store through ES.
global es_write8
es_write8:
        push es
        mov eax, [esp+8]
        mov es, ax
        mov edx, [esp+12]
        mov ecx, [esp+16]
        mov [es:edx], cl
        pop es
        ret

; rep_movsb(dst, src, n): copies new code over old code with a string instruction.
global rep_movsb
rep_movsb:
        push esi
        push edi
        mov edi, [esp+12]
        mov esi, [esp+16]
        mov ecx, [esp+20]
        rep movsb
        pop edi
        pop esi
        ret

; Templates for rep_movsb, and the slot they are copied into.
global tmpl_a, tmpl_b, tmpl_end, code_slot
tmpl_a: mov eax, [esp+4]
        imul eax, eax, 3
        ret
tmpl_b: mov eax, [esp+4]
        lea eax, [eax + eax + 100]
        ret
tmpl_end:
code_slot:
        times 32 db 0xc3

; (n) -> n: a loop that counts in a variable on its own code page.
global smc_samepage
smc_samepage:
        mov ecx, [esp+4]
        mov dword [samepage_var], 0
.l:     inc dword [samepage_var]
        dec ecx
        jnz .l
        mov eax, [samepage_var]
        ret
samepage_var: dd 0

; paging_on(page_directory) / paging_off(): CR3 and CR0.PG.
global paging_on, paging_off
paging_on:
        mov eax, [esp+4]
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        jmp .flush
.flush: ret
paging_off:
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        jmp .flush
.flush: ret

; The function called through two virtual mappings of its page.
section .text.page align=4096
global smc_page_fn
smc_page_fn:
        mov eax, 0x11111111
        ret
