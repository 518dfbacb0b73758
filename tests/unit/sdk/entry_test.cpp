// SPDX-License-Identifier: Apache-2.0
//
// EMQX_CPP_PLUGIN's entry function: the ABI negotiation rule (same major, broker minor
// at least ours, report exactly ours) and the static descriptor it returns. The two
// examples' entries (renamed at compile time so they fit in one program) follow the
// same rule.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "scratch_plugin.hpp"

extern "C" const ecp_plugin_descriptor* hello_c_plugin_entry(const ecp_abi_version*, size_t);
extern "C" const ecp_plugin_descriptor* hello_cpp_plugin_entry(const ecp_abi_version*, size_t);

namespace {

class minimal_plugin : public emqx_cpp::sdk::plugin {};

EMQX_CPP_PLUGIN_DEFINE_ENTRY(minimal_entry, minimal_plugin, "minimal", "2.3.4", "a test plugin")

const ecp_plugin_descriptor* offer(ecp_plugin_entry_fn entry, std::vector<ecp_abi_version> v) {
  return entry(v.data(), v.size());
}

}  // namespace

TEST_CASE("the entry accepts an offered {1, x} and reports the version it was built for") {
  for (const ecp_plugin_entry_fn entry :
       {&minimal_entry, &hello_c_plugin_entry, &hello_cpp_plugin_entry}) {
    const auto* d = offer(entry, {{1, ECP_ABI_MINOR}});
    REQUIRE(d != nullptr);
    CHECK(d->abi.major == 1);
    CHECK(d->abi.minor == ECP_ABI_MINOR);

    // A newer minor on the broker's side covers ours: still our version reported.
    d = offer(entry, {{1, ECP_ABI_MINOR + 7}});
    REQUIRE(d != nullptr);
    CHECK(d->abi.minor == ECP_ABI_MINOR);
  }
}

TEST_CASE("the entry refuses a broker that does not speak major 1") {
  for (const ecp_plugin_entry_fn entry :
       {&minimal_entry, &hello_c_plugin_entry, &hello_cpp_plugin_entry}) {
    CHECK(offer(entry, {{2, 0}}) == nullptr);
    CHECK(offer(entry, {{0, 9}}) == nullptr);
    CHECK(offer(entry, {}) == nullptr);
    CHECK(entry(nullptr, 3) == nullptr);
  }
}

TEST_CASE("among several offers the entry picks major 1") {
  const auto* d = offer(&minimal_entry, {{1, ECP_ABI_MINOR}, {2, 0}});
  REQUIRE(d != nullptr);
  CHECK(d->abi.major == 1);
  d = offer(&minimal_entry, {{2, 0}, {1, ECP_ABI_MINOR}, {3, 1}});
  REQUIRE(d != nullptr);
  CHECK(d->abi.major == 1);
}

#if ECP_ABI_MINOR > 0
TEST_CASE("the entry refuses a broker older than the minor it was built for") {
  CHECK(offer(&minimal_entry, {{1, ECP_ABI_MINOR - 1}}) == nullptr);
}
#endif

TEST_CASE("the descriptor carries its size, names and every callback") {
  const auto* d = offer(&minimal_entry, {{1, ECP_ABI_MINOR}});
  REQUIRE(d != nullptr);
  CHECK(d->size == sizeof(ecp_plugin_descriptor));
  CHECK(std::strcmp(d->name, "minimal") == 0);
  CHECK(std::strcmp(d->version, "2.3.4") == 0);
  CHECK(std::strcmp(d->description, "a test plugin") == 0);
  CHECK((d->on_init != nullptr));
  CHECK((d->on_start != nullptr));
  CHECK((d->on_stop != nullptr));
  CHECK((d->on_health != nullptr));
  CHECK((d->on_destroy != nullptr));
  // A static: the same object on every call, valid while the plugin is loaded.
  CHECK(offer(&minimal_entry, {{1, 5}}) == d);

  CHECK(std::strcmp(offer(&hello_c_plugin_entry, {{1, ECP_ABI_MINOR}})->name, "hello_c") == 0);
  CHECK(std::strcmp(offer(&hello_cpp_plugin_entry, {{1, ECP_ABI_MINOR}})->name, "hello_cpp") == 0);
}

TEST_CASE("abi_acceptable states the rule on its own") {
  const ecp_abi_version ours{ECP_ABI_MAJOR, ECP_ABI_MINOR};
  const ecp_abi_version other_major{ECP_ABI_MAJOR + 1, ECP_ABI_MINOR};
  CHECK(emqx_cpp::sdk::abi_acceptable(&ours, 1));
  CHECK_FALSE(emqx_cpp::sdk::abi_acceptable(&other_major, 1));
  CHECK_FALSE(emqx_cpp::sdk::abi_acceptable(&ours, 0));
}

TEST_CASE("the fake host loads through an entry and refuses what the entry refuses") {
  emqx_cpp::sdk::testing::fake_host fake;
  CHECK(fake.load(&minimal_entry, {{2, 0}}) == ECP_ERR_UNSUPPORTED);
  CHECK(fake.load(&minimal_entry, {{2, 0}, {1, ECP_ABI_MINOR}}) == ECP_OK);
  CHECK(fake.instance<minimal_plugin>() != nullptr);
  CHECK(fake.start() == ECP_OK);
  CHECK(fake.health() == ECP_OK);
  CHECK(fake.stop() == ECP_OK);
  fake.unload();
  CHECK(fake.current_phase() == emqx_cpp::sdk::testing::fake_host::phase::unloaded);
}
