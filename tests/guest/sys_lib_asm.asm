; Ring-3 entry of the system-architecture guest tests (see sys_lib.h run_user):
; enter_ring3(fn, esp3, eflags) builds an IRET frame to CPL 3, loads the DPL 3
; data segments there, calls fn and hands its result back through INT 0x81.
bits 32

SEL_UCODE equ 5 * 8 + 3
SEL_UDATA equ 6 * 8 + 3
VEC_USER_RETURN equ 0x81

section .text
global enter_ring3
enter_ring3:
        mov ebx, [esp+4]          ; fn (kept in EBX across IRET)
        mov ecx, [esp+8]          ; esp3
        mov edx, [esp+12]         ; eflags
        push dword SEL_UDATA      ; SS
        push ecx                  ; ESP
        push edx                  ; EFLAGS
        push dword SEL_UCODE      ; CS
        push dword .user          ; EIP
        iretd
.user:  mov ax, SEL_UDATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        call ebx
        int VEC_USER_RETURN
.hang:  jmp .hang
