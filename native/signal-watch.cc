#include "signal-watch.h"

#include <csignal>
#include <cstdlib>

#include "polled-fd.h"

namespace kts {

Napi::Function SignalWatch::Define(Napi::Env env) {
  return DefineClass(env, "SignalWatch", {InstanceMethod<&SignalWatch::Close>("close")});
}

SignalWatch::SignalWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SignalWatch>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "usage: new SignalWatch(signum, callback)");
  }
  int signum = info[0].As<Napi::Number>().Int32Value();
  // SIGKILL and SIGSTOP cannot be caught; SIGSEGV and friends belong to the runtime.
  if (signum <= 0 || signum >= NSIG || signum == SIGKILL || signum == SIGSTOP) throw Napi::RangeError::New(env, "signum out of range");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "no event loop");
  block_ = static_cast<SignalBlock*>(std::calloc(1, sizeof(SignalBlock)));
  if (block_ == nullptr) ThrowErrno(env, ENOMEM, "calloc");
  block_->owner = this;
  int rc = uv_signal_init(loop, &block_->handle);
  if (rc < 0) {
    std::free(block_);
    block_ = nullptr;
    ThrowErrno(env, -rc, "uv_signal_init");
  }
  rc = uv_signal_start(&block_->handle, &SignalWatch::OnSignal, signum);
  if (rc < 0) {
    CloseNow();
    ThrowErrno(env, -rc, "uv_signal_start");
  }
  // Like process.on('SIGUSR1'): watching a signal does not keep the process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&block_->handle));
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  Napi::ObjectWrap<SignalWatch>::Ref();  // alive (and watching) until close()
  if (napi_add_env_cleanup_hook(env_, &SignalWatch::OnEnvCleanup, this) == napi_ok) hookAdded_ = true;
}

SignalWatch::~SignalWatch() { CloseNow(); }

void SignalWatch::CloseNow() {
  if (block_ != nullptr) {
    block_->owner = nullptr;
    uv_signal_stop(&block_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&block_->handle), reinterpret_cast<uv_close_cb>(&std::free));
    block_ = nullptr;
  }
  if (hookAdded_) {
    napi_remove_env_cleanup_hook(env_, &SignalWatch::OnEnvCleanup, this);
    hookAdded_ = false;
  }
}

void SignalWatch::OnEnvCleanup(void* arg) {
  SignalWatch* self = static_cast<SignalWatch*>(arg);
  self->hookAdded_ = false;
  self->CloseNow();
}

Napi::Value SignalWatch::Close(const Napi::CallbackInfo& info) {
  if (block_ != nullptr) {
    CloseNow();
    callback_.Reset();
    Napi::ObjectWrap<SignalWatch>::Unref();
  }
  return info.Env().Undefined();
}

void SignalWatch::OnSignal(uv_signal_t* handle, int signum) {
  SignalWatch* self = reinterpret_cast<SignalBlock*>(handle)->owner;
  if (self == nullptr || self->callback_.IsEmpty()) return;
  Napi::Env env(self->env_);
  Napi::HandleScope scope(env);
  Napi::Object receiver = self->Value();
  try {
    self->callback_.MakeCallback(receiver, {Napi::Number::New(env, signum)});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace kts
