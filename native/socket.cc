// Socket implementation: open/configure, send, uv_poll driven receive with recvmsg control
// messages, close. Every failing syscall throws a JS Error carrying `code` ('EPERM'),
// `errno` (positive number) and `syscall`.
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace kts {

namespace {

// Receive buffer: larger than any IPv4/IPv6 datagram and any netlink message the kernel
// sends in one skb (dumps are sized to fit the reader's buffer, events are small).
// RFC 5798 5.1.1.4 / RFC 3768: IP protocol number assigned to VRRP.
constexpr int kProtoVrrp = 112;

constexpr size_t kRecvBufferBytes = 65536 + 4096;
// Datagrams read per poll wake-up before yielding to the loop, so one busy socket cannot
// starve timers (a VRRP advert deadline must not slip behind a netlink storm).
constexpr int kMaxReadsPerWake = 64;

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError e = Napi::TypeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG"));
  throw e;
}

bool Has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}

int32_t IntOpt(const Napi::Object& o, const char* key, int32_t dflt) {
  if (!Has(o, key)) return dflt;
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) ThrowType(o.Env(), std::string("option ") + key + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

bool BoolOpt(const Napi::Object& o, const char* key, bool dflt) {
  if (!Has(o, key)) return dflt;
  return o.Get(key).ToBoolean().Value();
}

std::string StrOpt(const Napi::Object& o, const char* key) {
  if (!Has(o, key)) return std::string();
  Napi::Value v = o.Get(key);
  if (!v.IsString()) ThrowType(o.Env(), std::string("option ") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

in_addr ParseV4(Napi::Env env, const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) ThrowType(env, "not an IPv4 address: " + text);
  return a;
}

in6_addr ParseV6(Napi::Env env, const std::string& text) {
  in6_addr a{};
  if (inet_pton(AF_INET6, text.c_str(), &a) != 1) ThrowType(env, "not an IPv6 address: " + text);
  return a;
}

std::string TextV4(const in_addr& a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string TextV6(const in6_addr& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  return buf;
}

void SetInt(Napi::Env env, int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) ThrowErrno(env, errno, what);
}

// Closes the descriptor if the constructor throws half way through configuring it.
struct FdGuard {
  int& fd;
  bool armed = true;
  ~FdGuard() {
    if (armed && fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

std::string Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) ThrowType(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

}  // namespace

Napi::Function Socket::Define(Napi::Env env) {
  return DefineClass(env, "Socket",
                     {
                         InstanceMethod<&Socket::Start>("start"),
                         InstanceMethod<&Socket::Stop>("stop"),
                         InstanceMethod<&Socket::Close>("close"),
                         InstanceMethod<&Socket::Ref>("ref"),
                         InstanceMethod<&Socket::Unref>("unref"),
                         InstanceMethod<&Socket::Send>("send"),
                         InstanceMethod<&Socket::AddMembership>("addMembership"),
                         InstanceMethod<&Socket::DropMembership>("dropMembership"),
                         InstanceMethod<&Socket::SetRecvBuffer>("setRecvBuffer"),
                         InstanceMethod<&Socket::GetRecvBuffer>("getRecvBuffer"),
                         InstanceAccessor<&Socket::GetFd>("fd"),
                         InstanceMethod<&Socket::GetLocalPort>("localPort"),
                     });
}

// new Socket(kind, options)
Socket::Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info), PolledFd(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowType(env, "kind must be a number");
  Napi::Object opts = info.Length() >= 2 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  int kind = info[0].As<Napi::Number>().Int32Value();
  switch (kind) {
    case static_cast<int>(Kind::kRaw4):
      OpenRaw4(env, opts);
      break;
    case static_cast<int>(Kind::kRaw6):
      OpenRaw6(env, opts, false);
      break;
    case static_cast<int>(Kind::kIcmp6):
      OpenRaw6(env, opts, true);
      break;
    case static_cast<int>(Kind::kPacket):
      OpenPacket(env, opts);
      break;
    case static_cast<int>(Kind::kNetlink):
      OpenNetlink(env, opts);
      break;
    default:
      ThrowType(env, "unknown socket kind " + std::to_string(kind));
  }
  kind_ = static_cast<Kind>(kind);
  // Closing on environment teardown (worker exit) keeps the loop free of our handles, so the
  // thread's uv_loop_close succeeds.
  AddCleanupHook();
}

Socket::~Socket() {
  // PolledFd closes the descriptor. The async context is released only from JS (Close): a
  // finalizer may run when the environment is already going away.
  (void)async_.release();
}

void Socket::BindDevice(Napi::Env env, const Napi::Object& opts) {
  std::string dev = StrOpt(opts, "device");
  if (dev.empty()) return;
  if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(), dev.size() + 1) < 0)
    ThrowErrno(env, errno, "setsockopt(SO_BINDTODEVICE)");
}

void Socket::OpenRaw4(Napi::Env env, const Napi::Object& opts) {
  protocol_ = IntOpt(opts, "protocol", kProtoVrrp);
  fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_);
  if (fd_ < 0) ThrowErrno(env, errno, "socket(AF_INET, SOCK_RAW)");
  FdGuard guard{fd_};
  // keepalived builds the IPv4 header itself (TOS 0xc0, TTL, ID); the kernel fills in the
  // header checksum and total length.
  if (BoolOpt(opts, "hdrincl", true)) SetInt(env, fd_, IPPROTO_IP, IP_HDRINCL, 1, "setsockopt(IP_HDRINCL)");
  SetInt(env, fd_, IPPROTO_IP, IP_PKTINFO, 1, "setsockopt(IP_PKTINFO)");
  SetInt(env, fd_, IPPROTO_IP, IP_RECVTTL, 1, "setsockopt(IP_RECVTTL)");
  SetInt(env, fd_, IPPROTO_IP, IP_MULTICAST_LOOP, BoolOpt(opts, "multicastLoop", false) ? 1 : 0,
         "setsockopt(IP_MULTICAST_LOOP)");
  // Only groups this socket joined, not every group any socket on the host joined (Linux
  // default IP_MULTICAST_ALL=1); keepalived turns it off too. Best effort on old kernels.
  int all = BoolOpt(opts, "multicastAll", false) ? 1 : 0;
  setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &all, sizeof all);
  int ifindex = IntOpt(opts, "multicastIfindex", 0);
  if (ifindex > 0) {
    ip_mreqn m{};
    m.imr_ifindex = ifindex;
    if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0) ThrowErrno(env, errno, "setsockopt(IP_MULTICAST_IF)");
  }
  BindDevice(env, opts);
  std::string src = StrOpt(opts, "bindAddress");
  if (!src.empty()) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = ParseV4(env, src);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) ThrowErrno(env, errno, "bind");
  }
  int rcv = IntOpt(opts, "recvBuffer", 0);
  guard.armed = false;
  if (rcv > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  rbuf_.resize(kRecvBufferBytes);
}

