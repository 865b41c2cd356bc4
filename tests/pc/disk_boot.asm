; A hard-disk boot program for tests/pc (run_pc.py): everything a boot sector
; asks of the BIOS, printed as a transcript on COM1 (and on the screen).
;
; Image layout (512-byte sectors; the test pads the file to 1 MiB):
;   LBA 0     stage 1 (the MBR SeaBIOS loads at 0x7C00): loads LBA 1-2 through
;             INT 13h AH=02h (CHS) to 0x7E00 and jumps there
;   LBA 1-2   stage 2: INT 13h AH=41h, then LBA 3 through AH=42h; the RTC through
;             INT 1Ah AH=04h/02h; one line through INT 14h; two keys through
;             INT 16h AH=00h, then the time again (when the keys came); writes
;             LBA 5 (AH=43h) and LBA 6 (AH=03h, CHS); ends the run through the
;             debug-exit port 0xF4
;   LBA 3     a text that only the AH=42h read brings into memory
;   LBA 4-7   zero: LBA 5 and 6 are the write targets
;
; Every line goes to the screen (INT 10h AH=0Eh) and to COM1 (port 0x3F8 directly),
; except the INT 14h line, which only COM1 gets. A failed BIOS call prints
; "FAIL <what> AX=xxxx" and exits with 0x33 ((0x33 << 1) | 1 = 103); success exits
; with 0x10 (status 33).
bits 16
org 0x7C00

COM1 equ 0x3F8

stage1:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  cld
  mov [drive], dl
  mov si, msg_hello
  call puts
  ; CHS read: cylinder 0, head 0, sectors 2-3 (LBA 1-2) -> 0000:7E00.
  mov ax, 0x0202
  mov cx, 0x0002
  mov dh, 0
  mov dl, [drive]
  mov bx, stage2
  int 0x13
  mov si, what_chs_read
  jc fail
  cmp al, 2
  jne fail
  mov si, msg_chs
  call puts
  jmp stage2

; puts: the zero-terminated string at DS:SI on the screen and on COM1.
puts:
  push ax
  push bx
.next:
  lodsb
  test al, al
  jz .done
  call putc
  jmp .next
.done:
  pop bx
  pop ax
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
  mov dx, COM1 + 5          ; line status: wait for THR empty
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

; fail: prints "FAIL <string at SI> AX=xxxx" and exits with 0x33.
fail:
  push ax
  push si
  mov si, msg_fail
  call puts
  pop si
  call puts
  mov si, msg_ax
  call puts
  pop ax
  call hex16
  mov al, 10
  call putc
  mov al, 0x33
  out 0xF4, al
.halt:
  hlt
  jmp .halt

; hex16 / hex8: AX / AL as hex digits (also prints BCD values as decimal digits).
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

drive: db 0
msg_hello: db "kasou-pc: boot sector running", 10, 0
msg_chs: db "INT 13h AH=02h (CHS): read LBA 1-2", 10, 0
what_chs_read: db "CHS read", 0
msg_fail: db "FAIL ", 0
msg_ax: db " AX=", 0

  times 510 - ($ - $$) db 0
  dw 0xAA55

; ---- stage 2 (LBA 1-2, at 0x7E00) ----
stage2:
  ; INT 13h extensions present?
  mov ah, 0x41
  mov bx, 0x55AA
  mov dl, [drive]
  int 0x13
  mov si, what_ext_check
  jc fail
  cmp bx, 0xAA55
  jne fail
  mov si, msg_ext
  call puts
  ; LBA read of sector 3 to 0000:9000.
  mov word [dap.count], 1
  mov word [dap.offset], 0x9000
  mov dword [dap.lba], 3
  mov si, dap
  mov ah, 0x42
  mov dl, [drive]
  int 0x13
  mov si, what_lba_read
  jc fail
  mov si, msg_lba
  call puts
  mov si, 0x9000
  call puts

  ; The RTC: date (AH=04h) then time (AH=02h), as BCD digits.
  mov ah, 0x04
  int 0x1A
  mov si, what_rtc_date
  jc fail
  push dx
  push cx
  mov si, msg_rtc
  call puts
  pop ax                    ; CH = century, CL = year
  call hex16
  mov al, '-'
  call putc
  pop ax                    ; DH = month, DL = day
  push ax
  mov al, ah
  call hex8
  mov al, '-'
  call putc
  pop ax
  call hex8
  mov al, ' '
  call putc
  mov ah, 0x02
  int 0x1A
  mov si, what_rtc_time
  jc fail
  call print_time

  ; One line through the BIOS serial service (INT 14h AH=01h, port 0 = COM1).
  mov si, msg_int14
