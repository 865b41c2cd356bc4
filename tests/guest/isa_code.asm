; Instruction sequences of the isa_coverage test (isa_coverage.c): multi-precision
; arithmetic, rotates through carry, double shifts, BCD, bit strings, SETcc and
; CMOVcc, atomics, XLAT and string instructions, ENTER/LEAVE, PUSHA/POPA, code with
; 16-bit operand size, and segment register / far pointer / far transfer forms.
; All functions are cdecl; the results are folded into checksums by the caller.
bits 32
section .text

%define ARG(n) [esp + 4 + 4*(n) + SAVED]
%macro ENTRY 0
%define SAVED 16
        push ebx
        push esi
        push edi
        push ebp
%endmacro
%macro LEAVE_RET 0
        pop ebp
        pop edi
        pop esi
        pop ebx
        ret
%endmacro

; uint32_t mp_addsub(uint32_t* d, const uint32_t* a, const uint32_t* b, int n):
; d = a + b (n dwords, ADC chain), then d -= b (SBB chain);
; returns the two final carries and the flags of the last SBB.
global mp_addsub
mp_addsub:
        ENTRY
        mov edi, ARG(0)
        mov esi, ARG(1)
        mov ebx, ARG(2)
        mov ecx, ARG(3)
        xor edx, edx
        clc
.add:   mov eax, [esi + edx*4]
        adc eax, [ebx + edx*4]
        mov [edi + edx*4], eax
        inc edx                   ; INC and LOOP keep CF
        loop .add
        setc bl
        movzx ebp, bl
        mov ebx, ARG(2)
        mov ecx, ARG(3)
        xor edx, edx
        clc
.sub:   mov eax, [ebx + edx*4]
        sbb [edi + edx*4], eax
        lea edx, [edx + 1]
        dec ecx
        jnz .sub
        pushfd
        pop eax
        and eax, 0x8d5
        shl ebp, 16
        or eax, ebp
        LEAVE_RET

; uint32_t bit_reverse(uint32_t x): RCL/RCR by 1 through CF, 32 times.
global bit_reverse
bit_reverse:
        mov edx, [esp+4]
        xor eax, eax
        mov ecx, 32
.l:     shr edx, 1
        rcl eax, 1
        loop .l
        ret

; uint32_t rot_mix(uint32_t x, uint32_t y, uint32_t c): ROL ROR RCL RCR SHLD SHRD SAR by CL.
global rot_mix
rot_mix:
        ENTRY
        mov eax, ARG(0)
        mov ebx, ARG(1)
        mov ecx, ARG(2)
        mov edx, eax
        rol eax, cl
        ror ebx, cl
        xor eax, ebx
        shld eax, edx, cl
        shrd ebx, eax, cl
        add eax, ebx
        stc
        rcl ax, cl
        rcr bl, cl
        sar edx, cl
        xor eax, edx
        ror ax, 3
        rol bh, 5
        add eax, ebx
        LEAVE_RET

; uint32_t bcd_add(uint32_t a, uint32_t b): packed BCD a + b with ADC + DAA byte by
; byte, in the low 16 bits; packed BCD a - b with SBB + DAS in the high 16 bits.
global bcd_add
bcd_add:
        ENTRY
        mov esi, ARG(0)
        mov edi, ARG(1)
        mov eax, esi
        mov ebx, edi
        add al, bl
        daa
        mov dl, al
        mov al, ah
        adc al, bh
        daa
        mov dh, al
        movzx ebp, dx
        mov eax, esi
        mov ebx, edi
        sub al, bl
        das
        mov dl, al
        mov al, ah
        sbb al, bh
        das
        mov dh, al
        shl edx, 16
        or ebp, edx
        ; AAA AAS AAM AAD on unpacked digits
        mov eax, esi
        and eax, 0x0909
        add al, 8
        aaa
        xor ebp, eax
        sub al, 9
        aas
        add ebp, eax
        mov eax, esi
        and eax, 0x7f
        aam
        xor ebp, eax
        aad
        add ebp, eax
        mov eax, ebp
        LEAVE_RET

