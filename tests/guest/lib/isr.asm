; Interrupt entry stubs of the guest runtime (see cpu.h): one stub per vector
; pushes a dummy error code where the CPU pushes none, then the vector number;
; isr_common saves the registers, switches DS/ES to the flat data segment and
; calls trap_dispatch(frame). Also guest_setjmp / guest_longjmp.
bits 32

SEL_DATA32 equ 0x10

section .text
extern trap_dispatch

%macro ISR 1
isr_%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
%else
        push dword 0
%endif
        push dword %1
        jmp isr_common
%endmacro

%assign v 0
%rep 256
ISR v
%assign v v+1
%endrep

isr_common:
        pushad
        push ds
        push es
        push fs
        push gs
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        cld
        push esp
        call trap_dispatch
        add esp, 4
        pop gs
        pop fs
        pop es
        pop ds
        popad
        add esp, 8                ; vector, error code
        iretd

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 256
        dd isr_ %+ v
%assign v v+1
%endrep

section .text
; int guest_setjmp(guest_jmp_buf jb)
global guest_setjmp
guest_setjmp:
        mov eax, [esp+4]
        mov [eax+0], ebx
        mov [eax+4], esi
        mov [eax+8], edi
        mov [eax+12], ebp
        lea ecx, [esp+4]          ; ESP after our return
        mov [eax+16], ecx
        mov ecx, [esp]
        mov [eax+20], ecx         ; return address
        xor ecx, ecx
        mov cx, ds
        mov [eax+24], ecx
        mov cx, es
        mov [eax+28], ecx
        mov cx, fs
        mov [eax+32], ecx
        mov cx, gs
        mov [eax+36], ecx
        mov cx, ss
        mov [eax+40], ecx
        xor eax, eax
        ret

; void guest_longjmp(guest_jmp_buf jb, int value)
global guest_longjmp
guest_longjmp:
        mov edx, [esp+4]
        mov eax, [esp+8]
        test eax, eax
        jnz .nz
        inc eax
.nz:    mov ss, [edx+40]
        mov esp, [edx+16]
        push dword [edx+20]       ; return address, on the restored stack
        mov es, [edx+28]
        mov fs, [edx+32]
        mov gs, [edx+36]
        mov ebx, [edx+0]
        mov esi, [edx+4]
        mov edi, [edx+8]
        mov ebp, [edx+12]
        mov ds, [edx+24]          ; last: the loads above go through the current DS
        cld
        ret
