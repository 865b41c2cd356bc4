; 16-bit code for the isa_coverage test: runs in a code segment with D=0 (base =
; the address of code16_start), reached by a far call from 32-bit code, with DS a
; 16-bit data segment whose base is the data block the caller passes. It
; exercises the default 16-bit operand and address size: [bx+si] style addressing,
; 16-bit PUSH/CALL/RET on the (32-bit) stack, LOOP with CX, 32-bit operations
; through the 66 prefix and 32-bit addressing through 67; returns with o32 RETF.
bits 16
section .text
global code16_start, code16_end
code16_start:

        ; DS:0 = 16 words of input, DS:32.. = results
        xor si, si
        mov bx, 32
        mov cx, 16
        xor ax, ax
        xor dx, dx
.sum:   add ax, [si]
        adc dx, 0
        add si, 2
        loop .sum
        mov [bx], ax              ; DS:32 sum
        mov [bx + 2], dx          ; DS:34 carries
        mov si, 4
        mov di, 6
        mov ax, [bx + si - 32]    ; word 2
        add ax, [ds:bp + di - 6]  ; BP-based addressing with a DS override (BP = 0): word 0
        xchg ax, [bx + di + 2]    ; DS:40
        mov [bx + 4], ax          ; DS:36
        push word 0x1234
        push ax
        call near .sub16
        pop cx
        pop cx
        mov [bx + 6], ax          ; DS:38
        mov eax, 0x12345678       ; o32
        mov edx, 0x9abcdef0
        add eax, edx
        adc edx, 1
        mov [bx + 10], eax        ; DS:42 (32-bit store, 16-bit address)
        mov [bx + 14], edx        ; DS:46
        mov ecx, 44
        mov eax, [ecx]            ; 32-bit addressing (67 prefix): DS:44
        mov [bx + 18], eax        ; DS:50
        mov ax, 0xff00
        mov cl, 4
        shr ax, cl
        imul ax, ax, 3
        cwd
        mov [bx + 22], ax         ; DS:54
        mov [bx + 24], dx         ; DS:56
        lea ax, [bx + si + 0x7fff]
        mov [bx + 26], ax         ; DS:58 (wraps at 16 bits)
        jmp short .end
        ud2
.sub16: push bp                   ; 16-bit pushes and near CALL/RET on a stack
        mov ebp, esp              ; segment with B=1 (ESP, not SP); arguments
        mov ax, [ebp + 4]         ; through 32-bit addressing
        add ax, [ebp + 6]
        pop bp
        ret
.end:   o32 retf
code16_end:
