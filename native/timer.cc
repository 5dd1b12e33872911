#include "timer.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kts {

namespace {

[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* what) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  throw e;
}

}  // namespace

Napi::Function Timer::Define(Napi::Env env) {
  return DefineClass(env, "Timer",
                     {
                         InstanceMethod<&Timer::Arm>("arm"),
                         InstanceMethod<&Timer::Disarm>("disarm"),
                         InstanceMethod<&Timer::Close>("close"),
                         InstanceMethod<&Timer::Unref>("unref"),
                     });
}

Timer::Timer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Timer>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) ThrowErrno(env, errno, "timerfd_create");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    ::close(fd_);
    fd_ = -1;
    throw Napi::Error::New(env, "no event loop");
  }
  poll_ = static_cast<TimerBlock*>(std::calloc(1, sizeof(TimerBlock)));
  if (poll_ == nullptr) {
    ::close(fd_);
    fd_ = -1;
    ThrowErrno(env, ENOMEM, "calloc");
  }
  poll_->owner = this;
  int rc = uv_poll_init(loop, &poll_->handle, fd_);
  if (rc < 0) {
    std::free(poll_);
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    ThrowErrno(env, -rc, "uv_poll_init");
  }
  poll_->handle.data = poll_;
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (napi_add_env_cleanup_hook(env_, &Timer::OnEnvCleanup, this) == napi_ok) hookAdded_ = true;
}

Timer::~Timer() { CloseNow(); }

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
  if (!armed_) {
    int rc = uv_poll_start(&poll_->handle, UV_READABLE, &Timer::OnPoll);
    if (rc < 0) ThrowErrno(env, -rc, "uv_poll_start");
    if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
    armed_ = true;
    Napi::ObjectWrap<Timer>::Ref();  // alive while it may fire
  }
  return env.Undefined();
}

void Timer::StopPolling() {
  if (!armed_) return;
  if (poll_ != nullptr) uv_poll_stop(&poll_->handle);
  armed_ = false;
  Napi::ObjectWrap<Timer>::Unref();
}

Napi::Value Timer::Disarm(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    itimerspec its{};
    ::timerfd_settime(fd_, 0, &its, nullptr);
    uint64_t n;
    while (::read(fd_, &n, sizeof n) > 0) {
    }
  }
  StopPolling();
  return info.Env().Undefined();
}

Napi::Value Timer::Unref(const Napi::CallbackInfo& info) {
  refed_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  return info.Env().Undefined();
}

void Timer::CloseNow() {
  if (poll_ != nullptr) {
    if (armed_) uv_poll_stop(&poll_->handle);
    poll_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), reinterpret_cast<uv_close_cb>(&std::free));
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (hookAdded_) {
    napi_remove_env_cleanup_hook(env_, &Timer::OnEnvCleanup, this);
    hookAdded_ = false;
  }
}

void Timer::OnEnvCleanup(void* arg) {
  Timer* self = static_cast<Timer*>(arg);
  self->hookAdded_ = false;
  self->CloseNow();
}

Napi::Value Timer::Close(const Napi::CallbackInfo& info) {
  bool wasArmed = armed_;
  CloseNow();
  armed_ = false;
  if (wasArmed) Napi::ObjectWrap<Timer>::Unref();
  callback_.Reset();
  return info.Env().Undefined();
}

void Timer::OnPoll(uv_poll_t* handle, int status, int events) {
  TimerBlock* block = static_cast<TimerBlock*>(handle->data);
  Timer* self = block->owner;
  if (self == nullptr || self->fd_ < 0) return;
  uint64_t expirations = 0;
  if (::read(self->fd_, &expirations, sizeof expirations) < 0 && errno == EAGAIN) return;  // re-armed meanwhile
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  // One-shot: stop polling before the callback, which may arm again.
  self->StopPolling();
  if (self->callback_.IsEmpty()) return;
  try {
    self->callback_.MakeCallback(self->Value(), {});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace kts
