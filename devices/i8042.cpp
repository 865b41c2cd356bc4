// 8042 controller, PS/2 keyboard and mouse.
#include "devices/i8042.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {
// The 8042's scan code translation (set 2 byte -> set 1 byte) for 0x00-0x7F;
// 0x80-0xFF pass through except 0x83 (F7) and 0x84 (SysRq).
constexpr uint8_t kTranslate[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

// Set 2 make codes in Key order.
constexpr uint16_t kSet2[] = {
    0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43, 0x3B, 0x42, 0x4B, 0x3A,  // A-M
    0x31, 0x44, 0x4D, 0x15, 0x2D, 0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35, 0x1A,  // N-Z
    0x45, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46,                    // 0-9
    0x5A, 0x76, 0x66, 0x0D, 0x29, 0x4E, 0x55, 0x54, 0x5B, 0x5D,  // Enter Esc Bksp Tab Space - = [ ] backslash
    0x4C, 0x52, 0x0E, 0x41, 0x49, 0x4A, 0x58,                    // ; ' ` , . / CapsLock
    0x05, 0x06, 0x04, 0x0C, 0x03, 0x0B, 0x83, 0x0A, 0x01, 0x09, 0x78, 0x07,  // F1-F12
    0x12, 0x59, 0x14, 0xE014, 0x11, 0xE011,                      // shifts, ctrls, alts
    0xE070, 0xE071, 0xE06C, 0xE069, 0xE07D, 0xE07A,              // Ins Del Home End PgUp PgDn
    0xE075, 0xE072, 0xE06B, 0xE074,                              // Up Down Left Right
    0x77, 0x7E, 0xE05A,                                          // NumLock ScrollLock KpEnter
};
static_assert(sizeof kSet2 / sizeof kSet2[0] == static_cast<size_t>(Key::kCount));

constexpr uint8_t kAck = 0xFA, kResend = 0xFE, kBatOk = 0xAA;
// Command byte bits.
constexpr uint8_t kCmdKbdInt = 0x01, kCmdAuxInt = 0x02, kCmdSys = 0x04, kCmdKbdOff = 0x10, kCmdAuxOff = 0x20,
                  kCmdXlate = 0x40;

void q_push(I8042::Queue& q, uint8_t b) {
  if (q.count >= I8042::kQueue) return;
  q.data[(q.head + q.count) % I8042::kQueue] = b;
  q.count++;
}
uint8_t q_pop(I8042::Queue& q) {
  uint8_t b = q.data[q.head];
  q.head = static_cast<uint16_t>((q.head + 1) % I8042::kQueue);
  q.count--;
  return b;
}
void q_clear(I8042::Queue& q) { q.head = q.count = 0; }

struct AsciiKey {
  Key key;
  bool shift;
};
bool ascii_key(char ch, AsciiKey& out) {
  if (ch >= 'a' && ch <= 'z') return out = {static_cast<Key>(ch - 'a'), false}, true;
  if (ch >= 'A' && ch <= 'Z') return out = {static_cast<Key>(ch - 'A'), true}, true;
  if (ch >= '0' && ch <= '9') return out = {static_cast<Key>(static_cast<int>(Key::D0) + ch - '0'), false}, true;
  static constexpr struct { char c; Key k; bool shift; } kMap[] = {
      {' ', Key::Space, false}, {'\n', Key::Enter, false}, {'\r', Key::Enter, false},
      {'\t', Key::Tab, false}, {'\b', Key::Backspace, false}, {'\x1b', Key::Escape, false},
      {'-', Key::Minus, false}, {'_', Key::Minus, true}, {'=', Key::Equals, false}, {'+', Key::Equals, true},
      {'[', Key::LeftBracket, false}, {'{', Key::LeftBracket, true}, {']', Key::RightBracket, false},
      {'}', Key::RightBracket, true}, {'\\', Key::Backslash, false}, {'|', Key::Backslash, true},
      {';', Key::Semicolon, false}, {':', Key::Semicolon, true}, {'\'', Key::Apostrophe, false},
      {'"', Key::Apostrophe, true}, {'`', Key::Grave, false}, {'~', Key::Grave, true},
      {',', Key::Comma, false}, {'<', Key::Comma, true}, {'.', Key::Period, false}, {'>', Key::Period, true},
      {'/', Key::Slash, false}, {'?', Key::Slash, true}, {'!', Key::D1, true}, {'@', Key::D2, true},
      {'#', Key::D3, true}, {'$', Key::D4, true}, {'%', Key::D5, true}, {'^', Key::D6, true},
      {'&', Key::D7, true}, {'*', Key::D8, true}, {'(', Key::D9, true}, {')', Key::D0, true},
  };
  for (const auto& m : kMap)
    if (m.c == ch) return out = {m.k, m.shift}, true;
  return false;
}
}  // namespace

