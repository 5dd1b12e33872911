#include "connect-probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "polled-fd.h"

namespace kts {

// The poll handle is the first member so the block can be released by free() as uv_close's
// callback (see polled-fd.cc: the close may complete after the addon is unloaded).
struct ConnectProber::Probe {
  uv_poll_t handle;
  ConnectProber* owner;
  uint32_t id;
  int fd;
};

namespace {

// Fills `ss` from a textual IPv4 or IPv6 address and a port; false when it is neither.
bool ToSockaddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof *ss);
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, host.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, host.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

Napi::Function ConnectProber::Define(Napi::Env env) {
  return DefineClass(env, "ConnectProber",
                     {
                         InstanceMethod<&ConnectProber::Connect>("connect"),
                         InstanceMethod<&ConnectProber::Cancel>("cancel"),
                         InstanceMethod<&ConnectProber::Close>("close"),
                         InstanceMethod<&ConnectProber::InFlight>("inFlight"),
                     });
}

// new ConnectProber(callback(id, errno)) : errno 0 = connected.
ConnectProber::ConnectProber(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ConnectProber>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr) throw Napi::Error::New(env, "no event loop");
  async_ = std::make_unique<Napi::AsyncContext>(env, "ConnectProber");
  if (napi_add_env_cleanup_hook(env, &ConnectProber::OnEnvCleanup, this) == napi_ok) hookAdded_ = true;
}

ConnectProber::~ConnectProber() {
  CloseAll();
  if (hookAdded_) napi_remove_env_cleanup_hook(env_, &ConnectProber::OnEnvCleanup, this);
  (void)async_.release();
}

void ConnectProber::OnEnvCleanup(void* arg) {
  auto* self = static_cast<ConnectProber*>(arg);
  self->hookAdded_ = false;
  self->CloseAll();
}

void ConnectProber::Drop(Probe* p) {
  probes_.erase(p->id);
  if (p->fd >= 0) ::close(p->fd);
  p->fd = -1;
  p->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), reinterpret_cast<uv_close_cb>(&std::free));
}

void ConnectProber::CloseAll() {
  while (!probes_.empty()) Drop(probes_.begin()->second);
}

Napi::Value ConnectProber::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "connect(id, host, port, bindHost?, bindPort?)");
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  std::string host = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  std::string bindHost = info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : std::string();
  int bindPort = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().Int32Value() : 0;
  sockaddr_storage dst;
  socklen_t dlen;
  if (!ToSockaddr(host, port, &dst, &dlen)) throw Napi::TypeError::New(env, "not an IP address: " + host);
  if (probes_.count(id) != 0) throw Napi::Error::New(env, "probe id in use");

  int fd = ::socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) ThrowErrno(env, errno, "socket");
  if (!bindHost.empty() || bindPort != 0) {
    sockaddr_storage src;
    socklen_t slen;
    if (!ToSockaddr(bindHost.empty() ? (dst.ss_family == AF_INET ? "0.0.0.0" : "::") : bindHost, bindPort, &src, &slen)) {
      ::close(fd);
      throw Napi::TypeError::New(env, "not an IP address: " + bindHost);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), slen) < 0) {
      int err = errno;
      ::close(fd);
      ThrowErrno(env, err, "bind");
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), dlen) == 0) {
    ::close(fd);
    return Napi::Number::New(env, 0);
  }
  if (errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return Napi::Number::New(env, err);
  }
  auto* p = static_cast<Probe*>(std::calloc(1, sizeof(Probe)));
  if (p == nullptr) {
    ::close(fd);
    ThrowErrno(env, ENOMEM, "calloc");
  }
  p->owner = this;
  p->id = id;
  p->fd = fd;
  int rc = uv_poll_init(loop_, &p->handle, fd);
  if (rc == 0) rc = uv_poll_start(&p->handle, UV_WRITABLE, &ConnectProber::OnPoll);
  if (rc < 0) {
    ::close(fd);
    if (uv_is_active(reinterpret_cast<uv_handle_t*>(&p->handle)) || p->handle.type == UV_POLL)
      uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), reinterpret_cast<uv_close_cb>(&std::free));
    else
      std::free(p);
    ThrowErrno(env, -rc, "uv_poll_start");
  }
  probes_[id] = p;
  return Napi::Number::New(env, -1);
}

void ConnectProber::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* p = reinterpret_cast<Probe*>(handle);
  ConnectProber* self = p->owner;
  if (self == nullptr) return;
  // libuv reports POLLERR (a refused or reset connect) as status UV_EBADF with the descriptor
  // still open: SO_ERROR holds the real reason either way.
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0 && status < 0) err = -status;
  self->Finish(p, err);
}

void ConnectProber::Finish(Probe* p, int err) {
  uint32_t id = p->id;
  Drop(p);
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  callback_.MakeCallback(env.Global(), {Napi::Number::New(env, id), Napi::Number::New(env, err)}, *async_);
}

Napi::Value ConnectProber::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "id must be a number");
  auto it = probes_.find(info[0].As<Napi::Number>().Uint32Value());
  if (it != probes_.end()) Drop(it->second);
  return env.Undefined();
}

Napi::Value ConnectProber::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  return info.Env().Undefined();
}

Napi::Value ConnectProber::InFlight(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(probes_.size()));
}

}  // namespace kts
