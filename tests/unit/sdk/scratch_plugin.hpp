// SPDX-License-Identifier: Apache-2.0
//
// A plugin for SDK tests that opens up the wrapper's protected members, so a test can
// register hooks, start timers and call the host from the outside after loading it
// into the fake host, instead of writing one plugin class per case.
#pragma once

#include <emqx_cpp/plugin.hpp>
#include <emqx_cpp/testing/fake_host.hpp>

#include <stdexcept>

namespace emqx_cpp::sdk::test {

class scratch_plugin : public plugin {
 public:
  using plugin::host;
  using plugin::off;
  using plugin::on;
  using plugin::provide;
};

// Loads a scratch_plugin into `fake` and returns it; the fake owns it.
inline scratch_plugin& load_scratch(testing::fake_host& fake) {
  const ecp_status status = fake.load<scratch_plugin>("scratch");
  if (status != ECP_OK) throw std::runtime_error("scratch_plugin did not load");
  return *fake.instance<scratch_plugin>();
}

}  // namespace emqx_cpp::sdk::test