uint16_t key_set2(Key k) { return kSet2[static_cast<unsigned>(k) % static_cast<unsigned>(Key::kCount)]; }

uint8_t i8042_translate(uint8_t b) {
  if (b < 0x80) return kTranslate[b];
  if (b == 0x83) return 0x41;
  if (b == 0x84) return 0x54;
  return b;
}

I8042::I8042(IoBus& io, DeviceHost& host, IrqLine irq1, IrqLine irq12, std::function<void(bool)> a20)
    : io_(io), host_(host), irq1_(irq1), irq12_(irq12), a20_(std::move(a20)) {
  io_.register_ports(0x60, 1, this, 1);
  io_.register_ports(0x64, 1, this, 1);
  reset();
}

void I8042::keyboard_defaults() {
  st_.kbd.scan_enabled = 1;
  st_.kbd.set = 2;
  st_.kbd.typematic = 0x2B;  // 10.9 characters/s after 500 ms
  st_.kbd.pending_cmd = 0;
}

void I8042::mouse_defaults() {
  Mouse& m = st_.mouse;
  m.enabled = 0;
  m.remote = 0;
  m.scale21 = 0;
  m.resolution = 2;  // 4 counts/mm
  m.rate = 100;
  m.dx = m.dy = m.dz = 0;
  m.pending_cmd = 0;
}

void I8042::reset() {
  st_ = State{};
  cmd() = kCmdKbdInt | kCmdAuxInt;
  st_.outport = 0xCF;  // reset line inactive, A20 on, keyboard clock/data high
  st_.last_was_cmd = 1;
  keyboard_defaults();
  mouse_defaults();
  irq1_.lower();
  irq12_.lower();
  if (a20_) a20_(true);
}

void I8042::ctl_reply(uint8_t b, bool aux) {
  if (st_.ctl_count >= 4) {
    host_.log(fmt::format("i8042: port 0x64: controller output queue full, byte {:#04x} dropped", b));
    return;
  }
  st_.ctl[st_.ctl_count * 2] = b;
  st_.ctl[st_.ctl_count * 2 + 1] = aux;
  st_.ctl_count++;
}

void I8042::kbd_send(uint8_t b) {
  st_.kbd.last = b;
  if (st_.kbd.q.count >= kQueue) {
    host_.log("i8042: keyboard buffer full, input dropped");
    return;
  }
  q_push(st_.kbd.q, b);
}

void I8042::mouse_send(uint8_t b) {
  st_.mouse.last = b;
  q_push(st_.mouse.q, b);
}

void I8042::update_irq() {
  const bool l1 = st_.obf && !st_.ob_aux && (cmd() & kCmdKbdInt);
  const bool l12 = st_.obf && st_.ob_aux && (cmd() & kCmdAuxInt);
  if (l1 != static_cast<bool>(st_.irq1)) {
    st_.irq1 = l1;
    irq1_.set(l1);
  }
  if (l12 != static_cast<bool>(st_.irq12)) {
    st_.irq12 = l12;
    irq12_.set(l12);
  }
}

void I8042::refill() {
  while (!st_.obf) {
    if (st_.ctl_count) {
      st_.ob = st_.ctl[0];
      st_.ob_aux = st_.ctl[1];
      std::copy(st_.ctl + 2, st_.ctl + 8, st_.ctl);
      st_.ctl_count--;
      st_.obf = 1;
    } else if (!(cmd() & kCmdKbdOff) && st_.kbd.q.count) {
      uint8_t b = q_pop(st_.kbd.q);
      if (cmd() & kCmdXlate) {
        if (b == 0xF0) {  // break prefix: folded into bit 7 of the next byte
          st_.xlate_break = 1;
          continue;
        }
        b = i8042_translate(b);
        if (st_.xlate_break) b |= 0x80;
        st_.xlate_break = 0;
      }
      st_.ob = b;
      st_.ob_aux = 0;
      st_.obf = 1;
    } else if (!(cmd() & kCmdAuxOff) && st_.mouse.q.count) {
      st_.ob = q_pop(st_.mouse.q);
      st_.ob_aux = 1;
      st_.obf = 1;
    } else {
      break;
    }
  }
  update_irq();
}

