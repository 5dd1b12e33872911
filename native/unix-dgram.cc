// Unix datagram sending for syslog (/dev/log) and sd_notify (NOTIFY_SOCKET): Node has no
// AF_UNIX SOCK_DGRAM. Three synchronous calls on a plain fd; the socket is non-blocking, so a
// full receiver makes send() fail with EAGAIN instead of stalling the event loop. A path that
// starts with '@' names a Linux abstract socket (the '@' becomes the leading NUL byte).
#include "unix-dgram.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kts {
namespace {

Napi::Value ErrnoResult(Napi::Env env, int err) {
  return Napi::Number::New(env, err);
}

// unixDgramOpen(path) -> fd >= 0, or -errno.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) return ErrnoResult(env, -ENAMETOOLONG);
  std::memcpy(sa.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path[0] == '@') {
    sa.sun_path[0] = '\0';
  } else {
    len += 1;  // the terminating NUL of a filesystem path
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ErrnoResult(env, -errno);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
    int err = errno;
    close(fd);
    return ErrnoResult(env, -err);
  }
  return Napi::Number::New(env, fd);
}

// unixDgramSend(fd, buffer) -> 0, or -errno (EAGAIN: the receiver's queue is full).
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) throw Napi::TypeError::New(env, "(fd, buffer) expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  ssize_t n;
  do {
    n = send(fd, buf.Data(), buf.Length(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return ErrnoResult(env, n < 0 ? -errno : 0);
}

// unixDgramClose(fd).
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "fd expected");
  close(info[0].As<Napi::Number>().Int32Value());
  return env.Undefined();
}

}  // namespace

void DefineUnixDgram(Napi::Env env, Napi::Object exports) {
  exports.Set("unixDgramOpen", Napi::Function::New(env, Open, "unixDgramOpen"));
  exports.Set("unixDgramSend", Napi::Function::New(env, Send, "unixDgramSend"));
  exports.Set("unixDgramClose", Napi::Function::New(env, Close, "unixDgramClose"));
}

}  // namespace kts
