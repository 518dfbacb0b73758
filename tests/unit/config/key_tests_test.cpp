// SPDX-License-Identifier: Apache-2.0
//
// A configuration key either works and is tested, or does not exist. Every key of the
// key table must have a row in tests/integration/config_key_tests.tsv naming a test
// case that sets it to a non-default value and observes the effect; the named test
// case must exist in the named file. Adding a key without such a test fails here.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config/schema.hpp"

using namespace emqx_cpp::config;

namespace {
std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(EMQX_CPP_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct row {
  std::string file;
  std::string test_case;
};

std::multimap<std::string, row> key_tests() {
  std::multimap<std::string, row> out;
  std::istringstream in(read_source("tests/integration/config_key_tests.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto a = line.find('\t');
    const auto b = line.find('\t', a + 1);
    REQUIRE_MESSAGE((a != std::string::npos && b != std::string::npos), "bad row: " << line);
    out.emplace(line.substr(0, a), row{line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return out;
}
}  // namespace

TEST_CASE("every configuration key has a test that observes its effect") {
  const auto rows = key_tests();
  REQUIRE_FALSE(rows.empty());
  for (const auto& k : keys()) {
    CAPTURE(k.path);
    CHECK_MESSAGE(rows.count(std::string(k.path)) != 0,
                  "no row for this key in tests/integration/config_key_tests.tsv");
  }
  for (const auto& [key, r] : rows) {
    CAPTURE(key);
    CAPTURE(r.test_case);
    bool known = false;
    for (const auto& k : keys())
      known = known || k.path == key;
    CHECK_MESSAGE(known, "a row for a key the broker does not have");
    const std::string source = read_source(r.file);
    CHECK_MESSAGE(source.find("TEST_CASE(\"" + r.test_case + "\")") != std::string::npos,
                  "no such test case in " << r.file);
    // The test sets the key (environment override or configuration text) unless the
    // harness does it for every test (bind, data_dir, plugin keys, log.level).
    const std::string leaf(leaf_of(key));
    std::string env_leaf = leaf;
    for (auto& c : env_leaf)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK_MESSAGE((source.find("__" + env_leaf + "=") != std::string::npos ||
                   source.find(leaf + " = ") != std::string::npos || key.starts_with("plugins.") ||
                   key == "node.data_dir" || key == "listeners.tcp.<name>.bind" ||
                   key == "dashboard.listeners.http.bind"),
                  r.file << " never sets " << key);
  }
}