void Socket::OpenRaw6(Napi::Env env, const Napi::Object& opts, bool icmp) {
  protocol_ = icmp ? IPPROTO_ICMPV6 : IntOpt(opts, "protocol", kProtoVrrp);
  fd_ = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_);
  if (fd_ < 0) ThrowErrno(env, errno, "socket(AF_INET6, SOCK_RAW)");
  FdGuard guard{fd_};
  // An ICMPv6 socket is send-only unless `receiveTypes` names the ICMPv6 types it reads.
  bool icmpReceives = false;
  if (icmp) {
    // Block every ICMPv6 type but the ones asked for, so nothing else queues on the socket.
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    if (Has(opts, "receiveTypes")) {
      Napi::Value v = opts.Get("receiveTypes");
      if (!v.IsArray()) ThrowType(env, "option receiveTypes must be an array of ICMPv6 types");
      Napi::Array types = v.As<Napi::Array>();
      for (uint32_t i = 0; i < types.Length(); i++) {
        Napi::Value t = types.Get(i);
        if (!t.IsNumber()) ThrowType(env, "option receiveTypes must be an array of ICMPv6 types");
        int type = t.As<Napi::Number>().Int32Value();
        if (type < 0 || type > 255) ThrowType(env, "ICMPv6 type out of range");
        ICMP6_FILTER_SETPASS(type, &filter);
        icmpReceives = true;
      }
    }
    if (setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0)
      ThrowErrno(env, errno, "setsockopt(ICMP6_FILTER)");
    if (icmpReceives) {
      SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)");
      SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)");
    }
    // RFC 4861 7.1.2: neighbour discovery packets must carry hop limit 255.
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, IntOpt(opts, "unicastHops", 255), "setsockopt(IPV6_UNICAST_HOPS)");
  } else {
    // RFC 5798 5.2.8: the VRRP checksum covers an IPv6 pseudo-header; the kernel computes it
    // on send and drops received packets whose checksum is wrong.
    int offset = IntOpt(opts, "checksumOffset", 6);
    if (offset >= 0) SetInt(env, fd_, IPPROTO_IPV6, IPV6_CHECKSUM, offset, "setsockopt(IPV6_CHECKSUM)");
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)");
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)");
    int uhops = IntOpt(opts, "unicastHops", -1);
    if (uhops >= 0) SetInt(env, fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, uhops, "setsockopt(IPV6_UNICAST_HOPS)");
  }
  // RFC 5798 5.1.2.3: hop limit 255 so receivers can reject off-link senders.
  SetInt(env, fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, IntOpt(opts, "multicastHops", 255), "setsockopt(IPV6_MULTICAST_HOPS)");
  SetInt(env, fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, BoolOpt(opts, "multicastLoop", false) ? 1 : 0,
         "setsockopt(IPV6_MULTICAST_LOOP)");
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif
  // As IP_MULTICAST_ALL above (Linux >= 4.20 for IPv6; ignored where unsupported).
  int all = BoolOpt(opts, "multicastAll", false) ? 1 : 0;
  setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &all, sizeof all);
  int ifindex = IntOpt(opts, "multicastIfindex", 0);
  if (ifindex > 0) SetInt(env, fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "setsockopt(IPV6_MULTICAST_IF)");
  BindDevice(env, opts);
  std::string src = StrOpt(opts, "bindAddress");
  if (!src.empty()) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = ParseV6(env, src);
    sa.sin6_scope_id = static_cast<uint32_t>(IntOpt(opts, "scopeId", ifindex));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) ThrowErrno(env, errno, "bind");
  }
  int rcv = IntOpt(opts, "recvBuffer", 0);
  guard.armed = false;
  if (rcv > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  rbuf_.resize(icmp && !icmpReceives ? 0 : kRecvBufferBytes);
}

