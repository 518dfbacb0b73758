// SPDX-License-Identifier: Apache-2.0
//
// Shorthands shared by the kernel/config tests: load a TOML snippet under the display
// name "broker.toml" and get either the configuration or the one error message.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "config/loader.hpp"

namespace emqx_cpp::config::test {

inline broker_config load_ok(std::string_view toml, const environment& env = {}) {
  auto r = load_config_string(toml, "broker.toml", env);
  if (!r) FAIL("unexpected error: " << r.err().message);
  return std::move(r).value();
}

inline std::string load_error(std::string_view toml, const environment& env = {}) {
  auto r = load_config_string(toml, "broker.toml", env);
  if (r) FAIL("loaded, but an error was expected");
  return r.err().message;
}

inline broker_config env_ok(const environment& env) {
  return load_ok("", env);
}

inline std::string env_error(const environment& env) {
  return load_error("", env);
}

}  // namespace emqx_cpp::config::test