void I8042::set_outport(uint8_t v) {
  const uint8_t old = st_.outport;
  st_.outport = v;
  if (((old ^ v) & 2) && a20_) a20_(v & 2);
  if (!(v & 1)) host_.request_reset();
}

void I8042::controller_command(uint8_t v) {
  if (v >= 0x20 && v <= 0x3F) {
    ctl_reply(st_.ram[v & 0x1F]);
    return;
  }
  if ((v >= 0x60 && v <= 0x7F) || v == 0xD1 || v == 0xD2 || v == 0xD3 || v == 0xD4) {
    st_.pending_cmd = v;
    return;
  }
  if (v >= 0xF0) {  // pulse output port bits 0-3 that are 0 in the command
    if (!(v & 1)) host_.request_reset();
    return;
  }
  switch (v) {
    case 0xA4: ctl_reply(0xF1); break;  // no password installed
    case 0xA7: cmd() |= kCmdAuxOff; break;
    case 0xA8: cmd() &= ~kCmdAuxOff; break;
    case 0xA9: ctl_reply(0x00); break;  // mouse interface test passed
    case 0xAA:
      st_.sys_flag = 1;
      ctl_reply(0x55);
      break;
    case 0xAB: ctl_reply(0x00); break;  // keyboard interface test passed
    case 0xAD: cmd() |= kCmdKbdOff; break;
    case 0xAE: cmd() &= ~kCmdKbdOff; break;
    case 0xC0: ctl_reply(0x80); break;  // input port: keyboard not inhibited
    case 0xD0: {
      uint8_t o = static_cast<uint8_t>(st_.outport & ~0x30);
      if (st_.obf) o |= st_.ob_aux ? 0x20 : 0x10;
      ctl_reply(o);
      break;
    }
    case 0xDD: set_outport(st_.outport & ~2); break;
    case 0xDF: set_outport(st_.outport | 2); break;
    case 0xE0: ctl_reply(0x00); break;  // test inputs
    default:
      host_.log(fmt::format("i8042: port 0x64: unknown controller command {:#04x} ignored", v));
      break;
  }
}

void I8042::controller_data(uint8_t v) {
  const uint8_t c = st_.pending_cmd;
  st_.pending_cmd = 0;
  if (c >= 0x60 && c <= 0x7F) {
    st_.ram[c & 0x1F] = v;
    if (c == 0x60) st_.sys_flag = (v & kCmdSys) ? 1 : 0;
    return;
  }
  switch (c) {
    case 0xD1: set_outport(v); break;
    case 0xD2: ctl_reply(v, false); break;
    case 0xD3: ctl_reply(v, true); break;
    case 0xD4: mouse_write(v); break;
    default: break;
  }
}

void I8042::keyboard_write(uint8_t v) {
  Keyboard& k = st_.kbd;
  if (k.pending_cmd) {
    const uint8_t c = k.pending_cmd;
    k.pending_cmd = 0;
    switch (c) {
      case 0xED:
        k.leds = v & 7;
        kbd_send(kAck);
        return;
      case 0xF3:
        k.typematic = v & 0x7F;
        kbd_send(kAck);
        return;
      case 0xF0:
        if (v == 0) {
          kbd_send(kAck);
          kbd_send(k.set);
        } else if (v == 1 || v == 2) {
          k.set = v;
          kbd_send(kAck);
        } else {
          kbd_send(kResend);  // set 3 (or nonsense) is not supported by this keyboard
        }
        return;
    }
  }
  switch (v) {
    case 0xED:
    case 0xF3:
    case 0xF0:
      k.pending_cmd = v;
      kbd_send(kAck);
      break;
    case 0xEE: kbd_send(0xEE); break;  // echo
    case 0xF2:                         // identify: MF2 keyboard
      kbd_send(kAck);
      kbd_send(0xAB);
      kbd_send(0x83);
      break;
    case 0xF4:
      k.scan_enabled = 1;
      kbd_send(kAck);
      break;
    case 0xF5:
      q_clear(k.q);
      keyboard_defaults();
      k.scan_enabled = 0;
      kbd_send(kAck);
      break;
    case 0xF6:
      q_clear(k.q);
      keyboard_defaults();
      kbd_send(kAck);
      break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
      kbd_send(kAck);  // set 3 key types: accepted, no effect in sets 1 and 2
      break;
    case 0xFE: q_push(k.q, k.last); break;  // resend
    case 0xFF:
      q_clear(k.q);
      keyboard_defaults();
      k.leds = 0;
      kbd_send(kAck);
      kbd_send(kBatOk);
      break;
    default:
      host_.log(fmt::format("i8042: port 0x60: unknown keyboard command {:#04x}", v));
      kbd_send(kResend);
      break;
  }
}

