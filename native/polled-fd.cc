#include "polled-fd.h"

#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace kts {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  const char* name = uv_err_name(-err);
  std::string msg = std::string(syscall) + " failed: " + strerror(err) + " (" + name + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, name));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall) { throw ErrnoError(env, err, syscall); }

void PolledFd::AddCleanupHook() {
  if (!hookAdded_ && napi_add_env_cleanup_hook(env_, &PolledFd::OnEnvCleanup, this) == napi_ok) hookAdded_ = true;
}

void PolledFd::StartPolling(Napi::Env env, uv_poll_cb cb) {
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "no event loop");
    poll_ = static_cast<PollBlock*>(std::calloc(1, sizeof(PollBlock)));
    if (poll_ == nullptr) ThrowErrno(env, ENOMEM, "calloc");
    poll_->owner = this;
    int rc = uv_poll_init(loop, &poll_->handle, fd_);
    if (rc < 0) {
      std::free(poll_);
      poll_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    poll_->handle.data = poll_;
  }
  int rc = uv_poll_start(&poll_->handle, UV_READABLE, cb);
  if (rc < 0) ThrowErrno(env, -rc, "uv_poll_start");
  if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  polling_ = true;
}

void PolledFd::RestartPolling(uv_poll_cb cb) {
  if (fd_ >= 0 && polling_ && poll_ != nullptr) uv_poll_start(&poll_->handle, UV_READABLE, cb);
}

void PolledFd::StopPolling() {
  if (poll_ != nullptr && polling_) uv_poll_stop(&poll_->handle);
  polling_ = false;
}

void PolledFd::SetRefed(bool refed) {
  refed_ = refed;
  if (poll_ == nullptr) return;
  if (refed) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->handle));
  }
}

void PolledFd::CloseNow() {
  StopPolling();
  if (poll_ != nullptr) {
    poll_->owner = nullptr;
    // The close completes on a later loop turn, possibly after a worker's environment has
    // unloaded this addon (worker.terminate()): a close callback living in this library would
    // then be unmapped code. libc's free() is always mapped, and the handle is the first
    // member of the calloc'd block, so free(handle) releases the whole block. free and
    // uv_close_cb both take one pointer and return nothing.
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), reinterpret_cast<uv_close_cb>(&std::free));
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (hookAdded_) {
    napi_remove_env_cleanup_hook(env_, &PolledFd::OnEnvCleanup, this);
    hookAdded_ = false;
  }
}

void PolledFd::OnEnvCleanup(void* arg) {
  PolledFd* self = static_cast<PolledFd*>(arg);
  self->hookAdded_ = false;  // being run: nothing to remove
  self->CloseNow();
}

}  // namespace kts
