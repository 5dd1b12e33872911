// tcpSocket(family, mark, device) -> fd: a non-blocking, unconnected TCP socket with SO_MARK
// (mark >= 0) and SO_BINDTODEVICE (device != "") set before anything else happens to it, for
// health checks whose connect must carry a firewall mark or leave through one interface
// (keepalived's TCP_CHECK fwmark / bind_if). Node's net.Socket cannot set either; it takes the
// descriptor (new Socket({ fd })) and connects it. Throws an errno-carrying Error; no fd leaks.
#include "tcp-socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "polled-fd.h"

namespace kts {

Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    throw Napi::TypeError::New(env, "tcpSocket(family 4|6, mark (-1 = none), device ('' = none))");
  int family = info[0].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
  int64_t mark = info[1].As<Napi::Number>().Int64Value();
  std::string dev = info[2].As<Napi::String>().Utf8Value();
  if (mark > 0xffffffffLL) throw Napi::RangeError::New(env, "mark must fit in 32 bits");
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) ThrowErrno(env, errno, "socket");
  if (mark >= 0) {
    unsigned int m = static_cast<unsigned int>(mark);
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) < 0) {
      int err = errno;
      ::close(fd);
      ThrowErrno(env, err, "setsockopt(SO_MARK)");
    }
  }
  if (!dev.empty()) {
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(), dev.size() + 1) < 0) {
      int err = errno;
      ::close(fd);
      ThrowErrno(env, err, "setsockopt(SO_BINDTODEVICE)");
    }
  }
  return Napi::Number::New(env, fd);
}

}  // namespace kts
