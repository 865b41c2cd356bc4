/* Virtual-8086 mode: IRET from ring 0 into a VM86 task (EFLAGS.VM in the frame,
 * real-mode segment arithmetic), the monitor (#GP handler at CPL 0) emulating
 * INT n, CLI and PUSHF when IOPL < 3, I/O instructions checked against the TSS
 * I/O bitmap whatever IOPL is, and with IOPL 3 INT n going through the
 * protected-mode IDT to a ring-0 handler that sees the VM86 segment registers on
 * its stack. The monitor logs every trap; the log and the VM86 program's results
 * are printed. The exit code is the number of failed checks. */
#include "sys_lib.h"

extern uint8_t vm86_blob[], vm86_blob_end[];
extern uint32_t vm86_iopl3_off;
#define BLOB_SEG 0x0800
#define STACK_SEG 0x0900
#define DATA ((volatile uint16_t*)0xA000)

/* vm86_enter(eip, eflags): IRETD into VM86 at BLOB_SEG:eip with SS:SP =
 * STACK_SEG:0x1000 and DS=ES=FS=GS=0. */
void vm86_enter(uint32_t eip, uint32_t eflags);
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "vm86_enter:\n mov eax, [esp+4]\n mov ecx, [esp+8]\n"
        " push 0\n push 0\n push 0\n push 0\n"   /* GS FS DS ES */
        " push 0x0900\n push 0x1000\n"          /* SS ESP */
        " push ecx\n push 0x0800\n push eax\n"  /* EFLAGS CS EIP */
        " iretd\n"
        ".att_syntax prefix\n.popsection\n");

static guest_jmp_buf vm86_jb;
static int nlog;

static uint8_t* vm86_ip(struct trap_frame* f) { return (uint8_t*)(f->cs * 16 + (f->eip & 0xFFFF)); }

/* The monitor: #GP from VM86. */
static void on_gp(struct trap_frame* f) {
  struct trap_frame_outer* o = (struct trap_frame_outer*)f;
  uint8_t* ip = vm86_ip(f);
  if (!(f->eflags & 0x20000)) {
    printf("#GP outside VM86 at %08x error %x FAIL\n", f->eip, f->error);
    guest_exit(TRAP_EXIT_CODE);
  }
  nlog++;
  printf("  #GP(%x) from VM86 at %04x:%04x opcode %02x, iopl %u, ds %04x ss:sp %04x:%04x\n", f->error, f->cs,
         f->eip, ip[0], (f->eflags >> 12) & 3, o->ds, o->ss, o->esp);
  switch (ip[0]) {
    case 0xCD: /* INT n */
      if (ip[1] == 0x62) guest_longjmp(vm86_jb, 1);
      f->eax = (f->eax & 0xFFFF0000u) | (0x5000u + ip[1]);
      f->eip += 2;
      break;
    case 0xE6: case 0xE4: /* OUT/IN imm8 */
      f->eip += 2;
      break;
    case 0xFA: case 0xFB: /* CLI STI */
      f->eip += 1;
      break;
    case 0x9C: /* PUSHF: push FLAGS with IF as the monitor keeps it (here: 1) */
      o->esp = (o->esp - 2) & 0xFFFF;
      *(uint16_t*)(o->ss * 16 + o->esp) = (uint16_t)(f->eflags | 0x200);
      f->eip += 1;
      break;
    default:
      printf("  unexpected opcode FAIL\n");
      sys_failures++;
      guest_longjmp(vm86_jb, 1);
  }
}

/* INT 0x61 from VM86 with IOPL 3 (DPL 3 interrupt gate). INT 0x62 ends. */
static void on_int61(struct trap_frame* f) {
  struct trap_frame_outer* o = (struct trap_frame_outer*)f;
  nlog++;
  printf("  INT 0x61 in ring 0 from %04x:%04x, VM %u, cs now %02x, es %04x ds %04x fs %04x gs %04x ss %04x\n", f->cs,
         f->eip, (f->eflags >> 17) & 1, read_cs(), o->es, o->ds, o->fs, o->gs, o->ss);
  f->eax = (f->eax & 0xFFFF0000u) | 0x6161;
}
static void on_int62(struct trap_frame* f) {
  (void)f;
  guest_longjmp(vm86_jb, 1);
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  outb(0x21, 0xFF); /* no hardware interrupt while VM86 code runs with IF set */
  outb(0xA1, 0xFF);
  printf("sys_vm86: virtual-8086 mode\n");
  memcpy((void*)(BLOB_SEG * 16), vm86_blob, (unsigned)(vm86_blob_end - vm86_blob));
  memset((void*)DATA, 0, 0x100);
  io_allow(&sys_tss, 0x80, 1, 1);
  idt_set_handler(13, on_gp);

  /* IOPL 0: the monitor sees INT, OUT to a denied port, CLI and PUSHF. */
  printf("VM86 with IOPL 0:\n");
  if (guest_setjmp(vm86_jb) == 0) vm86_enter(0, 0x20202);
  check_u32("monitor traps", nlog, 5);
  check_u32("CS seen by VM86 code", DATA[0], BLOB_SEG);
  check_u32("AX after the emulated INT 0x60", DATA[2], 0x5060);
  check_u32("0x0A01:0x1000 reads 0x0B00:0x0010", DATA[4], 0xBEEF);
  check_u32("write through DS=0x0A00", DATA[1], 0x1234);

  /* IOPL 3: CLI/PUSHF run, INT n goes through the IDT; I/O still by the bitmap. */
  printf("VM86 with IOPL 3:\n");
  nlog = 0;
  idt_set_gate(0x61, 0xE, 3);
  idt_set_handler(0x61, on_int61);
  idt_set_gate(0x62, 0xE, 3);
  idt_set_handler(0x62, on_int62);
  if (guest_setjmp(vm86_jb) == 0) vm86_enter(vm86_iopl3_off, 0x23202);
  check_u32("traps and interrupts", nlog, 2);
  check_u32("FLAGS pushed by PUSHF (IOPL 3, IF 0)", DATA[8] & 0x3200, 0x3000);
  check_u32("AX after INT 0x61", DATA[9], 0x6161);
  /* A DPL 0 gate cannot be used from VM86: #GP(vector * 8 + 2). */
  idt_set_gate(0x61, 0xE, 0);
  nlog = 0;
  idt_set_handler(13, 0);
  if (TRAP_TRY()) {
    if (guest_setjmp(vm86_jb) == 0) vm86_enter(vm86_iopl3_off, 0x23202);
    trap_end();
    check_true("INT through a DPL 0 gate from VM86 faults", 0);
  } else {
    printf("INT 0x61 through a DPL 0 gate: %s error %04x, VM %u\n", trap_name(trap_caught.vector), trap_caught.error,
           (trap_caught.eflags >> 17) & 1);
    check_true("INT through a DPL 0 gate from VM86 faults",
               trap_caught.vector == 13 && trap_caught.error == 0x61 * 8 + 2);
  }

  printf("sys_vm86: %d failures\n", sys_failures);
  return sys_failures;
}
