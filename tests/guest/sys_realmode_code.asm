; Real-mode part of sys_realmode.c. rm_call() leaves 32-bit protected mode through
; 16-bit protected mode (SEL_CODE16/SEL_DATA16) into real mode, runs the tests of
; rm_blob (copied to linear RM_BASE, run as CS=RM_SEG), enters unreal mode on the
; way, and comes back to 32-bit protected mode. Results go to linear RES (ES).
bits 32

SEL_CODE32 equ 0x08
SEL_DATA32 equ 0x10
SEL_CODE16 equ 0x18
SEL_DATA16 equ 0x20
RM_BASE equ 0x6000
RM_SEG equ RM_BASE >> 4
RES_SEG equ 0x0500               ; results at linear 0x5000

%define PM16(x) ((x) - rm_blob + RM_BASE)  ; address in 16-bit PM (CS/DS base 0)
%define RM(x) ((x) - rm_blob)              ; offset in real mode (CS = RM_SEG)

section .text
global rm_call
rm_call:
        pushad
        mov [saved_esp], esp
        sidt [saved_idt]
        jmp SEL_CODE16:PM16(pm16_entry)

pm32_return:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [saved_esp]
        lidt [saved_idt]
        popad
        ret

section .data
saved_esp: dd 0
saved_idt: dw 0
           dd 0
global rm_blob, rm_blob_end, rm_int60_ret
rm_int60_ret: dw RM(after_int60)   ; the IP INT 0x60 pushes
rm_blob:
bits 16
pm16_entry:                      ; 16-bit protected mode, CS base 0
        mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x5FF0
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        jmp RM_SEG:RM(real_entry)

real_entry:
        mov ax, RM_SEG
        mov ds, ax
        xor ax, ax
        mov ss, ax               ; SS:SP = 0000:5FF0
        mov ax, RES_SEG
        mov es, ax
        lidt [RM(ivt_desc)]

        mov ax, cs               ; 0: CS in real mode
        mov [es:0], ax
        ; segment arithmetic: 0700:0010 and 0701:0000 are the same byte
        mov ax, 0x0700
        mov ds, ax
        mov word [0x0010], 0xA55A
        mov ax, 0x0701
        mov ds, ax
        mov bx, [0x0000]
        mov [es:2], bx           ; 2: A55A
        ; the 16-bit effective address wraps at 64 KiB: 0700:(FFF0+20) = 0700:0010
        mov ax, 0x0700
        mov ds, ax
        mov bx, 0xFFF0
        mov al, [bx+0x20]
        mov [es:4], al           ; 4: 5A
        ; SP wraps too: SS=0800, SP=0, push -> SP=FFFE at linear 0x17FFE
        mov dx, ss
        mov cx, sp
        mov ax, 0x0800
        mov ss, ax
        xor sp, sp
        push word 0x1234
        mov [es:6], sp           ; 6: FFFE
        mov ss, dx
        mov sp, cx
        mov ax, 0x17FF
        mov ds, ax
        mov ax, [0x000E]
        mov [es:8], ax           ; 8: 1234
        ; LODSB with SI = FFFF: SI becomes 0
        mov ax, 0x0700
        mov ds, ax
        mov si, 0xFFFF
        cld
        lodsb
        mov [es:10], si          ; 10: 0000
        ; 32-bit operands and addresses in 16-bit code (66/67 prefixes)
        mov eax, 0x12345678
        mov ecx, 4
        mov dword [ecx*4+0x100], eax   ; 0700:0110
        mov edx, [0x0110]
        mov [es:12], edx         ; 12: 12345678
        ; above 1 MiB with A20 on: FFFF:0010 = 0x100000, the multiboot header
        mov ax, 0xFFFF
        mov ds, ax
        mov eax, [0x0010]
        mov [es:16], eax         ; 16: 1BADB002
        mov ax, RM_SEG
        mov ds, ax
        ; INT n through the IVT: FLAGS, CS, IP pushed; IRET restores FLAGS (CF)
        xor ax, ax
        mov fs, ax
        mov word [fs:0x60*4], RM(int60)
        mov word [fs:0x60*4+2], RM_SEG
        mov word [fs:0*4], RM(de_handler)
        mov word [fs:0*4+2], RM_SEG
        mov word [fs:6*4], RM(ud_handler)
        mov word [fs:6*4+2], RM_SEG
        stc
        int 0x60
after_int60:
        setc [es:20]             ; 20: 01
        mov [es:22], dx          ; 22: BEEF (set by the handler)
        ; exceptions through the IVT: #DE, #UD; the handlers skip the instruction
        xor bx, bx
        mov ax, 7
        div bx                   ; -> INT 0 -> de_handler: IP += 2
        mov [es:24], ax          ; 24: 0007 (untouched)
        ud2                      ; -> INT 6 -> ud_handler: IP += 2
        ; far CALL / RETF
        call RM_SEG:RM(far_fn)
        mov [es:26], ax          ; 26: FA12
        ; unreal mode: load DS with a 4 GiB descriptor in protected mode, back to
        ; real mode, and DS keeps its limit while its base becomes selector * 16
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov ax, SEL_DATA32
        mov ds, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        xor ax, ax
        mov ds, ax
        mov esi, 0x00200000
        mov eax, [esi]
        mov [es:32], eax         ; 32: the value at 2 MiB
        mov dword [esi+4], 0x0E0E0E0E
        ; back to 32-bit protected mode
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword SEL_CODE32:pm32_return

int60:  mov dx, 0xBEEF
        mov bp, sp
        mov ax, [bp]             ; IP pushed
        mov [es:40], ax
        mov ax, [bp+2]           ; CS pushed
        mov [es:42], ax
        mov ax, [bp+4]           ; FLAGS pushed
        mov [es:44], ax
        pushf
        pop ax
        mov [es:46], ax          ; FLAGS inside (IF, TF cleared)
        iret
de_handler:
        mov bp, sp
        add word [bp], 2
        mov byte [es:48], 0xDE
        iret
ud_handler:
        mov bp, sp
        add word [bp], 2
        mov byte [es:49], 0x06
        iret
far_fn: mov ax, 0xFA12
        retf

ivt_desc: dw 0x3FF
          dd 0
rm_blob_end:
