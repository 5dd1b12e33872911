#pragma once
#include <napi.h>

namespace kts {
// Adds unixDgramOpen/unixDgramSend/unixDgramClose to the addon's exports.
void DefineUnixDgram(Napi::Env env, Napi::Object exports);
}  // namespace kts
