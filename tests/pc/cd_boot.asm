; An El Torito no-emulation boot image for tests/pc (run_pc.py): SeaBIOS loads it
; from the CD-ROM at 0000:7C00 (4 virtual sectors, so up to 2 KiB). It prints its
; drive number, reads the ISO's primary volume descriptor (LBA 16, 2048 bytes)
; through INT 13h AH=42h and prints the standard identifier and the volume label,
; then ends the run through the debug-exit port 0xF4 with 0x12 (status 37), or
; 0x33 (status 103) if a BIOS call failed. Lines go to the screen (INT 10h) and
; to COM1 (port 0x3F8).
bits 16
org 0x7C00

COM1 equ 0x3F8

start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  cld
  jmp 0:.cs0                ; some BIOSes enter at 07C0:0000
.cs0:
  mov [drive], dl
  mov si, msg_hello
  call puts
  mov al, [drive]
  call hex8
  mov al, 10
  call putc
  ; Extensions check, then the primary volume descriptor.
  mov ah, 0x41
  mov bx, 0x55AA
  mov dl, [drive]
  int 0x13
  jc fail
  cmp bx, 0xAA55
  jne fail
  mov si, dap
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  jc fail
  mov si, msg_pvd
  call puts
  mov si, 0x8000 + 1        ; "CD001"
  mov cx, 5
  call putn
  mov si, msg_label
  call puts
  mov si, 0x8000 + 40       ; volume identifier, 32 characters padded with spaces
  mov cx, 32
.trim:
  mov bx, cx
  cmp byte [si + bx - 1], ' '
  jne .print_label
  loop .trim
.print_label:
  call putn
  mov al, 10
  call putc
  mov si, msg_bye
  call puts
  mov al, 0x12
  out 0xF4, al
.halt:
  hlt
  jmp .halt

fail:
  push ax
  mov si, msg_fail
  call puts
  pop ax
  call hex16
  mov al, 10
  call putc
  mov al, 0x33
  out 0xF4, al
  jmp start.halt

; puts: zero-terminated string at SI; putn: CX characters at SI.
puts:
  lodsb
  test al, al
  jz .done
  call putc
  jmp puts
.done:
  ret
putn:
  jcxz .done
.next:
  lodsb
  call putc
  loop .next
.done:
  ret

; putc: AL on the screen (INT 10h teletype, LF as CR LF) and on COM1.
putc:
  push ax
  push bx
  push dx
  push ax
  cmp al, 10
  jne .tty
  mov ax, 0x0E0D
  xor bx, bx
  int 0x10
  pop ax
  push ax
.tty:
  mov ah, 0x0E
  xor bx, bx
  int 0x10
  mov dx, COM1 + 5
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  pop ax
  mov dx, COM1
  out dx, al
  pop dx
  pop bx
  pop ax
  ret

hex16:
  push ax
  mov al, ah
  call hex8
  pop ax
hex8:
  push ax
  shr al, 4
  call .digit
  pop ax
  and al, 0x0F
.digit:
  push ax
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'A' - '9' - 1
.out:
  call putc
  pop ax
  ret

align 4
dap:
  db 0x10, 0
  dw 1                      ; one 2048-byte CD sector
  dw 0x8000, 0              ; to 0000:8000
  dq 16                     ; the primary volume descriptor
drive: db 0
msg_hello: db "kasou-pc: El Torito boot image running, drive ", 0
msg_pvd: db "INT 13h AH=42h: volume descriptor ", 0
msg_label: db ", label ", 0
msg_fail: db "FAIL INT 13h AX=", 0
msg_bye: db "kasou-pc: CD done", 10, 0

  times 2048 - ($ - $$) db 0
