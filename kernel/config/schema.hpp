// SPDX-License-Identifier: Apache-2.0
//
// Every configuration key, declared as data (nginx's ngx_command_t): its dotted path,
// type, limits, default as written in TOML, one-line meaning, and how it is stored in
// broker_config. One table drives validation (loader.cpp), `check-config --print`
// (describe, loader.hpp), conf/broker.toml (sample_config) and the key reference in
// docs/design/config.md (reference_markdown), so none of them can forget a key.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/broker_config.hpp"

namespace emqx_cpp::config {

enum class kind {
  boolean,
  integer,      // number: the integer
  duration,     // number: milliseconds
  size,         // number: bytes
  number,       // real: a float > 0 and <= max
  string,       // text
  enumeration,  // text: the name, number: its index in choices
  bind,         // text: host, number: port
  string_list,  // list
  rate,         // number: the amount, real: the period in ms; 0 amount = "infinity"
  priorities,   // list: topic, priority, topic, priority ...; empty = "disabled"
};

// The word some keys accept in place of a value; it is stored as 0.
enum class zero_word { none, infinity, disabled };

// A key's value on its way between TOML (or an environment variable) and the struct.
struct value {
  bool boolean = false;
  std::uint64_t number = 0;
  double real = 0;
  std::string text;
  std::vector<std::string> list;
};

struct global_access {
  void (*set)(broker_config&, const value&);
  value (*get)(const broker_config&);
};

struct listener_access {
  void (*set)(tcp_listener_config&, const value&);
  value (*get)(const tcp_listener_config&);
};

inline constexpr std::uint64_t unbounded = std::numeric_limits<std::int64_t>::max();

struct key_spec {
  // Dotted path; listener keys are "listeners.tcp.<name>.<key>" with "<name>" verbatim.
  std::string_view path;
  kind type = kind::boolean;
  std::string_view default_text;  // the default, as written in TOML
  std::string_view meaning;       // one line, for comments and documentation
  std::uint64_t min = 0;          // integer, duration and size limits (inclusive)
  std::uint64_t max = unbounded;
  zero_word word = zero_word::none;
  std::span<const std::string_view> choices = {};  // enumeration names, in enum order
  bool (*text_ok)(std::string_view) = nullptr;     // extra check for strings
  std::string_view text_rule = {};                 // what text_ok wants, e.g. "containing '@'"
  global_access global = {nullptr, nullptr};       // set for keys outside listeners
  listener_access listener = {nullptr, nullptr};   // set for listener keys
};

inline constexpr std::string_view listener_prefix = "listeners.tcp.<name>.";

// Every key, in the order they appear in conf/broker.toml.
std::span<const key_spec> keys();

// The key at `path` outside listeners, or nullptr.
const key_spec* find_global_key(std::string_view path);

// The listener key named `leaf` ("bind", "backlog", ...), or nullptr.
const key_spec* find_listener_key(std::string_view leaf);

// The section of a key's path: "mqtt" for "mqtt.max_inflight".
std::string_view section_of(std::string_view path);

// The last component of a key's path: "max_inflight" for "mqtt.max_inflight".
std::string_view leaf_of(std::string_view path);

// What the key accepts, phrased to follow "must be": `an integer in 1..65535`.
std::string allowed_text(const key_spec& key);

// `v` written as a TOML value for `key`: 15000 ms -> "15s" (quotes included).
std::string render_value(const key_spec& key, const value& v);

// conf/broker.toml: every key at its default, each with its meaning, default and
// allowed values in a comment above it.
std::string sample_config();

// The key reference table of docs/design/config.md.
std::string reference_markdown();

}  // namespace emqx_cpp::config
