// keepalived-ts native addon entry point. Context-aware (Node-API modules are loaded once
// per environment, so worker threads get their own copy) and free of static JS state.
#include <napi.h>
#include <net/if.h>

#include <cerrno>

#include "connect-probe.h"
#include "signal-watch.h"
#include "socket.h"
#include "tcp-socket.h"
#include "timer.h"
#include "unix-dgram.h"

namespace {

// ifNameToIndex(name) -> ifindex, or 0 when the interface does not exist.
Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "name must be a string");
  unsigned idx = if_nametoindex(info[0].As<Napi::String>().Utf8Value().c_str());
  return Napi::Number::New(env, idx);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Socket", kts::Socket::Define(env));
  exports.Set("Timer", kts::Timer::Define(env));
  exports.Set("SignalWatch", kts::SignalWatch::Define(env));
  exports.Set("ConnectProber", kts::ConnectProber::Define(env));
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex, "ifNameToIndex"));
  exports.Set("tcpSocket", Napi::Function::New(env, kts::TcpSocket, "tcpSocket"));
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("raw4", static_cast<int>(kts::Kind::kRaw4));
  kinds.Set("raw6", static_cast<int>(kts::Kind::kRaw6));
  kinds.Set("packet", static_cast<int>(kts::Kind::kPacket));
  kinds.Set("icmp6", static_cast<int>(kts::Kind::kIcmp6));
  kinds.Set("netlink", static_cast<int>(kts::Kind::kNetlink));
  exports.Set("kinds", kinds);
  kts::DefineUnixDgram(env, exports);
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(keepalived_ts_native, Init)
