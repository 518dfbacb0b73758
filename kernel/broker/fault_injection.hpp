// SPDX-License-Identifier: Apache-2.0
//
// Fault injection for the tests that prove exception containment. In a build with
// EMQX_CPP_FAULT_INJECTION (the test build), a client whose id contains
// "@fault:<site>" makes the broker throw at that site when it handles that client:
//   timer    its keepalive/CONNECT deadline fires
//   deliver  a message is delivered to its session (on its worker or from another)
//   flush    its output is written at the end of a loop iteration
//   answer   an asynchronous hook answer for it arrives
//   hooks    the message.publish chain runs for one of its messages
// Any other build compiles every site to nothing.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace emqx_cpp::broker {

inline void inject_fault([[maybe_unused]] std::string_view site,
                         [[maybe_unused]] std::string_view client_id) {
#ifdef EMQX_CPP_FAULT_INJECTION
  const auto at = client_id.find("@fault:");
  if (at != std::string_view::npos && client_id.substr(at + 7) == site)
    throw std::runtime_error("injected fault at " + std::string(site));
#endif
}

}  // namespace emqx_cpp::broker
