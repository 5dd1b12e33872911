// tcpSocket(): a TCP socket with SO_MARK / SO_BINDTODEVICE set, for Node to connect (tcp-socket.cc).
#pragma once

#include <napi.h>

namespace kts {

Napi::Value TcpSocket(const Napi::CallbackInfo& info);

}  // namespace kts
