// SPDX-License-Identifier: Apache-2.0
//
// Checking one value against its key_spec and turning it into a config::value. A value
// from the file arrives as a TOML node; one from the environment arrives as text and is
// first given the TOML type the key expects, so both go through the same checks and
// produce the same reasons ("must be an integer in 1..65535, got 0").
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "config/schema.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::config {

// The value, or an error whose message is the reason alone (no file, line or key).
emqx_cpp::result<value> convert(const key_spec& key, const toml::node& node);

// The same for text from an environment variable; the reason quotes the text as given.
emqx_cpp::result<value> convert_text(const key_spec& key, std::string_view text);

// How a TOML value is shown after "got": 0, "abc", true, a table.
std::string shown(const toml::node& node);

}  // namespace emqx_cpp::config