void Socket::OpenPacket(Napi::Env env, const Napi::Object& opts) {
  // Without `receiveEthertype` (protocol 0) the socket receives nothing; it only sends complete
  // Ethernet frames. With it, the socket reads the frames of that EtherType on `ifindex`
  // (0: every interface), our own outgoing copies included (meta.pktType 4, PACKET_OUTGOING).
  int ethertype = IntOpt(opts, "receiveEthertype", 0);
  if (ethertype < 0 || ethertype > 0xffff) ThrowType(env, "receiveEthertype out of range");
  protocol_ = ethertype;
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(static_cast<uint16_t>(ethertype)));
  if (fd_ < 0) ThrowErrno(env, errno, "socket(AF_PACKET, SOCK_RAW)");
  if (ethertype == 0) return;
  FdGuard guard{fd_};
  sockaddr_ll sa{};
  sa.sll_family = AF_PACKET;
  sa.sll_protocol = htons(static_cast<uint16_t>(ethertype));
  sa.sll_ifindex = IntOpt(opts, "ifindex", 0);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) ThrowErrno(env, errno, "bind(AF_PACKET)");
  guard.armed = false;
  rbuf_.resize(kRecvBufferBytes);
}

void Socket::OpenNetlink(Napi::Env env, const Napi::Object& opts) {
  protocol_ = IntOpt(opts, "protocol", NETLINK_ROUTE);
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_);
  if (fd_ < 0) ThrowErrno(env, errno, "socket(AF_NETLINK)");
  FdGuard guard{fd_};
  int rcv = IntOpt(opts, "recvBuffer", 0);
  if (rcv > 0) {
    // SO_RCVBUFFORCE (CAP_NET_ADMIN) ignores rmem_max; fall back to the capped SO_RCVBUF.
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0 &&
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) < 0)
      ThrowErrno(env, errno, "setsockopt(SO_RCVBUF)");
  }
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = static_cast<uint32_t>(IntOpt(opts, "groups", 0));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) ThrowErrno(env, errno, "bind(AF_NETLINK)");
  guard.armed = false;
  rbuf_.resize(kRecvBufferBytes);
}

