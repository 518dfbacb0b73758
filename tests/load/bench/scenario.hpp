// SPDX-License-Identifier: Apache-2.0
//
// Turns a mode and its options into the list of connections to open: who publishes
// where, who subscribes to what, which thread owns each, which source address each
// uses, and how many in-process subscribers every publisher's messages reach (the
// basis of the window and of the loss count).
#pragma once

#include <string>
#include <vector>

#include "options.hpp"
#include "run_state.hpp"

namespace emqx_bench {

struct scenario_plan {
  std::vector<client_plan> clients;
  std::uint32_t publishers = 0;
  std::uint32_t subscribers = 0;
  std::string pub_topic;  // patterns, %i unexpanded
  std::string sub_topic;
};

// Fills `out`; returns an error message, or empty on success. `fd_budget` is how many
// sockets this process may open (the connection count is checked against it).
std::string plan_scenario(const options& o, std::size_t fd_budget, scenario_plan& out);

}  // namespace emqx_bench
