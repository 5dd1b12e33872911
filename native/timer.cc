#include "timer.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>

namespace kts {

Napi::Function Timer::Define(Napi::Env env) {
  return DefineClass(env, "Timer",
                     {
                         InstanceMethod<&Timer::Arm>("arm"),
                         InstanceMethod<&Timer::Disarm>("disarm"),
                         InstanceMethod<&Timer::Close>("close"),
                         InstanceMethod<&Timer::Unref>("unref"),
                     });
}

Timer::Timer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Timer>(info), PolledFd(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) ThrowErrno(env, errno, "timerfd_create");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  AddCleanupHook();
}

Timer::~Timer() = default;  // PolledFd closes

Napi::Value Timer::Arm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) {
    Napi::Error e = Napi::Error::New(env, "timer is closed");
    e.Set("code", Napi::String::New(env, "ERR_TIMER_CLOSED"));
    throw e;
  }
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "delayMs must be a number");
  double ms = info[0].As<Napi::Number>().DoubleValue();
  if (!(ms >= 0) || !std::isfinite(ms)) throw Napi::RangeError::New(env, "delayMs must be a finite number >= 0");
  // An all-zero it_value disarms a timerfd: a due deadline fires after 1 ns instead.
  int64_t ns = static_cast<int64_t>(ms * 1e6);
  if (ns < 1) ns = 1;
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  if (::timerfd_settime(fd_, 0, &its, nullptr) < 0) ThrowErrno(env, errno, "timerfd_settime");
  if (!polling_) {
    StartPolling(env, &Timer::OnPoll);
    Napi::ObjectWrap<Timer>::Ref();  // alive while it may fire
  }
  return env.Undefined();
}

void Timer::Disarmed() {
  if (!polling_) return;
  StopPolling();
  Napi::ObjectWrap<Timer>::Unref();
}

Napi::Value Timer::Disarm(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    itimerspec its{};
    ::timerfd_settime(fd_, 0, &its, nullptr);  // also clears expirations not yet read
  }
  Disarmed();
  return info.Env().Undefined();
}

Napi::Value Timer::Unref(const Napi::CallbackInfo& info) {
  SetRefed(false);
  return info.Env().Undefined();
}

Napi::Value Timer::Close(const Napi::CallbackInfo& info) {
  Disarmed();
  CloseNow();
  callback_.Reset();
  return info.Env().Undefined();
}

void Timer::OnPoll(uv_poll_t* handle, int status, int events) {
  Timer* self = static_cast<Timer*>(OwnerOf(handle));
  if (self == nullptr || self->fd_ < 0) return;
  uint64_t expirations = 0;
  if (::read(self->fd_, &expirations, sizeof expirations) < 0 && errno == EAGAIN) return;  // re-armed meanwhile
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  Napi::Object receiver = self->Value();  // a local handle keeps the object while we call it
  // One-shot: stop polling before the callback, which may arm again.
  self->Disarmed();
  if (self->callback_.IsEmpty()) return;
  try {
    self->callback_.MakeCallback(receiver, {});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace kts
