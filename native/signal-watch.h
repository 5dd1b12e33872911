// A signal watched through the event loop (uv_signal_t), for signals Node's process.on() has no
// name for: keepalived's realtime signals (JSON dump SIGRTMIN+2, STATS_CLEAR SIGRTMAX-1). With a
// handler installed the signal no longer takes its default action (termination).
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>

namespace kts {

class SignalWatch;

// Like PollBlock: the handle may outlive its owner while uv_close is in flight, so it lives in a
// calloc'd block freed by free() as the close callback; `handle` must stay the first member.
struct SignalBlock {
  uv_signal_t handle;
  SignalWatch* owner;
};
static_assert(offsetof(SignalBlock, handle) == 0, "free(handle) must free the block");

class SignalWatch : public Napi::ObjectWrap<SignalWatch> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SignalWatch(const Napi::CallbackInfo& info);  // new SignalWatch(signum, callback)
  ~SignalWatch() override;

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);  // close(): stops watching; idempotent

  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnEnvCleanup(void* arg);
  void CloseNow();

  napi_env env_;
  SignalBlock* block_ = nullptr;
  bool hookAdded_ = false;
  Napi::FunctionReference callback_;
};

}  // namespace kts
