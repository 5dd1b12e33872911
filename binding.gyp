{
  "targets": [
    {
      "target_name": "keepalived_ts_native",
      "sources": ["native/addon.cc", "native/polled-fd.cc", "native/socket.cc", "native/timer.cc", "native/signal-watch.cc", "native/connect-probe.cc", "native/unix-dgram.cc", "native/tcp-socket.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    }
  ]
}
