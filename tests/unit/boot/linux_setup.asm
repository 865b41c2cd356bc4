; The "real-mode setup code" of the synthetic bzImage in test_dev_linuxboot.cpp:
; the option ROM (firmware/linuxboot.asm) jumps to setup + 0x200, whose short jump
; lands here (file offset 0x280 = IP 0x80, CS = setup segment + 0x20). Records
; the segment registers, SP and FLAGS at DS:0x7000 for the test to check, says so
; on COM1 and spins (the test stops at that line).
bits 16
org 0x80
start:
  mov [0x7000], cs
  mov [0x7002], ds
  mov [0x7004], es
  mov [0x7006], ss
  mov [0x7008], sp
  mov [0x700A], fs
  mov [0x700C], gs
  pushf
  pop ax
  mov [0x700E], ax
  mov si, msg
  mov dx, 0x3F8
.print:
  cs lodsb
  test al, al
  jz .spin
  out dx, al
  jmp .print
.spin:
  jmp .spin
msg: db "kasou: linux setup entered", 13, 10, 0