void I8042::mouse_packet() {
  Mouse& m = st_.mouse;
  auto scale = [&](int v) {
    if (!m.scale21 || m.remote) return v;
    static constexpr int kTable[6] = {0, 1, 1, 3, 6, 9};
    const int a = v < 0 ? -v : v;
    const int s = a <= 5 ? kTable[a] : 2 * a;
    return v < 0 ? -s : s;
  };
  const int dx = std::clamp(m.dx, -256, 255), dy = std::clamp(m.dy, -256, 255), dz = std::clamp(m.dz, -8, 7);
  m.dx -= dx;
  m.dy -= dy;
  m.dz -= dz;
  const int sx = std::clamp(scale(dx), -256, 255), sy = std::clamp(scale(dy), -256, 255);
  mouse_send(static_cast<uint8_t>(0x08 | (m.buttons & 7) | (sx < 0 ? 0x10 : 0) | (sy < 0 ? 0x20 : 0)));
  mouse_send(static_cast<uint8_t>(sx));
  mouse_send(static_cast<uint8_t>(sy));
  if (m.id == 3) mouse_send(static_cast<uint8_t>(dz));
}

void I8042::mouse_write(uint8_t v) {
  Mouse& m = st_.mouse;
  if (m.pending_cmd) {
    const uint8_t c = m.pending_cmd;
    m.pending_cmd = 0;
    if (c == 0xE8) {
      m.resolution = v & 3;
    } else {
      m.rate = v;
      // IntelliMouse detection: sample rates 200, 100, 80 in a row.
      m.detect = (v == 200) ? 1 : (m.detect == 1 && v == 100) ? 2 : (m.detect == 2 && v == 80) ? 3 : 0;
      if (m.detect == 3) {
        m.id = 3;
        m.detect = 0;
      }
    }
    mouse_send(kAck);
    return;
  }
  if (m.wrap && v != 0xEC && v != 0xFF) {
    mouse_send(v);  // wrap mode echoes
    return;
  }
  switch (v) {
    case 0xE6: m.scale21 = 0; mouse_send(kAck); break;
    case 0xE7: m.scale21 = 1; mouse_send(kAck); break;
    case 0xE8:
    case 0xF3:
      m.pending_cmd = v;
      mouse_send(kAck);
      break;
    case 0xE9:
      mouse_send(kAck);
      mouse_send(static_cast<uint8_t>((m.remote ? 0x40 : 0) | (m.enabled ? 0x20 : 0) | (m.scale21 ? 0x10 : 0) |
                                      ((m.buttons & mouse_button::kLeft) ? 4 : 0) |
                                      ((m.buttons & mouse_button::kMiddle) ? 2 : 0) |
                                      ((m.buttons & mouse_button::kRight) ? 1 : 0)));
      mouse_send(m.resolution);
      mouse_send(m.rate);
      break;
    case 0xEA: m.remote = 0; mouse_send(kAck); break;
    case 0xEB:
      mouse_send(kAck);
      mouse_packet();
      break;
    case 0xEC: m.wrap = 0; mouse_send(kAck); break;
    case 0xEE: m.wrap = 1; mouse_send(kAck); break;
    case 0xF0: m.remote = 1; mouse_send(kAck); break;
    case 0xF2:
      mouse_send(kAck);
      mouse_send(m.id);
      break;
    case 0xF4: m.enabled = 1; mouse_send(kAck); break;
    case 0xF5: m.enabled = 0; mouse_send(kAck); break;
    case 0xF6:
      mouse_defaults();
      mouse_send(kAck);
      break;
    case 0xFE: mouse_send(m.last); break;
    case 0xFF:
      q_clear(m.q);
      mouse_defaults();
      m.wrap = 0;
      m.id = 0;
      mouse_send(kAck);
      mouse_send(kBatOk);
      mouse_send(0x00);
      break;
    default:
      host_.log(fmt::format("i8042: port 0x60: unknown mouse command {:#04x}", v));
      mouse_send(kResend);
      break;
  }
}

