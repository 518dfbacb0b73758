// SPDX-License-Identifier: Apache-2.0
//
// Loading the broker configuration: a TOML file, then EMQX_CPP_* environment
// overrides, over the defaults. Loading either succeeds completely or stops at the first
// problem (by position in the file) with one message an operator can act on:
//
//   FILE:LINE:COL: KEY: REASON      a key in the file (KEY is the full dotted path)
//   FILE:LINE:COL: syntax error: …  the file is not valid TOML
//   env NAME: KEY: REASON           an EMQX_CPP_* variable
//
// The environment is a parameter so that tests never touch the process environment.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/broker_config.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::config {

// Name/value pairs, as in environ; only names starting with "EMQX_CPP_" are read.
using environment = std::vector<std::pair<std::string, std::string>>;

// error::code of a failed load.
enum class load_errc : int {
  unreadable = 1,  // the file could not be read
  syntax = 2,      // not valid TOML
  invalid = 3,     // unknown key or section, wrong type, value out of range
  bad_env = 4,     // a bad EMQX_CPP_* variable
};

// Reads `path`, which also names the file in messages.
emqx_cpp::result<broker_config> load_config_file(const std::string& path, const environment& env);

// Parses `toml`; `display_name` stands for the file in messages.
emqx_cpp::result<broker_config> load_config_string(std::string_view toml,
                                                   const std::string& display_name,
                                                   const environment& env);

// The configuration with no file and no environment: EMQX's defaults.
broker_config defaults();

// The configuration rendered back as TOML, every key, for `check-config --print` and logs.
// Loading the text again gives the same configuration.
std::string describe(const broker_config& cfg);

// This process's environment (environ).
environment process_environment();

}  // namespace emqx_cpp::config