void Socket::CheckOpen(Napi::Env env) const {
  if (fd_ < 0) {
    Napi::Error e = Napi::Error::New(env, "socket is closed");
    e.Set("code", Napi::String::New(env, "ERR_SOCKET_CLOSED"));
    throw e;
  }
}

// start(callback): callback(buffer, meta) per datagram; callback(null, {code, errno}) on a
// receive error. ENOBUFS on netlink means the kernel dropped events: meta.overflow = true.
Napi::Value Socket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowType(env, "callback must be a function");
  if (rbuf_.empty()) ThrowType(env, "this socket kind is send-only");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (polling_) return env.Undefined();
  StartPolling(env, &Socket::OnPoll);
  // Keep the JS object alive while the kernel may deliver to it.
  Napi::ObjectWrap<Socket>::Ref();
  return env.Undefined();
}

Napi::Value Socket::Stop(const Napi::CallbackInfo& info) {
  if (polling_) {
    StopPolling();
    Napi::ObjectWrap<Socket>::Unref();
  }
  return info.Env().Undefined();
}

Napi::Value Socket::Close(const Napi::CallbackInfo& info) {
  bool wasPolling = polling_;
  CloseNow();
  if (wasPolling) Napi::ObjectWrap<Socket>::Unref();
  callback_.Reset();
  if (!inScope_) async_.reset();
  return info.Env().Undefined();
}

Napi::Value Socket::Ref(const Napi::CallbackInfo& info) {
  SetRefed(true);
  return info.Env().Undefined();
}

Napi::Value Socket::Unref(const Napi::CallbackInfo& info) {
  SetRefed(false);
  return info.Env().Undefined();
}