uint32_t I8042::io_read(uint16_t port, unsigned) {
  if (port == 0x64) {
    uint8_t s = 0x10;  // keyboard not inhibited
    if (st_.obf) s |= st_.ob_aux ? 0x21 : 0x01;
    if (st_.sys_flag) s |= 0x04;
    if (st_.last_was_cmd) s |= 0x08;
    return s;
  }
  const uint8_t v = st_.ob;  // an empty buffer reads its last byte again
  if (st_.obf) {
    st_.obf = 0;
    update_irq();  // the line drops, and rises again for the next byte: a new edge
    refill();
  }
  return v;
}

void I8042::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  if (port == 0x64) {
    st_.last_was_cmd = 1;
    controller_command(v);
  } else {
    st_.last_was_cmd = 0;
    if (st_.pending_cmd) {
      controller_data(v);
    } else {
      cmd() &= ~kCmdKbdOff;  // sending to the keyboard enables its interface
      keyboard_write(v);
    }
  }
  refill();
}

void I8042::emit_key(uint16_t set2, bool pressed) {
  if (!st_.kbd.scan_enabled) return;
  const bool e0 = set2 >> 8;
  const uint8_t code = static_cast<uint8_t>(set2);
  if (st_.kbd.set == 1) {
    if (e0) kbd_send(0xE0);
    kbd_send(static_cast<uint8_t>(i8042_translate(code) | (pressed ? 0 : 0x80)));
  } else {
    if (e0) kbd_send(0xE0);
    if (!pressed) kbd_send(0xF0);
    kbd_send(code);
  }
}

void I8042::key(Key k, bool pressed) {
  emit_key(key_set2(k), pressed);
  refill();
}

bool I8042::type_text(std::string_view text) {
  bool ok = true;
  for (char ch : text) {
    AsciiKey ak;
    if (!ascii_key(ch, ak)) {
      ok = false;
      continue;
    }
    if (ak.shift) emit_key(key_set2(Key::LeftShift), true);
    emit_key(key_set2(ak.key), true);
    emit_key(key_set2(ak.key), false);
    if (ak.shift) emit_key(key_set2(Key::LeftShift), false);
  }
  refill();
  return ok;
}

void I8042::inject_set2(const uint8_t* bytes, unsigned n) {
  if (!st_.kbd.scan_enabled) return;
  for (unsigned i = 0; i < n; i++) kbd_send(bytes[i]);
  refill();
}

void I8042::inject_set1(uint8_t code, bool e0) {
  // Find the set 2 byte the controller translates to this code.
  const uint8_t make = code & 0x7F;
  for (uint16_t s2 : kSet2) {  // the keys this keyboard has first
    if (static_cast<bool>(s2 >> 8) == e0 && i8042_translate(static_cast<uint8_t>(s2)) == make) {
      emit_key(s2, !(code & 0x80));
      refill();
      return;
    }
  }
  for (unsigned b = 1; b < 0x100; b++) {
    if (b == 0xF0 || b == 0xE0) continue;
    if (i8042_translate(static_cast<uint8_t>(b)) == make) {
      emit_key(static_cast<uint16_t>((e0 ? 0xE000 : 0) | b), !(code & 0x80));
      refill();
      return;
    }
  }
  host_.log(fmt::format("i8042: set 1 scan code {:#04x} has no set 2 equivalent", code));
}

void I8042::mouse_move(int dx, int dy, int dz, uint8_t buttons) {
  Mouse& m = st_.mouse;
  if (!m.enabled && !m.remote) return;  // a disabled mouse in stream mode reports nothing
  m.dx += dx;
  m.dy += dy;
  m.dz += dz;
  m.buttons = buttons & 7;
  if (!m.remote && m.enabled) {
    do {
      if (m.q.count + 4u > kQueue) break;
      mouse_packet();
    } while (m.dx || m.dy || m.dz);
  }
  refill();
}

void I8042::save(StateWriter& w) const {
  w.begin_section("i8042", 1);
  w.put(st_);
  w.end_section();
}

void I8042::load(StateReader& r) {
  if (r.open_section("i8042") != 1) throw StateError("i8042: unknown state version");
  r.get(st_);
}

}  // namespace kasou