.int14:
  lodsb
  test al, al
  jz .int14_done
  mov ah, 0x01
  xor dx, dx
  int 0x14
  test ah, 0x80             ; timeout
  jz .int14
  mov si, what_int14
  jmp fail
.int14_done:

  ; Two keys through INT 16h AH=00h: ASCII and scan code of each.
  mov si, msg_keys
  call puts
  mov cx, 2
.key:
  xor ah, ah
  int 0x16
  push ax
  mov si, msg_key
  call puts
  pop ax
  push ax
  call hex16
  pop ax
  cmp al, 0x20
  jb .key_nl
  push ax
  mov al, ' '
  call putc
  pop ax
  call putc
.key_nl:
  mov al, 10
  call putc
  loop .key
  ; The time again: the keys came at a virtual time the test chose (--keys-at-ms).
  mov ah, 0x02
  int 0x1A
  mov si, what_rtc_time
  jc fail
  mov si, msg_rtc_after
  call puts
  call print_time

  ; Write LBA 5 through AH=43h: the text below, then 0xA5 bytes.
  mov di, 0x9000
  mov cx, 512
  mov al, 0xA5
  rep stosb
  mov si, msg_written_lba
  mov di, 0x9000
.copy1:
  lodsb
  stosb
  test al, al
  jnz .copy1
  mov word [dap.count], 1
  mov word [dap.offset], 0x9000
  mov dword [dap.lba], 5
  mov si, dap
  mov ax, 0x4300
  mov dl, [drive]
  int 0x13
  mov si, what_lba_write
  jc fail
  mov si, msg_wrote_lba
  call puts

  ; Write LBA 6 through AH=03h (CHS: cylinder 0, head 0, sector 7).
  mov di, 0x9000
  mov cx, 512
  mov al, 0x3C
  rep stosb
  mov si, msg_written_chs
  mov di, 0x9000
.copy2:
  lodsb
  stosb
  test al, al
  jnz .copy2
  mov ax, 0x0301
  mov cx, 0x0007
  mov dh, 0
  mov dl, [drive]
  mov bx, 0x9000
  int 0x13
  mov si, what_chs_write
  jc fail
  mov si, msg_wrote_chs
  call puts

  mov si, msg_bye
  call puts
  mov al, 0x10
  out 0xF4, al
.halt:
  hlt
  jmp .halt

; print_time: CH:CL:DH (hours, minutes, seconds in BCD) and a line feed.
print_time:
  mov al, ch                ; hours
  call hex8
  mov al, ':'
  call putc
  mov al, cl                ; minutes
  call hex8
  mov al, ':'
  call putc
  mov al, dh                ; seconds
  call hex8
  mov al, 10
  call putc
  ret

align 4
dap:
  db 0x10, 0
.count: dw 0
.offset: dw 0
.segment: dw 0
.lba: dq 0

what_ext_check: db "INT 13h AH=41h", 0
what_lba_read: db "INT 13h AH=42h", 0
what_lba_write: db "INT 13h AH=43h", 0
what_chs_write: db "INT 13h AH=03h", 0
what_rtc_date: db "INT 1Ah AH=04h", 0
what_rtc_time: db "INT 1Ah AH=02h", 0
what_int14: db "INT 14h AH=01h", 0
msg_ext: db "INT 13h AH=41h: extensions present", 10, 0
msg_lba: db "INT 13h AH=42h (LBA): read LBA 3: ", 0
msg_rtc_after: db "INT 1Ah RTC after the keys: ", 0
msg_rtc: db "INT 1Ah RTC: ", 0
msg_int14: db "INT 14h: this line went through the BIOS serial service", 13, 10, 0
msg_keys: db "INT 16h: press two keys", 10, 0
msg_key: db "INT 16h key: ", 0
msg_written_lba: db "kasou-pc: written through INT 13h AH=43h", 0
msg_written_chs: db "kasou-pc: written through INT 13h AH=03h", 0
msg_wrote_lba: db "INT 13h AH=43h (LBA): wrote LBA 5", 10, 0
msg_wrote_chs: db "INT 13h AH=03h (CHS): wrote LBA 6", 10, 0
msg_bye: db "kasou-pc: done", 10, 0

  times 3 * 512 - ($ - $$) db 0
; ---- LBA 3 ----
  db "this text is LBA 3, read through the INT 13h extensions", 10, 0
  times 4 * 512 - ($ - $$) db 0
  times 4 * 512 db 0
