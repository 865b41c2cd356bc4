; kasou's Linux boot option ROM (genroms/kasou-linuxboot.bin), the counterpart of
; QEMU's linuxboot_dma.bin: SeaBIOS runs it as a boot device (the BEV of its PnP
; header, first in the fw_cfg "bootorder"), and it loads the Linux kernel that the
; host put in fw_cfg (firmware/linux_boot.cpp) and enters its real-mode setup
; code as the 16-bit boot protocol says (Documentation/x86/boot.rst):
;   setup     -> FW_CFG_SETUP_ADDR   (the setup sectors, header already filled in)
;   kernel    -> FW_CFG_KERNEL_ADDR  (the protected-mode part, at 1 MiB)
;   cmdline   -> FW_CFG_CMDLINE_ADDR
;   initrd    -> FW_CFG_INITRD_ADDR  (when FW_CFG_INITRD_SIZE is not 0)
; The copies go through the fw_cfg DMA interface, which writes physical memory
; anywhere below 4 GiB from real mode. Then DS = ES = FS = GS = SS = the setup
; segment, SP just below the command line, and a far jump to setup segment + 0x20
; offset 0 (= setup + 0x200).
;
; kasou pads the ROM to 512-byte blocks and sets the checksum byte when it hands
; it to SeaBIOS (linuxboot_option_rom() in linux_boot.cpp); the size byte here is
; computed by nasm.
bits 16
cpu 486
org 0

FW_CFG_SELECTOR   equ 0x510
FW_CFG_DATA       equ 0x511
FW_CFG_DMA_LOW    equ 0x518   ; low half of the big-endian DMA address register

FW_CFG_KERNEL_ADDR  equ 0x07
FW_CFG_KERNEL_SIZE  equ 0x08
FW_CFG_INITRD_ADDR  equ 0x0A
FW_CFG_INITRD_SIZE  equ 0x0B
FW_CFG_KERNEL_DATA  equ 0x11
FW_CFG_INITRD_DATA  equ 0x12
FW_CFG_CMDLINE_ADDR equ 0x13
FW_CFG_CMDLINE_SIZE equ 0x14
FW_CFG_CMDLINE_DATA equ 0x15
FW_CFG_SETUP_ADDR   equ 0x16
FW_CFG_SETUP_SIZE   equ 0x17
FW_CFG_SETUP_DATA   equ 0x18

DMA_ERROR  equ 0x01
DMA_READ   equ 0x02
DMA_SELECT equ 0x08

; Scratch in conventional memory below the boot-sector address (nothing else
; boots: SeaBIOS handed the machine to us), segment 0: the DMA descriptor
; (16 bytes, big-endian fields) and the addresses/sizes read from fw_cfg.
STACK_TOP  equ 0x7B00
DESC       equ 0x7B00
VARS       equ 0x7B10
V_SETUP_ADDR   equ VARS + 0
V_CMDLINE_ADDR equ VARS + 4

rom_start:
  dw 0xAA55
  db (rom_end - rom_start + 511) / 512   ; size in 512-byte blocks
init:                                    ; option ROM init (far call at offset 3)
  retf
  times 0x18 - ($ - $$) db 0
  dw 0                                   ; no PCI data structure
  dw pnp                                 ; the PnP expansion header

pnp:
  db '$PnP'
  db 1                                   ; revision
  db 2                                   ; length in 16-byte units
  dw 0                                   ; no next header
  db 0                                   ; reserved
  db 0                                   ; checksum (SeaBIOS does not check it)
  dd 0                                   ; device id
  dw manufacturer
  dw product
  db 0, 0, 0, 0                          ; device type, indicators
  dw 0                                   ; BCV: none
  dw 0                                   ; DV: none
  dw bev                                 ; boot entry vector
  dw 0, 0

manufacturer: db 'kasou', 0
product:      db 'Linux direct boot (fw_cfg)', 0

; Boot entry: SeaBIOS far-calls this when it boots "/rom@genroms/kasou-linuxboot.bin".
bev:
  cli
  cld
  xor ax, ax
  mov es, ax                             ; ES = 0: the scratch area
  mov ss, ax
  mov sp, STACK_TOP
  mov ax, cs
  mov ds, ax                             ; DS = CS: the item list

  mov ax, FW_CFG_SETUP_ADDR
  call read32
  mov [es:V_SETUP_ADDR], eax
  mov ax, FW_CFG_CMDLINE_ADDR
  call read32
  mov [es:V_CMDLINE_ADDR], eax

  mov si, setup_items
.next_item:
  lodsw                                  ; address key (0: end of the list)
  test ax, ax
  jz .start_kernel
  call read32
  mov edi, eax                           ; destination
  lodsw                                  ; size key
  call read32
  mov ecx, eax                           ; length
  lodsw                                  ; data key
  jecxz .next_item                       ; nothing to copy (no initrd)
  call dma_read
  jmp .next_item

.start_kernel:
  ; Segments at the setup code, the stack below the command line (the kernel
  ; takes heap_end_ptr, which the host set to cmdline - setup - 0x200, as its limit).
  mov eax, [es:V_CMDLINE_ADDR]
  sub eax, [es:V_SETUP_ADDR]
  sub eax, 0x10
  mov ecx, eax                           ; SP
  mov eax, [es:V_SETUP_ADDR]
  shr eax, 4                             ; the setup segment
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov sp, cx
  add ax, 0x20
  push ax                                ; CS = segment + 0x20
  push word 0                            ; IP = 0
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  retf

; (address key, size key, data key) per blob; DS = CS for lodsw.
setup_items:
  dw FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA
  dw FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA
  dw FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA
  dw FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA
  dw 0

; eax = the 32-bit little-endian item `ax` (traditional interface: byte reads).
; Keeps si, di (and the segment registers).
read32:
  mov dx, FW_CFG_SELECTOR
  out dx, ax
  mov dx, FW_CFG_DATA
  mov cx, 4
.byte:
  in al, dx
  ror eax, 8                             ; after 4 bytes: byte 0 in bits 0-7
  loop .byte
  ret

; DMA-reads ecx bytes of item `ax` to physical address edi (the descriptor at
; ES:DESC, ES = 0). Keeps si. Stops the boot with a message if the device
; reports an error.
dma_read:
  movzx ebx, ax
  shl ebx, 16
  or ebx, DMA_SELECT | DMA_READ
  bswap ebx
  mov [es:DESC], ebx                     ; control
  bswap ecx
  mov [es:DESC + 4], ecx                 ; length
  mov dword [es:DESC + 8], 0             ; address, high half
  bswap edi
  mov [es:DESC + 12], edi                ; address, low half
  mov eax, DESC
  bswap eax
  mov dx, FW_CFG_DMA_LOW
  out dx, eax                            ; starts the transfer
.wait:
  mov eax, [es:DESC]
  bswap eax
  test eax, ~DMA_ERROR
  jnz .wait
  test eax, DMA_ERROR
  jnz .failed
  ret
.failed:
  mov si, dma_error_msg
.print:
  lodsb
  test al, al
  jz .give_up
  mov ah, 0x0E
  mov bx, 0x0007
  int 0x10
  jmp .print
.give_up:
  sti
  int 0x18                               ; boot failure: SeaBIOS tries the next device

dma_error_msg: db 'kasou linuxboot: fw_cfg DMA read failed', 13, 10, 0

rom_end:
