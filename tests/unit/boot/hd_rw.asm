; Master boot record for test_dev_seabios.cpp: reads sectors 1-8 with INT 13h
; AH=42h, prints the 16-bit sum of their bytes in hex on COM1, writes sector 5
; full of 0x5A with AH=43h, prints "W" and ends the run through port 0xF4 with
; 0x15 (0x33 if a BIOS call failed).
bits 16
org 0x7C00
start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  mov [drive], dl
  mov si, dap
  mov ah, 0x42
  int 0x13
  jc fail
  xor bx, bx
  xor cx, cx
  mov si, 0x8000
.sum:
  lodsb
  add bl, al
  adc bh, 0
  inc cx
  cmp cx, 8 * 512
  jne .sum
  mov ax, bx
  call hex16
  mov al, 10
  call putc
  mov di, 0x9000
  mov cx, 512
  mov al, 0x5A
  rep stosb
  mov word [dap + 2], 1
  mov word [dap + 4], 0x9000
  mov dword [dap + 8], 5
  mov si, dap
  mov ax, 0x4300
  mov dl, [drive]
  int 0x13
  jc fail
  mov al, 'W'
  call putc
  mov al, 10
  call putc
  mov al, 0x15
  out 0xF4, al
  hlt
fail:
  mov al, 'F'
  call putc
  mov al, 0x33
  out 0xF4, al
  hlt
putc:
  push dx
  mov dx, 0x3F8
  out dx, al
  pop dx
  ret
hex16:
  push ax
  mov al, ah
  call hex8
  pop ax
hex8:
  push ax
  shr al, 4
  call hex4
  pop ax
hex4:
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .digit
  add al, 7
.digit:
  jmp putc
drive: db 0
align 4
dap: db 16, 0        ; disk address packet: size, reserved
  dw 8               ; sectors
  dw 0x8000, 0       ; offset, segment
  dd 1, 0            ; LBA
times 510 - ($ - $$) db 0
dw 0xAA55
