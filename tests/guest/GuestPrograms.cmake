# kasou_add_guest(NAME SOURCES a.c b.asm ... [CFLAGS flags...]): builds a bare-metal
# multiboot ELF32 guest program (gcc -m32 -ffreestanding, nasm -f elf32) linked with
# the guest runtime (tests/guest/lib: start.asm, runtime.c serial + printf, cpu.c +
# isr.asm GDT/IDT/exception catching). The result is ${CMAKE_CURRENT_BINARY_DIR}/NAME.elf.
set(CMAKE_ASM_NASM_OBJECT_FORMAT elf32)
enable_language(ASM_NASM)
set(KASOU_GUEST_LIB_DIR ${CMAKE_CURRENT_LIST_DIR}/lib)
# The compiler's own freestanding headers (stdint.h, stdarg.h).
execute_process(COMMAND ${CMAKE_C_COMPILER} -m32 -print-file-name=include
                OUTPUT_VARIABLE CMAKE_C_COMPILER_INCLUDE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
set(KASOU_GUEST_CFLAGS -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
    -fno-asynchronous-unwind-tables -fno-builtin -nostdinc -isystem ${CMAKE_C_COMPILER_INCLUDE_DIR}
    -O2 -Wall -Wextra -I${KASOU_GUEST_LIB_DIR})

# Guest programs are one RWX segment on purpose (bare metal, self-modifying code).
include(CheckLinkerFlag)
check_linker_flag(C "-Wl,--no-warn-rwx-segments" KASOU_LD_HAS_NO_WARN_RWX)
set(KASOU_GUEST_LDFLAGS -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack)
if(KASOU_LD_HAS_NO_WARN_RWX)
  list(APPEND KASOU_GUEST_LDFLAGS -Wl,--no-warn-rwx-segments)
endif()

if(NOT TARGET kasou_guest_runtime)
  add_library(kasou_guest_runtime OBJECT ${KASOU_GUEST_LIB_DIR}/runtime.c ${KASOU_GUEST_LIB_DIR}/start.asm
              ${KASOU_GUEST_LIB_DIR}/cpu.c ${KASOU_GUEST_LIB_DIR}/isr.asm)
  target_compile_options(kasou_guest_runtime PRIVATE $<$<COMPILE_LANGUAGE:C>:${KASOU_GUEST_CFLAGS}>)
endif()

function(kasou_add_guest name)
  cmake_parse_arguments(G "" "" "SOURCES;CFLAGS" ${ARGN})
  add_executable(${name} ${G_SOURCES} $<TARGET_OBJECTS:kasou_guest_runtime>)
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:C>:${KASOU_GUEST_CFLAGS} ${G_CFLAGS}>)
  target_link_options(${name} PRIVATE ${KASOU_GUEST_LDFLAGS} -Wl,-T,${KASOU_GUEST_LIB_DIR}/guest.ld)
  target_link_libraries(${name} PRIVATE gcc)
  set_target_properties(${name} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${KASOU_GUEST_LIB_DIR}/guest.ld
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
