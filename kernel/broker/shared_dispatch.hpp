// SPDX-License-Identifier: Apache-2.0
//
// Picks the member of a shared-subscription group that gets a message, with EMQX's
// strategies (mqtt.shared_subscription_strategy). The state a strategy keeps (the
// round-robin position, the sticky member) lives in the worker's router replica, so
// each worker dispatches on its own; EMQX keeps it per publishing process, which is
// finer still.
#pragma once

#include <cstddef>
#include <random>
#include <string_view>

#include "broker/router.hpp"
#include "config/broker_config.hpp"

namespace emqx_cpp::broker {

// Index into g.members of the chosen member; `exclude` (a session id, 0 for none)
// is never chosen unless it is the only member. Returns SIZE_MAX for an empty group.
std::size_t pick_member(share_group& g, config::shared_strategy strategy, std::string_view topic,
                        std::string_view publisher, std::uint16_t local_worker,
                        std::mt19937_64& rng, std::uint64_t exclude = 0);

}  // namespace emqx_cpp::broker