// send(buffer, ...) -> bytes sent. Per kind:
//   raw4:    send(datagram incl. IPv4 header, dst, dontRoute?)
//   raw6:    send(payload, dst, {ifindex?, src?, hopLimit?})
//   icmp6:   same as raw6
//   packet:  send(ethernet frame, ifindex)   (destination MAC and ethertype read from the frame)
//   netlink: send(message)                  (to the kernel, pid 0)
Napi::Value Socket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (info.Length() < 1 || !info[0].IsTypedArray()) ThrowType(env, "data must be a Uint8Array");
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  const uint8_t* bytes = data.Data();
  size_t len = data.ByteLength();
  ssize_t n = -1;
  switch (kind_) {
    case Kind::kRaw4: {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr = ParseV4(env, Arg(info, 1, "dst"));
      int flags = info.Length() > 2 && info[2].ToBoolean().Value() ? MSG_DONTROUTE : 0;
      n = ::sendto(fd_, bytes, len, flags, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      if (n < 0) ThrowErrno(env, errno, "sendto");
      break;
    }
    case Kind::kRaw6:
    case Kind::kIcmp6: {
      Napi::Object o = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
      int ifindex = IntOpt(o, "ifindex", 0);
      int hopLimit = IntOpt(o, "hopLimit", -1);
      std::string src = StrOpt(o, "src");
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_addr = ParseV6(env, Arg(info, 1, "dst"));
      sa.sin6_scope_id = static_cast<uint32_t>(ifindex);
      iovec iov{const_cast<uint8_t*>(bytes), len};
      alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
      std::memset(control, 0, sizeof control);
      msghdr msg{};
      msg.msg_name = &sa;
      msg.msg_namelen = sizeof sa;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      size_t clen = 0;
      cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
      if (ifindex > 0 || !src.empty()) {
        // IPV6_PKTINFO picks the source address (keepalived: the link-local or
        // unicast_src_ip) and the outgoing interface for this one datagram.
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo pi{};
        if (!src.empty()) pi.ipi6_addr = ParseV6(env, src);
        pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
        std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        clen += CMSG_SPACE(sizeof(in6_pktinfo));
        c = reinterpret_cast<cmsghdr*>(control + clen);
      }
      if (hopLimit >= 0) {
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_HOPLIMIT;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &hopLimit, sizeof hopLimit);
        clen += CMSG_SPACE(sizeof(int));
      }
      msg.msg_controllen = clen;
      if (clen == 0) msg.msg_control = nullptr;
      n = ::sendmsg(fd_, &msg, 0);
      if (n < 0) ThrowErrno(env, errno, "sendmsg");
      break;
    }
    case Kind::kPacket: {
      if (info.Length() < 2 || !info[1].IsNumber()) ThrowType(env, "ifindex must be a number");
      if (len < 14) ThrowType(env, "an Ethernet frame has at least 14 bytes");
      sockaddr_ll sa{};
      sa.sll_family = AF_PACKET;
      sa.sll_ifindex = info[1].As<Napi::Number>().Int32Value();
      sa.sll_protocol = static_cast<uint16_t>(bytes[12] | (bytes[13] << 8));  // already network order
      sa.sll_halen = 6;
      std::memcpy(sa.sll_addr, bytes, 6);
      n = ::sendto(fd_, bytes, len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      if (n < 0) ThrowErrno(env, errno, "sendto(AF_PACKET)");
      break;
    }
    case Kind::kNetlink: {
      sockaddr_nl sa{};
      sa.nl_family = AF_NETLINK;
      n = ::sendto(fd_, bytes, len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      if (n < 0) ThrowErrno(env, errno, "sendto(AF_NETLINK)");
      break;
    }
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

void Socket::Membership(const Napi::CallbackInfo& info, bool add) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  switch (kind_) {
    case Kind::kRaw4: {
      // ip_mreqn by ifindex: joins on exactly that interface, whatever its addresses.
      ip_mreqn m{};
      m.imr_multiaddr = ParseV4(env, Arg(info, 0, "group"));
      m.imr_ifindex = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
      if (setsockopt(fd_, IPPROTO_IP, add ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m) < 0)
        ThrowErrno(env, errno, add ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IP_DROP_MEMBERSHIP)");
      break;
    }
    case Kind::kRaw6:
    case Kind::kIcmp6: {
      ipv6_mreq m{};
      m.ipv6mr_multiaddr = ParseV6(env, Arg(info, 0, "group"));
      m.ipv6mr_interface = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
      if (setsockopt(fd_, IPPROTO_IPV6, add ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m, sizeof m) < 0)
        ThrowErrno(env, errno, add ? "setsockopt(IPV6_ADD_MEMBERSHIP)" : "setsockopt(IPV6_DROP_MEMBERSHIP)");
      break;
    }
    case Kind::kNetlink: {
      if (info.Length() < 1 || !info[0].IsNumber()) ThrowType(env, "netlink group must be a number");
      int group = info[0].As<Napi::Number>().Int32Value();
      if (setsockopt(fd_, SOL_NETLINK, add ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group, sizeof group) < 0)
        ThrowErrno(env, errno, add ? "setsockopt(NETLINK_ADD_MEMBERSHIP)" : "setsockopt(NETLINK_DROP_MEMBERSHIP)");
      break;
    }
    case Kind::kPacket:
      ThrowType(env, "AF_PACKET sockets have no group membership");
  }
}

Napi::Value Socket::AddMembership(const Napi::CallbackInfo& info) {
  Membership(info, true);
  return info.Env().Undefined();
}

Napi::Value Socket::DropMembership(const Napi::CallbackInfo& info) {
  Membership(info, false);
  return info.Env().Undefined();
}

Napi::Value Socket::SetRecvBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowType(env, "size must be a number");
  int v = info[0].As<Napi::Number>().Int32Value();
  bool force = info.Length() < 2 || info[1].ToBoolean().Value();
  if (!(force && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0)) {
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0) ThrowErrno(env, errno, "setsockopt(SO_RCVBUF)");
  }
  return env.Undefined();
}

