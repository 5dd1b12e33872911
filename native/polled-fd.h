// What the addon's Socket and Timer share: a file descriptor watched by a uv_poll handle that
// is created on first use, closed safely even while the JS object is being collected, and
// released when the environment (a worker thread) tears down. Also the errno-carrying errors.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>

namespace kts {

// A JS Error with `code` ('EPERM'), `errno` (positive) and `syscall`.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall);

class PolledFd;

// The poll handle outlives its owner when the JS object is collected while a close is in
// flight: uv_close completes on a later loop turn and only frees this block. Allocated with
// calloc and released by free() as the close callback; `handle` must stay the first member.
struct PollBlock {
  uv_poll_t handle;
  PolledFd* owner;
};
static_assert(offsetof(PollBlock, handle) == 0, "free(handle) must free the block");

class PolledFd {
 protected:
  explicit PolledFd(napi_env env) : env_(env) {}
  ~PolledFd() { CloseNow(); }

  // Closes fd_ on environment teardown (worker exit), so the thread's uv_loop_close succeeds.
  void AddCleanupHook();
  // Starts polling fd_ for readability (the handle is made on first use); throws ErrnoError.
  void StartPolling(Napi::Env env, uv_poll_cb cb);
  // Starts the existing handle again after libuv stopped it on an error; no-op when stopped.
  void RestartPolling(uv_poll_cb cb);
  void StopPolling();
  void SetRefed(bool refed);
  // Releases the OS resources only; safe from the destructor and the env cleanup hook.
  void CloseNow();
  // The live owner of a handle, or nullptr once it was closed.
  static PolledFd* OwnerOf(uv_poll_t* handle) { return static_cast<PollBlock*>(handle->data)->owner; }

  napi_env env_;
  int fd_ = -1;
  bool polling_ = false;

 private:
  static void OnEnvCleanup(void* arg);
  PollBlock* poll_ = nullptr;
  bool refed_ = true;
  bool hookAdded_ = false;
};

}  // namespace kts
