/* Hardware task switching: a double fault handled by a task gate, as Linux i386
 * does (the error code on the #DF task's stack, back link, NT, busy bits; the
 * handler repairs the IDT and IRETs back into the faulting task), JMP to a TSS (no
 * nesting), CALL through a GDT task gate and INT n through an IDT task gate
 * (nesting: link, NT, both busy; IRET returns), and the registers a task switch
 * saves and loads. Every result is printed; the exit code is the number of
 * failed checks. */
#include "sys_lib.h"

#define SEL_TSS3 (GDT_TEST_FIRST * 8)           /* a worker task */
#define SEL_TASK_GATE ((GDT_TEST_FIRST + 1) * 8) /* GDT task gate -> SEL_TSS3 */
#define VEC_TASK 0x90                           /* IDT task gate -> SEL_TSS3 */

static struct tss32 tss3;
static uint8_t df_stack[4096] __attribute__((aligned(16)));
static uint8_t t3_stack[4096] __attribute__((aligned(16)));

/* The #DF task: pops the error code, calls df_main, IRETs back, and starts over
 * when the next double fault switches to it again. */
uint32_t df_error, df_count;
void df_entry(void);
void df_main(void);
/* The worker task: notes its registers and state, then goes back by JMP (mode 0)
 * or IRET (mode 1), and starts over next time. */
uint32_t t3_mode, t3_eax, t3_ebx, t3_eflags, t3_tr, t3_count;
void t3_entry(void);
void t3_main(void);
/* Code that double faults (mov ds with a bad selector while #GP's gate is absent)
 * and the place df_main sends the faulting task back to. */
void df_trigger(void);
extern char df_resume[];
__asm__(".pushsection .text\n.intel_syntax noprefix\n"
        "df_entry:\n pop eax\n mov [df_error], eax\n call df_main\n iretd\n jmp df_entry\n"
        "t3_entry:\n mov [t3_eax], eax\n mov [t3_ebx], ebx\n pushfd\n pop eax\n mov [t3_eflags], eax\n"
        " str ax\n movzx eax, ax\n mov [t3_tr], eax\n call t3_main\n"
        " cmp dword ptr [t3_mode], 0\n jne 1f\n .byte 0xea\n .long 0\n .word 0x38\n jmp t3_entry\n"
        "1: iretd\n jmp t3_entry\n"
        "df_trigger:\n push ebx\n mov eax, 0x0df0\n mov bx, 0x1238\n mov ds, bx\n mov eax, 1\n"
        "df_resume:\n pop ebx\n ret\n"
        ".att_syntax prefix\n.popsection\n");

static uint32_t busy(int gdt_index) { return (uint32_t)(gdt_read(gdt_index) >> 41) & 1; }

static uint32_t df_tr, df_link, df_nt, df_busy_main, df_busy_df, df_saved_eax;
void df_main(void) {
  uint16_t tr;
  __asm__ volatile("str %0" : "=r"(tr));
  df_tr = tr;
  df_link = sys_tss2.link;
  df_nt = (read_eflags() >> 14) & 1;
  df_busy_main = busy(7);
  df_busy_df = busy(8);
  df_saved_eax = sys_tss.eax;
  df_count++;
  /* Repair: #GP's gate present again; the faulting task resumes at df_resume. */
  idt_write(13, idt_read(13) | (1ull << 47));
  sys_tss.eip = (uint32_t)df_resume;
}

static uint32_t t3_link, t3_busy_main, t3_busy_t3;
void t3_main(void) {
  t3_link = tss3.link;
  t3_busy_main = busy(7);
  t3_busy_t3 = busy(GDT_TEST_FIRST);
  t3_count++;
}

static void task_init(struct tss32* t, void (*entry)(void), uint8_t* stack, unsigned size) {
  t->eip = (uint32_t)entry;
  t->esp = (uint32_t)(stack + size);
  t->eflags = 0x2;
  t->cs = SEL_CODE32;
  t->ss = t->ds = t->es = t->fs = t->gs = SEL_DATA32;
  t->cr3 = read_cr3();
}