Napi::Value Socket::GetRecvBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, &l) < 0) ThrowErrno(env, errno, "getsockopt(SO_RCVBUF)");
  return Napi::Number::New(env, v);
}

Napi::Value Socket::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

// Netlink: the port id the kernel assigned (nl_pid), used to match replies to requests.
Napi::Value Socket::GetLocalPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (kind_ != Kind::kNetlink) ThrowType(env, "localPort() is for netlink sockets");
  sockaddr_nl sa{};
  socklen_t l = sizeof sa;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &l) < 0) ThrowErrno(env, errno, "getsockname");
  return Napi::Number::New(env, sa.nl_pid);
}

void Socket::OnPoll(uv_poll_t* handle, int status, int events) {
  Socket* self = static_cast<Socket*>(OwnerOf(handle));
  if (self == nullptr || self->fd_ < 0) return;
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  if (status == UV_EBADF && self->fd_ >= 0) {
    // libuv reports a pending socket error (POLLERR, e.g. netlink ENOBUFS) as EBADF and stops
    // the handle. Our descriptor is fine: fetch and clear the error, drain, poll again.
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) self->DeliverErrno(env, err);
    if (self->fd_ >= 0 && self->polling_) self->ReadReady();
    self->RestartPolling(&Socket::OnPoll);
    return;
  }
  if (status < 0) {
    Napi::Object meta = Napi::Object::New(env);
    meta.Set("code", Napi::String::New(env, uv_err_name(status)));
    meta.Set("errno", Napi::Number::New(env, -status));
    self->Deliver(env, {env.Null(), meta});
    return;
  }
  if (events & UV_READABLE) {
    // A flood of datagrams (issue 10: 20,000/s) costs one callback scope per wake-up, not one
    // MakeCallback (async hooks, tick and microtask processing) per datagram.
    if (!self->async_) self->async_ = std::make_unique<Napi::AsyncContext>(env, "kts:socket");
    {
      Napi::CallbackScope cs(env, *self->async_);
      self->inScope_ = true;
      self->ReadReady();
      self->inScope_ = false;
    }
    if (self->fd_ < 0) self->async_.reset();
  }
}

void Socket::Deliver(Napi::Env env, const std::vector<napi_value>& args) {
  if (callback_.IsEmpty()) return;
  try {
    if (inScope_) callback_.Call(Value(), args);
    else callback_.MakeCallback(Value(), args);
  } catch (const Napi::Error& e) {
    // An exception in the JS handler belongs to the process, like any event-emitter throw.
    napi_fatal_exception(env, e.Value());
  }
}

