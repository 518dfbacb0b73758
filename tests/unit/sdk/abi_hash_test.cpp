// SPDX-License-Identifier: Apache-2.0
//
// The ABI guard. plugin.h is the contract with every plugin already built, so a change
// to it must come with a version bump. This test hashes the header and compares the
// hash with the one recorded for the version the header declares; a change without a
// bump fails here, with instructions. Line endings and runs of whitespace are
// normalised first, so reformatting the header is not a change; comments count, since
// they state ownership and threading rules.
#include <doctest/doctest.h>

#include <emqx_cpp/plugin.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

struct recorded_abi {
  int major;
  int minor;
  std::uint64_t hash;
};

// One line per released ABI version; append, never edit an older line.
constexpr recorded_abi abi_history[] = {
    {1, 0, 0x5ac4d9b52c033579ULL},
    {1, 1, 0x148c03a28bb07b47ULL},
};

// FNV-1a, 64 bits, over the header with "\r\n" and "\r" read as "\n" and every run of
// whitespace read as one space.
std::uint64_t normalised_hash(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto feed = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  bool in_space = false;
  bool started = false;  // leading whitespace is dropped, trailing never emitted
  for (const char ch : text) {
    const bool space =
        ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
    if (space) {
      in_space = true;
      continue;
    }
    if (in_space && started) feed(' ');
    in_space = false;
    started = true;
    feed(static_cast<unsigned char>(ch));
  }
  return h;
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llxULL", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

TEST_CASE("the hash ignores line endings and reformatting, and sees everything else") {
  CHECK(normalised_hash("a b\r\nc") == normalised_hash("a  b\nc"));
  CHECK(normalised_hash("  a\tb\n") == normalised_hash("a b"));
  CHECK(normalised_hash("a b") != normalised_hash("ab"));
  CHECK(normalised_hash("int x; /* owned */") != normalised_hash("int x; /* borrowed */"));
}

TEST_CASE("plugin.h changes only together with its ABI version") {
  std::ifstream in{EMQX_CPP_SDK_PLUGIN_H, std::ios::binary};
  REQUIRE_MESSAGE(in, "cannot read " EMQX_CPP_SDK_PLUGIN_H);
  const std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  const std::uint64_t actual = normalised_hash(text);
  const std::string version = std::to_string(ECP_ABI_MAJOR) + "." + std::to_string(ECP_ABI_MINOR);

  const recorded_abi& latest = abi_history[std::size(abi_history) - 1];
  if (latest.major != ECP_ABI_MAJOR || latest.minor != ECP_ABI_MINOR) {
    FAIL_CHECK("plugin.h declares ABI "
               << version << ", but the latest recorded ABI is " << latest.major << "."
               << latest.minor << ". If this is a new version, "
               << "append {" << ECP_ABI_MAJOR << ", " << ECP_ABI_MINOR << ", " << hex(actual)
               << "} to abi_history in tests/unit/sdk/abi_hash_test.cpp"
               << "; versions only go up.");
    return;
  }
  CHECK_MESSAGE(actual == latest.hash,
                "sdk/include/emqx_cpp/plugin.h changed but ECP_ABI_MAJOR/ECP_ABI_MINOR did not ("
                    << version << "). Plugins built against " << version
                    << " would load and misbehave. Bump the version: ECP_ABI_MINOR for an "
                       "append-only change (new members at the end of a struct under an "
                       "\"added in 1.x\" comment, new enum values or #defines), "
                       "ECP_ABI_MAJOR (and ECP_ABI_MINOR back to 0) for anything else; then "
                       "append {MAJOR, MINOR, "
                    << hex(actual) << "} to abi_history in tests/unit/sdk/abi_hash_test.cpp"
                    << ". A comment-only fix that changes no meaning keeps the version: "
                       "replace the hash of the "
                    << version << " line instead.");
}