; uint32_t sieve(uint32_t* bits, uint32_t n): primes below n, with BTS / BT on a
; memory bit string (register bit offsets up to n).
global sieve
sieve:
        ENTRY
        mov edi, ARG(0)
        mov esi, ARG(1)
        mov ecx, esi
        add ecx, 31
        shr ecx, 5
        xor eax, eax
        push edi
        rep stosd
        pop edi
        xor eax, eax              ; count
        mov ebx, 2
.next:  cmp ebx, esi
        jae .done
        bt [edi], ebx
        jc .skip
        inc eax
        mov edx, ebx
        imul edx, ebx
.mark:  cmp edx, esi
        jae .skip
        bts [edi], edx
        add edx, ebx
        jmp .mark
.skip:  inc ebx
        jmp .next
.done:  LEAVE_RET

; uint32_t bt_mix(uint32_t* centre, int32_t off): BT BTS BTR BTC at centre with a
; signed register offset, and with immediates; returns CF bits and the words.
global bt_mix
bt_mix:
        ENTRY
        mov esi, ARG(0)
        mov ebx, ARG(1)
        xor eax, eax
        bts [esi], ebx
        rcl eax, 1
        btc [esi], ebx
        rcl eax, 1
        bts [esi], ebx
        rcl eax, 1
        btr [esi], ebx
        rcl eax, 1
        neg ebx
        btc [esi], ebx
        rcl eax, 1
        bt dword [esi], 17
        rcl eax, 1
        btc word [esi], 9
        rcl eax, 1
        btr ebx, 3
        rcl eax, 1
        bts bx, ax
        rcl eax, 1
        mov ecx, ebx
        sar ebx, 3
        and ebx, ~3
        add eax, [esi + ebx]
        add eax, ecx
        LEAVE_RET

; uint32_t cond_mix(uint32_t a, uint32_t b): all 16 SETcc after CMP a, b (bit i =
; condition i), CMOVcc choices, and LAHF/SAHF round trips.
global cond_mix
cond_mix:
        ENTRY
        mov esi, ARG(0)
        mov edi, ARG(1)
        xor ebx, ebx
%assign cc 0
%rep 16
        cmp esi, edi
        db 0x0f, 0x90 + cc, 0xc0  ; setcc al
        movzx eax, al
        shl eax, cc
        or ebx, eax
%assign cc cc + 1
%endrep
        mov eax, esi
        mov ecx, 0x5555
        mov edx, 0xaaaa
        cmp esi, edi
        cmovl eax, edi
        cmovp ecx, esi
        cmovbe edx, edi
        add ebx, eax
        add ebx, ecx
        xor ebx, edx
        test esi, edi
        lahf
        xor ah, 0xd5
        sahf
        setc al
        setz cl
        sets dl
        add al, cl
        add al, dl
        movzx eax, al
        shl eax, 16
        xor eax, ebx
        LEAVE_RET

; uint32_t atomics(uint32_t* p, uint32_t a, uint32_t b): XCHG XADD CMPXCHG
; CMPXCHG8B (successful and failing), with and without LOCK.
global atomics
atomics:
        ENTRY
        mov esi, ARG(0)
        mov eax, ARG(1)
        mov ebx, ARG(2)
        xchg [esi], eax
        lock xadd [esi], ebx
        add eax, ebx
        mov ecx, eax
        mov eax, [esi]
        lock cmpxchg [esi], ecx    ; equal: stores ecx
        setz dl
        cmpxchg [esi], ebx          ; not equal (unless ebx happens to match)
        setz dh
        movzx ebp, dx
        add ebp, eax
        mov eax, [esi]
        mov edx, [esi+4]
        mov ebx, 0x12345678
        mov ecx, 0x9abcdef0
        lock cmpxchg8b [esi]        ; equal: stores ecx:ebx
        setz cl
        add ebp, ecx
        xor eax, eax
        xor edx, edx
        cmpxchg8b [esi]             ; not equal: loads edx:eax
        add ebp, eax
        xor ebp, edx
        xadd bp, ax
        xchg bl, bh
        add ebp, ebx
        mov eax, ebp
        LEAVE_RET