// Reports a receive-side error to JS; returns whether reading should go on (overflow).
bool Socket::DeliverErrno(Napi::Env env, int err) {
  Napi::HandleScope scope(env);
  Napi::Object meta = Napi::Object::New(env);
  meta.Set("code", Napi::String::New(env, uv_err_name(-err)));
  meta.Set("errno", Napi::Number::New(env, err));
  // Netlink ENOBUFS: the kernel dropped messages because our queue was full. The socket stays
  // usable; the reader must re-read (dump) the state it may have missed.
  bool overflow = err == ENOBUFS && kind_ == Kind::kNetlink;
  meta.Set("overflow", Napi::Boolean::New(env, overflow));
  Deliver(env, {env.Null(), meta});
  return overflow;
}

void Socket::ReadReady() {
  Napi::Env env(env_);
  if (keys_.IsEmpty()) {
    Napi::Array a = Napi::Array::New(env, 4);
    const char* names[] = {"src", "dst", "ifindex", "ttl"};
    for (uint32_t i = 0; i < 4; i++) a.Set(i, Napi::String::New(env, names[i]));
    keys_ = Napi::Persistent(a.As<Napi::Object>());
  }
  Napi::Object keys = keys_.Value();
  const napi_value kSrc = keys.Get(0u), kDst = keys.Get(1u), kIfindex = keys.Get(2u), kTtl = keys.Get(3u);
  for (int i = 0; i < kMaxReadsPerWake && fd_ >= 0 && polling_; i++) {
    Napi::HandleScope scope(env);
    sockaddr_storage from{};
    alignas(cmsghdr) uint8_t control[512];
    iovec iov{rbuf_.data(), rbuf_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR) continue;
      if (DeliverErrno(env, err)) continue;
      return;
    }
    Napi::Object meta = Napi::Object::New(env);
    if (msg.msg_flags & MSG_TRUNC) meta.Set("truncated", Napi::Boolean::New(env, true));
    if (kind_ == Kind::kRaw4) {
      const sockaddr_in* s = reinterpret_cast<const sockaddr_in*>(&from);
      meta.Set(kSrc, Napi::String::New(env, TextV4(s->sin_addr)));
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IP) continue;
        if (c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          meta.Set(kDst, Napi::String::New(env, TextV4(pi.ipi_addr)));
          meta.Set(kIfindex, Napi::Number::New(env, pi.ipi_ifindex));
        } else if (c->cmsg_type == IP_TTL) {
          int ttl;
          std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
          meta.Set(kTtl, Napi::Number::New(env, ttl));
        }
      }
    } else if (kind_ == Kind::kRaw6 || kind_ == Kind::kIcmp6) {
      const sockaddr_in6* s = reinterpret_cast<const sockaddr_in6*>(&from);
      meta.Set(kSrc, Napi::String::New(env, TextV6(s->sin6_addr)));
      meta.Set("scopeId", Napi::Number::New(env, s->sin6_scope_id));
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          meta.Set(kDst, Napi::String::New(env, TextV6(pi.ipi6_addr)));
          meta.Set(kIfindex, Napi::Number::New(env, pi.ipi6_ifindex));
        } else if (c->cmsg_type == IPV6_HOPLIMIT) {
          int hl;
          std::memcpy(&hl, CMSG_DATA(c), sizeof hl);
          meta.Set(kTtl, Napi::Number::New(env, hl));
        }
      }
    } else if (kind_ == Kind::kPacket) {
      const sockaddr_ll* s = reinterpret_cast<const sockaddr_ll*>(&from);
      meta.Set(kIfindex, Napi::Number::New(env, s->sll_ifindex));
      meta.Set("pktType", Napi::Number::New(env, s->sll_pkttype));
    } else if (kind_ == Kind::kNetlink) {
      const sockaddr_nl* s = reinterpret_cast<const sockaddr_nl*>(&from);
      meta.Set("pid", Napi::Number::New(env, s->nl_pid));
      meta.Set("groups", Napi::Number::New(env, s->nl_groups));
    }
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::Copy(env, rbuf_.data(), static_cast<size_t>(n));
    Deliver(env, {buf, meta});
  }
}

}  // namespace kts
