; El Torito no-emulation boot image for test_dev_seabios.cpp: prints a line on
; COM1, then idles with interrupts on (the test takes over from the host side).
bits 16
start:
  cli
  push cs
  pop ds
  call next
next:
  pop si
  add si, msg - next
.print:
  lodsb
  test al, al
  jz .done
  mov dx, 0x3F8
  out dx, al
  jmp .print
.done:
  sti
  hlt
  jmp .done
msg: db "kasou: booted from the CD", 13, 10, 0