; uint32_t str_mix(uint8_t* buf, const uint8_t* table, uint32_t n):
; LODSB/XLAT/STOSB translation, REPNE SCASB, REPE CMPSB, backwards REP MOVSD
; with DF=1, REP STOSW, LODSD sum; returns a combination of the results.
global str_mix
str_mix:
        ENTRY
        mov esi, ARG(0)
        mov ebx, ARG(1)
        mov ecx, ARG(2)
        mov edi, esi
        add edi, 512              ; translated copy at buf + 512
        push edi
.x:     lodsb
        xlatb
        stosb
        loop .x
        pop edi
        mov ecx, ARG(2)
        mov al, [edi + 40]
        mov ebp, edi
        repne scasb               ; first occurrence of buf2[40]
        mov edx, edi
        sub edx, ebp
        mov esi, ARG(0)
        add esi, 512
        mov edi, esi
        add edi, 1024             ; buf + 1536
        mov ecx, ARG(2)
        shr ecx, 2
        rep movsd                 ; forward copy
        mov esi, ARG(0)
        add esi, 512
        mov edi, esi
        add edi, 1024
        mov ecx, ARG(2)
        repe cmpsb                ; equal all the way
        setz al
        add edx, ecx
        movzx eax, al
        add edx, eax
        ; overlapping backwards move (memmove up by 6) with DF=1
        std
        mov esi, ARG(0)
        add esi, 1536 + 252
        lea edi, [esi + 6]
        mov ecx, 64
        rep movsd
        cld
        mov edi, ARG(0)
        add edi, 1536 + 300
        mov eax, 0xbeef
        mov ecx, 7
        rep stosw
        mov esi, ARG(0)
        add esi, 1536
        mov ecx, 96
        xor ebp, ebp
.s:     lodsd
        add ebp, eax
        rol ebp, 1
        loop .s
        lea eax, [ebp + edx]
        LEAVE_RET

; uint32_t frames(uint32_t x): ENTER with nesting levels 0..3 and LEAVE, PUSHAD /
; POPAD, PUSHAW / POPAW, PUSH imm, RET imm16.
global frames
frames:
        ENTRY
        mov eax, [esp + 4 + SAVED]
        mov ebp, esp
        enter 8, 0
        mov [ebp - 4], eax
        enter 12, 1
        mov [ebp - 8], eax
        enter 4, 3
        mov edx, [ebp - 4]        ; the copied frame pointers
        sub edx, [ebp - 8]
        mov ecx, [ebp - 12]
        leave
        leave
        leave
        pushad
        mov ebx, 0x1111
        mov esi, 0x2222
        popad
        pushaw
        mov eax, 5
        popaw
        push edx
        push ecx
        call .callee
        add eax, edx
        add eax, ecx
        LEAVE_RET
.callee:
        mov eax, [esp + 4]
        sub eax, [esp + 8]
        ret 8

; uint32_t ops16(uint32_t a, uint32_t b): 16-bit operand size (66 prefix) forms.
global ops16
ops16:
        ENTRY
        mov eax, [esp + 4 + SAVED]
        mov ebx, [esp + 8 + SAVED]
        mov ecx, ebx
        add ax, bx
        adc cx, 0x7fff
        imul dx, ax, 7
        sub dx, cx
        xchg ax, dx
        movzx esi, ax
        movsx edi, dx
        shl ax, cl
        rcr dx, 1
        rol cx, 4
        inc ax
        dec bx
        neg cx
        not dx
        push ax
        push cx
        pop bx
        pop dx
        cwd
        xor di, dx
        xor dx, dx
        or bx, 1
        div bx
        lea cx, [eax + ebx*2 + 0x1234]
        mov [esp - 4], cx
        add cx, [esp - 4]
        shld ax, cx, 5
        or cx, 0x100
        bsf bx, cx
        bt ax, 3
        adc ax, dx
        xor eax, esi
        add eax, edi
        add eax, ecx
        add eax, ebx
        LEAVE_RET

