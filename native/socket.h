// One socket of the keepalived-ts addon: a file descriptor plus an optional uv_poll handle.
// Thin by design (DESIGN.md style 8): syscalls and poll registration only. Framing, header
// building, checksums and attribute parsing live in TypeScript.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "polled-fd.h"

namespace kts {

enum class Kind : int {
  kRaw4 = 0,     // AF_INET raw, protocol 112 (VRRP) or 51 (AH); IP_HDRINCL sends
  kRaw6 = 1,     // AF_INET6 raw, protocol 112; kernel checksum at offset 6
  kPacket = 2,   // AF_PACKET SOCK_RAW: gratuitous ARP frames out; with receiveEthertype, frames in
  kIcmp6 = 3,    // AF_INET6 raw ICMPv6: unsolicited neighbour advertisements out; receiveTypes in
  kNetlink = 4,  // AF_NETLINK, event subscription + requests
};

class Socket : public Napi::ObjectWrap<Socket>, private PolledFd {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Socket(const Napi::CallbackInfo& info);
  ~Socket() override;

 private:
  // JS methods
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  Napi::Value SetRecvBuffer(const Napi::CallbackInfo& info);
  Napi::Value GetRecvBuffer(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetLocalPort(const Napi::CallbackInfo& info);

  void OpenRaw4(Napi::Env env, const Napi::Object& opts);
  void OpenRaw6(Napi::Env env, const Napi::Object& opts, bool icmp);
  void OpenPacket(Napi::Env env, const Napi::Object& opts);
  void OpenNetlink(Napi::Env env, const Napi::Object& opts);
  void BindDevice(Napi::Env env, const Napi::Object& opts);
  void Membership(const Napi::CallbackInfo& info, bool add);
  void CheckOpen(Napi::Env env) const;

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void ReadReady();
  bool DeliverErrno(Napi::Env env, int err);
  void Deliver(Napi::Env env, const std::vector<napi_value>& args);

  Kind kind_ = Kind::kRaw4;
  int protocol_ = 0;
  Napi::FunctionReference callback_;
  std::vector<uint8_t> rbuf_;
  // One callback scope per readable wake-up (created on the first): each datagram is then a
  // plain call, and queued microtasks run once per wake-up instead of once per datagram.
  std::unique_ptr<Napi::AsyncContext> async_;
  bool inScope_ = false;
  // Property names of the receive metadata ["src", "dst", "ifindex", "ttl"], made once and held
  // in an array (Node 20 cannot reference a string directly): a key given as text is looked up
  // in V8's string table on every Set, a measurable share of a datagram's cost under a flood.
  Napi::ObjectReference keys_;
};

}  // namespace kts
