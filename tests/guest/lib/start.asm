; Entry of every bare-metal guest test program: the multiboot (v1) header, a
; stack, then guest_main(); its return value is written to the debug-exit port
; (QEMU's isa-debug-exit at 0xF4: exit status = (value << 1) | 1).
bits 32

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003           ; page-aligned modules, memory information
section .multiboot
align 4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
global guest_stack_top
stack_bottom:
        resb 65536
guest_stack_top:

section .text
global _start
extern guest_main
extern guest_exit
_start:
        mov esp, guest_stack_top
        cld
        push ebx                  ; multiboot information
        push eax                  ; multiboot magic
        call guest_main
        push eax
        call guest_exit
.hang:  hlt
        jmp .hang
