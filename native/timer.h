// A one-shot monotonic timer on a timerfd, polled by the event loop. libuv's own timers run on
// a millisecond loop clock and fire up to ~2 ms after their deadline (measured on this kernel
// for 0.3-1.6 s delays); a timerfd wakes epoll within microseconds, so protocol deadlines
// (Master_Down_Interval, adverts) are met as closely as keepalived's timerfd-based scheduler.
#pragma once

#include <napi.h>
#include <uv.h>

#include "polled-fd.h"

namespace kts {

class Timer : public Napi::ObjectWrap<Timer>, private PolledFd {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Timer(const Napi::CallbackInfo& info);  // new Timer(callback)
  ~Timer() override;

 private:
  Napi::Value Arm(const Napi::CallbackInfo& info);     // arm(delayMs): fire once after delayMs (replaces any earlier arm)
  Napi::Value Disarm(const Napi::CallbackInfo& info);  // disarm(): no callback until armed again
  Napi::Value Close(const Napi::CallbackInfo& info);   // close(): releases the descriptor; idempotent
  Napi::Value Unref(const Napi::CallbackInfo& info);   // unref(): an armed timer does not keep the loop alive

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Disarmed();  // stops polling and lets the JS object be collected

  Napi::FunctionReference callback_;
};

}  // namespace kts
