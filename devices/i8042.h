// Intel 8042 keyboard controller (ports 0x60/0x64) with a PS/2 keyboard and a
// PS/2 mouse behind it.
//
// Controller: status register (OBF, SYS, CMD/DATA, AUX OBF), command byte
// (interrupt enables, SYS, port disables, XLATE), commands 0x20-0x3F / 0x60-0x7F
// (read / write internal RAM, byte 0 = command byte), 0xA7/0xA8/0xA9 (mouse port
// disable / enable / test), 0xAA (self test: 0x55), 0xAB (keyboard port test),
// 0xAD/0xAE (keyboard port disable / enable), 0xC0 (input port), 0xD0/0xD1
// (output port read / write: bit 0 = reset line, bit 1 = A20), 0xD2/0xD3 (write
// the output buffer as the keyboard / mouse), 0xD4 (next byte to the mouse),
// 0xDD/0xDF (A20 off / on), 0xF0-0xFF (pulse output lines: bit 0 = reset).
// With XLATE set the controller translates the keyboard's scan code set 2 to
// set 1 (every byte, F0 prefixes folded into bit 7), as the 8042 firmware does.
// IRQ 1 = keyboard byte in the output buffer, IRQ 12 = mouse byte (each gated by
// its command-byte enable).
//
// Keyboard: reset (FA AA), echo, LEDs, scan code set 1/2 (set 3 is refused
// with FE), typematic, enable/disable, identify (AB 83), resend. Mouse: reset
// (FA AA 00), stream and remote modes, wrap mode, sample rate, resolution,
// scaling, status request, enable/disable, identify (3 after the IntelliMouse
// 200/100/80 sample-rate sequence, then 4-byte packets).
//
// The frontend (and tests) inject input with key(), type_text(),
// inject_set2() / inject_set1() and mouse_move().
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/device_host.h"

namespace kasou {

enum class Key : uint8_t {
  A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z,
  D0, D1, D2, D3, D4, D5, D6, D7, D8, D9,
  Enter, Escape, Backspace, Tab, Space, Minus, Equals, LeftBracket, RightBracket, Backslash,
  Semicolon, Apostrophe, Grave, Comma, Period, Slash, CapsLock,
  F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12,
  LeftShift, RightShift, LeftCtrl, RightCtrl, LeftAlt, RightAlt,
  Insert, Delete, Home, End, PageUp, PageDown, Up, Down, Left, Right,
  NumLock, ScrollLock, KpEnter,
  kCount
};
// Scan code set 2 make code of a key; 0xE0xx for keys with the E0 prefix.
uint16_t key_set2(Key k);
// The 8042's set 2 -> set 1 translation of one byte.
uint8_t i8042_translate(uint8_t set2);

namespace mouse_button {
inline constexpr uint8_t kLeft = 1, kRight = 2, kMiddle = 4;
}

class I8042 : public Device, public IoHandler {
 public:
  // `a20` receives the output port's A20 bit whenever it is written.
  I8042(IoBus& io, DeviceHost& host, IrqLine irq1, IrqLine irq12, std::function<void(bool)> a20);
  const char* name() const override { return "i8042"; }
  const char* io_name() const override { return "i8042"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // Input from the host. Dropped while the keyboard / mouse is disabled.
  void key(Key k, bool pressed);
  // Types ASCII text (letters, digits, punctuation, space, \n, \t, \b) with shift
  // where needed; returns false if a character has no key.
  bool type_text(std::string_view text);
  void inject_set2(const uint8_t* bytes, unsigned n);
  // A set 1 scan code (make, or make|0x80 for a break; 0xE0 prefix allowed).
  void inject_set1(uint8_t code, bool e0 = false);
  // Relative motion (dy > 0 = up, as PS/2 reports it), wheel, buttons (mouse_button bits).
  void mouse_move(int dx, int dy, int dz, uint8_t buttons);

  uint8_t leds() const { return st_.kbd.leds; }

  static constexpr unsigned kQueue = 256;
  struct Queue {
    uint8_t data[kQueue];
    uint16_t head, count;
  };
  struct Keyboard {
    Queue q;
    uint8_t pending_cmd, scan_enabled, set, leds, typematic, last, pad[2];
  };
  struct Mouse {
    Queue q;
    uint8_t pending_cmd, enabled, remote, wrap, scale21, resolution, rate, id;
    uint8_t buttons, detect, last, pad;
    int32_t dx, dy, dz;
  };
  struct State {
    uint8_t ram[32];       // internal RAM; ram[0] is the command byte
    uint8_t outport;
    uint8_t ob, obf, ob_aux;
    uint8_t pending_cmd;   // controller command waiting for its data byte
    uint8_t sys_flag, last_was_cmd, xlate_break;
    uint8_t irq1, irq12;
    uint8_t ctl_count, pad;
    uint8_t ctl[8];        // controller replies (byte, aux flag) pairs
    Keyboard kbd;
    Mouse mouse;
  };
  const State& state() const { return st_; }

 private:
  uint8_t& cmd() { return st_.ram[0]; }
  void ctl_reply(uint8_t b, bool aux = false);
  void kbd_send(uint8_t b);
  void mouse_send(uint8_t b);
  void refill();
  void update_irq();
  void controller_command(uint8_t v);
  void controller_data(uint8_t v);
  void set_outport(uint8_t v);
  void keyboard_write(uint8_t v);
  void mouse_write(uint8_t v);
  void keyboard_defaults();
  void mouse_defaults();
  void mouse_packet();
  void emit_key(uint16_t set2, bool pressed);

  IoBus& io_;
  DeviceHost& host_;
  IrqLine irq1_, irq12_;
  std::function<void(bool)> a20_;
  State st_{};
};

}  // namespace kasou