; uint32_t seg_loads(const void* farptrs, uint32_t sel_data_buf): far pointer loads
; LDS LES LFS LGS LSS (m16:32 and m16:16), MOV to/from segment registers and
; memory, PUSH/POP of segment registers, reads through FS/GS/ES/SS/CS overrides.
; farptrs: +0 = (off32, sel) for LFS, +8 = (off16, sel) for LGS with o16.
global seg_loads
seg_loads:
        ENTRY
        push ds
        push es
        push fs
        push gs
        mov esi, [esp + 4 + SAVED + 16]
        xor ebp, ebp
        lfs ebx, [esi]            ; FS:EBX = the buffer window
        mov eax, [fs:ebx]
        add ebp, eax
        mov eax, [fs:ebx + 8]
        xor ebp, eax
        o16 lgs bx, [esi + 8]     ; GS:BX
        movzx ebx, bx
        add ebp, [gs:ebx]
        mov ax, gs
        movzx eax, ax
        shl eax, 8
        add ebp, eax
        les edi, [esi]            ; ES:EDI, write through ES
        mov dword [es:edi + 12], 0x5a5a1234
        mov eax, [fs:12]
        add ebp, eax
        push fs
        pop es
        mov eax, es
        add ebp, eax
        mov [esi + 16], fs        ; MOV m16, Sreg
        mov gs, [esi + 16]        ; MOV Sreg, m16
        mov eax, [gs:4]
        xor ebp, eax
        mov eax, [cs:seg_const]   ; CS override read
        add ebp, eax
        movzx eax, word [ss:esp]  ; SS override read (the saved GS; a 32-bit PUSH
        add ebp, eax              ; of a segment register may write only 16 bits)
        lds ecx, [esi]            ; DS switched: DS:ECX
        mov eax, [ecx + 4]
        push ss
        pop ds
        add ebp, eax
        mov eax, ebp
        pop gs
        pop fs
        pop es
        pop ds
        LEAVE_RET
seg_const: dd 0x600df00d

; uint32_t lss_switch(uint32_t* farptr): LSS to a new stack, push there, LSS back.
global lss_switch
lss_switch:
        ENTRY
        mov esi, [esp + 4 + SAVED]
        mov [esi + 8], esp
        mov [esi + 12], ss
        lss esp, [esi]
        push dword 0xabcdef01
        push dword 0x12345678
        pop eax
        pop ebx
        mov ecx, esp
        lss esp, [esi + 8]
        add eax, ebx
        sub ecx, [esi]
        add eax, ecx
        LEAVE_RET

; uint32_t far_transfers(uint32_t code_sel): CALL FAR (direct via pointer, and
; indirect through memory), RETF imm16, JMP FAR indirect, IRETD to the same level.
global far_transfers
far_transfers:
        ENTRY
        mov eax, [esp + 4 + SAVED]
        mov [fptr + 4], ax
        mov [jptr + 4], ax
        mov dword [fptr], far_target
        mov dword [jptr], .after_jmp
        xor ebp, ebp
        push dword 7
        push dword 9
        call far [fptr]           ; far_target: eax = 7 - 9 + 100; retf 8
        add ebp, eax
        jmp far [jptr]
        ud2
.after_jmp:
        add ebp, 0x1000
        pushfd
        push cs
        push dword .after_iret
        stc
        iretd
        ud2
.after_iret:
        adc ebp, 0x20000          ; CF as pushed (0), not the STC before IRETD
        mov eax, cs
        shl eax, 24
        add eax, ebp
        LEAVE_RET
far_target:
        mov eax, [esp + 12]
        sub eax, [esp + 8]
        add eax, 100
        retf 8

; uint32_t seg_info(uint32_t sel): LSL (limit, ZF), VERR, VERW (ZF) packed.
global seg_info
seg_info:
        mov ecx, [esp + 4]
        xor eax, eax
        xor edx, edx
        lsl eax, ecx
        setz dl
        verr cx
        setz dh
        shl edx, 8
        verw cx
        setz dl
        xor eax, edx
        ret

; uint32_t call16(uint32_t code_sel, uint32_t data_sel): far call into the 16-bit
; code of isa16.asm with DS = data_sel.

global call16
call16:
        ENTRY
        mov ecx, [esp + 4 + SAVED]
        mov edx, [esp + 8 + SAVED]
        push ds
        push ecx
        push dword 0              ; offset of the entry in the 16-bit segment
        mov ds, dx
        xor ebp, ebp
        call far [ss:esp]
        add esp, 8
        pop ds
        LEAVE_RET

section .data
fptr:   dd 0
        dw 0
jptr:   dd 0
        dw 0
