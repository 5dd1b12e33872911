// TCP connect probes for the health checkers (TCP_CHECK): a non-blocking connect per probe,
// watched by its own uv_poll handle for writability, answered with SO_ERROR. Thin by design
// (DESIGN.md style 8): socket, bind, connect, getsockopt and poll registration only; what the
// result means is decided in TypeScript (src/check/).
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace kts {

class ConnectProber : public Napi::ObjectWrap<ConnectProber> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ConnectProber(const Napi::CallbackInfo& info);
  ~ConnectProber() override;

  struct Probe;

 private:
  // connect(id, host, port, bindHost, bindPort) -> -1 (in progress: the callback answers) or
  // an errno (0 = connected) when the connect finished at once. Throws on bad arguments.
  Napi::Value Connect(const Napi::CallbackInfo& info);
  // cancel(id): closes the probe's socket; its callback is not called.
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  // close(): cancels every probe.
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value InFlight(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* arg);
  void Finish(Probe* p, int err);
  void Drop(Probe* p);
  void CloseAll();

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_;
  std::unordered_map<uint32_t, Probe*> probes_;
  bool hookAdded_ = false;
};

}  // namespace kts
