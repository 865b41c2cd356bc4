; Virtual-8086 code of sys_vm86.c: copied to linear 0x8000 and run with CS=0x0800.
; Entry at offset 0 (IOPL 0: sensitive instructions trap to the monitor) and at
; vm86_iopl3 - vm86_blob (IOPL 3: INT n goes through the protected-mode IDT).
; Results go to DS=0x0A00 (linear 0xA000); INT 0x62 tells the monitor "done".
bits 16
section .data
global vm86_blob, vm86_blob_end, vm86_iopl3_off
vm86_iopl3_off: dd vm86_iopl3 - vm86_blob

vm86_blob:
        mov ax, 0x0A00
        mov ds, ax
        mov [0], cs              ; segment registers are plain values in VM86
        mov word [2], 0x1234
        mov ax, 0x1111
        int 0x60                 ; #GP(0) to the monitor (IOPL 0), which sets AX
        mov [4], ax
        in al, 0x80              ; allowed by the I/O bitmap: no trap
        mov [6], al
        out 0x81, al             ; denied: #GP(0), the monitor skips it
        cli                      ; IOPL 0: #GP(0)
        pushf                    ; #GP(0)
        mov bx, 0x0B00           ; segment arithmetic: 0x0B00:0x0010 = 0xB010
        mov es, bx
        mov word [es:0x10], 0xBEEF
        mov bx, 0x0A01           ; 0x0A01:0x1000 is 0xB010 too
        mov es, bx
        mov ax, [es:0x1000]
        mov [8], ax
        int 0x62                 ; done

vm86_iopl3:
        mov ax, 0x0A00
        mov ds, ax
        cli                      ; allowed with IOPL 3
        pushf
        pop ax
        mov [0x10], ax           ; FLAGS image: IOPL 3, IF clear
        sti
        mov ax, 0x2222
        int 0x61                 ; through the IDT (DPL 3 gate) to ring 0
        mov [0x12], ax
        out 0x81, al             ; I/O still goes by the bitmap: #GP(0)
        int 0x62
vm86_blob_end:
