// FdSource: non-blocking reads from a host file descriptor.
#include "devices/char_sink.h"

#include <sys/select.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kasou {

static_assert(sizeof(termios) <= 128, "saved_termios_ is too small");

FdSource::FdSource(int fd) : fd_(fd) {
  if (isatty(fd_) && isatty(1)) {  // an interactive console, not a test harness
    termios t;
    if (tcgetattr(fd_, &t) == 0) {
      std::memcpy(saved_termios_, &t, sizeof t);
      restore_ = true;
      t.c_lflag &= ~(ICANON | ECHO);
      t.c_iflag &= ~(ICRNL | IXON);
      t.c_cc[VMIN] = 1;
      t.c_cc[VTIME] = 0;
      tcsetattr(fd_, TCSANOW, &t);
    }
  }
}

FdSource::~FdSource() {
  if (restore_) {
    termios t;
    std::memcpy(&t, saved_termios_, sizeof t);
    tcsetattr(fd_, TCSANOW, &t);
  }
}

int FdSource::read() {
  if (pos_ < len_) return buf_[pos_++];
  if (eof_ || fd_ < 0) return -1;
  // Non-blocking without touching the descriptor's flags (they are shared with
  // the parent shell): check readiness first.
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd_, &set);
  timeval tv{0, 0};
  int r = select(fd_ + 1, &set, nullptr, nullptr, &tv);
  if (r <= 0) {
    if (r < 0 && errno != EINTR) eof_ = true;
    return -1;
  }
  ssize_t n = ::read(fd_, buf_, sizeof buf_);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof_ = true;
    return -1;
  }
  pos_ = 0;
  len_ = static_cast<unsigned>(n);
  return buf_[pos_++];
}

}  // namespace kasou