int guest_main(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  sys_init();
  printf("sys_tasks: hardware task switching\n");

  /* #DF through a task gate (Linux i386's doublefault_tss). */
  task_init(&sys_tss2, df_entry, df_stack, sizeof(df_stack));
  idt_write(8, gate_descriptor(SEL_TSS2, 0, 0x85, 0));
  idt_write(13, idt_read(13) & ~(1ull << 47));
  df_trigger();
  check_u32("double faults handled", df_count, 1);
  check_u32("#DF error code", df_error, 0);
  check_u32("TR in the #DF task", df_tr, SEL_TSS2);
  check_u32("#DF task's back link", df_link, SEL_TSS);
  check_u32("NT in the #DF task", df_nt, 1);
  check_u32("main TSS busy (nested)", df_busy_main, 1);
  check_u32("#DF TSS busy", df_busy_df, 1);
  check_u32("EAX saved in the main TSS", df_saved_eax, 0x0df0);
  uint16_t tr;
  __asm__ volatile("str %0" : "=r"(tr));
  check_u32("TR after IRET", tr, SEL_TSS);
  check_u32("#DF TSS not busy after IRET", busy(8), 0);
  check_u32("NT after IRET", (read_eflags() >> 14) & 1, 0);
  /* A second double fault reuses the #DF task (it IRETed, so it is available). */
  idt_write(13, idt_read(13) & ~(1ull << 47));
  df_trigger();
  check_u32("second double fault", df_count, 2);

  /* JMP to a TSS: no nesting, the old task is not busy while the new one runs. */
  memset(&tss3, 0, sizeof(tss3));
  task_init(&tss3, t3_entry, t3_stack, sizeof(t3_stack));
  tss3.eax = 0x3EAA;
  tss3.ebx = 0x3EBB;
  tss3.iomap_base = sizeof(tss3);
  gdt_write(GDT_TEST_FIRST, seg_descriptor((uint32_t)&tss3, 0x67, 0x89, 0));
  t3_mode = 0;
  uint32_t ebx_kept;
  __asm__ volatile("mov $0x1111, %%ebx\n ljmp $0x48, $0\n mov %%ebx, %0" : "=r"(ebx_kept)::"eax", "ebx", "ecx",
                   "edx", "memory");
  check_u32("JMP task: EAX loaded from its TSS", t3_eax, 0x3EAA);
  check_u32("JMP task: EBX loaded from its TSS", t3_ebx, 0x3EBB);
  check_u32("JMP task: TR", t3_tr, SEL_TSS3);
  check_u32("JMP task: NT", (t3_eflags >> 14) & 1, 0);
  check_u32("JMP task: old TSS busy", t3_busy_main, 0);
  check_u32("JMP task: new TSS busy", t3_busy_t3, 1);
  check_u32("JMP task: link untouched", t3_link, 0);
  check_u32("JMP back: EBX restored from the main TSS", ebx_kept, 0x1111);
  check_u32("JMP back: worker TSS not busy", busy(GDT_TEST_FIRST), 0);

  /* CALL through a task gate in the GDT: nesting, IRET returns. */
  gdt_write(GDT_TEST_FIRST + 1, gate_descriptor(SEL_TSS3, 0, 0x85, 0));
  t3_mode = 1;
  __asm__ volatile("lcall $0x50, $0" ::: "eax", "ebx", "ecx", "edx", "memory");
  check_u32("CALL gate: worker ran again", t3_count, 2);
  check_u32("CALL gate: link", t3_link, SEL_TSS);
  check_u32("CALL gate: NT", (t3_eflags >> 14) & 1, 1);
  check_u32("CALL gate: caller stays busy", t3_busy_main, 1);
  check_u32("IRET back: worker not busy", busy(GDT_TEST_FIRST), 0);
  check_u32("IRET back: NT clear", (read_eflags() >> 14) & 1, 0);

  /* INT n through an IDT task gate (DPL 0 here: from CPL 0). */
  idt_write(VEC_TASK, gate_descriptor(SEL_TSS3, 0, 0x85, 0));
  tss3.link = 0;
  __asm__ volatile("int $0x90" ::: "eax", "ebx", "ecx", "edx", "memory");
  check_u32("INT task gate: worker ran", t3_count, 3);
  check_u32("INT task gate: link", t3_link, SEL_TSS);
  check_u32("INT task gate: NT", (t3_eflags >> 14) & 1, 1);
  /* A busy TSS cannot be entered: CALL to the main task from itself is #GP. */
  if (TRAP_TRY()) {
    __asm__ volatile("lcall $0x38, $0" ::: "memory");
    trap_end();
    check_true("CALL to a busy TSS faults", 0);
  } else {
    printf("CALL to a busy TSS: %s error %04x\n", trap_name(trap_caught.vector), trap_caught.error);
    check_true("CALL to a busy TSS faults", trap_caught.vector == 13 && trap_caught.error == SEL_TSS);
  }

  printf("sys_tasks: %d failures\n", sys_failures);
  return sys_failures;
}
