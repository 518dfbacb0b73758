// SPDX-License-Identifier: Apache-2.0
//
// The key table against the files made from it: conf/broker.toml must be exactly
// sample_config() and load to the defaults, docs/design/config.md must carry exactly
// reference_markdown(), and every default written in the table must be the struct's.
// When a file is stale, the expected text is written next to this test binary.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config_test.hpp"

using namespace emqx_cpp::config;
using emqx_cpp::config::test::load_ok;

namespace {

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(EMQX_CPP_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string save_expected(const std::string& name, const std::string& text) {
  auto path = std::string(EMQX_CPP_TEST_OUTPUT_DIR) + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

constexpr std::string_view begin_marker =
    "<!-- keys:begin (generated from kernel/config/schema.cpp) -->\n";
constexpr std::string_view end_marker = "<!-- keys:end -->";

}  // namespace

TEST_CASE("conf/broker.toml is the annotated default configuration") {
  const auto text = read_source_file("conf/broker.toml");
  const auto expected = sample_config();
  if (text != expected) {
    FAIL("conf/broker.toml is stale; expected text written to "
         << save_expected("broker.toml.expected", expected));
  }
}

TEST_CASE("conf/broker.toml loads to exactly the defaults") {
  const auto path = std::string(EMQX_CPP_SOURCE_DIR) + "/conf/broker.toml";
  auto r = load_config_file(path, {});
  REQUIRE_MESSAGE(r, (r ? "" : r.err().message));
  CHECK(describe(r.value()) == describe(defaults()));
  REQUIRE(r.value().tcp_listeners.size() == 1);
  CHECK(r.value().tcp_listeners[0].name == "default");
}

TEST_CASE("every key has a comment above it in conf/broker.toml") {
  const auto text = read_source_file("conf/broker.toml");
  std::istringstream lines(text);
  std::string line, previous;
  int keys_seen = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != '#' && line[0] != '[') {
      CAPTURE(line);
      CHECK(previous.rfind("# ", 0) == 0);
      ++keys_seen;
    }
    previous = line;
  }
  CHECK(keys_seen == static_cast<int>(keys().size()));
}

TEST_CASE("docs/design/config.md lists every key as the table says") {
  const auto doc = read_source_file("docs/design/config.md");
  const auto begin = doc.find(begin_marker);
  const auto end = doc.find(end_marker);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const auto start = begin + begin_marker.size();
  const auto section = doc.substr(start, end - start);
  const auto expected = "\n" + reference_markdown() + "\n";
  if (section != expected) {
    FAIL("the key reference in docs/design/config.md is stale; expected text written to "
         << save_expected("config.md.keys.expected", expected));
  }
  for (const auto& k : keys()) {
    CAPTURE(k.path);
    CHECK(doc.find("| `" + std::string(k.path) + "` |") != std::string::npos);
  }
}

TEST_CASE("every key's written default is the struct's default") {
  const auto defaults_cfg = defaults();
  const tcp_listener_config default_listener;
  for (const auto& k : keys()) {
    CAPTURE(k.path);
    const bool listener = k.listener.set != nullptr;
    const std::string section =
        listener ? "listeners.tcp.default" : std::string(section_of(k.path));
    const auto cfg = load_ok("[" + section + "]\n" + std::string(leaf_of(k.path)) + " = " +
                             std::string(k.default_text) + "\n");
    if (listener) {
      REQUIRE(cfg.tcp_listeners.size() == 1);
      CHECK(render_value(k, k.listener.get(cfg.tcp_listeners[0])) ==
            render_value(k, k.listener.get(default_listener)));
    } else {
      CHECK(render_value(k, k.global.get(cfg)) == render_value(k, k.global.get(defaults_cfg)));
    }
  }
}

TEST_CASE("the key table is well formed") {
  std::set<std::string_view> paths;
  for (const auto& k : keys()) {
    CAPTURE(k.path);
    CHECK(paths.insert(k.path).second);
    CHECK_FALSE(k.meaning.empty());
    CHECK_FALSE(k.default_text.empty());
    CHECK(((k.global.set != nullptr) != (k.listener.set != nullptr)));
    CHECK(((k.global.set != nullptr) == (k.global.get != nullptr)));
    CHECK(((k.listener.set != nullptr) == (k.listener.get != nullptr)));
    CHECK(k.min <= k.max);
    if (k.listener.set != nullptr) {
      CHECK(std::string_view(k.path).rfind(listener_prefix, 0) == 0);
    }
    CHECK_FALSE(allowed_text(k).empty());
  }
  CHECK(find_global_key("mqtt.max_inflight") != nullptr);
  CHECK(find_global_key("listeners.tcp.<name>.bind") == nullptr);
  CHECK(find_listener_key("bind") != nullptr);
  CHECK(find_listener_key("max_inflight") == nullptr);
  CHECK(section_of("mqtt.max_inflight") == "mqtt");
  CHECK(section_of("top") == "");
  CHECK(leaf_of("a.b.c") == "c");
  CHECK(leaf_of("top") == "top");
}
