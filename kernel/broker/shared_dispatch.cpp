// SPDX-License-Identifier: Apache-2.0
#include "broker/shared_dispatch.hpp"

#include <functional>
#include <vector>

namespace emqx_cpp::broker {

namespace {
std::size_t random_index(std::size_t n, std::mt19937_64& rng) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}
}  // namespace

std::size_t pick_member(share_group& g, config::shared_strategy strategy, std::string_view topic,
                        std::string_view publisher, std::uint16_t local_worker,
                        std::mt19937_64& rng, std::uint64_t exclude) {
  const std::size_t n = g.members.size();
  if (n == 0) return SIZE_MAX;
  if (n == 1) return 0;
  auto skip_excluded = [&](std::size_t i) {
    if (exclude != 0 && g.members[i].who.session_id == exclude) return (i + 1) % n;
    return i;
  };
  using config::shared_strategy;
  switch (strategy) {
    case shared_strategy::random:
      return skip_excluded(random_index(n, rng));
    case shared_strategy::round_robin:
    case shared_strategy::round_robin_per_group: {
      const std::size_t i = skip_excluded(g.next % n);
      g.next = (i + 1) % n;
      return i;
    }
    case shared_strategy::sticky:
      if (g.sticky >= n || (exclude != 0 && g.members[g.sticky].who.session_id == exclude))
        g.sticky = skip_excluded(random_index(n, rng));
      return g.sticky;
    case shared_strategy::local: {
      std::vector<std::size_t> local;
      for (std::size_t i = 0; i < n; ++i) {
        if (g.members[i].who.worker == local_worker && g.members[i].who.session_id != exclude)
          local.push_back(i);
      }
      if (!local.empty()) return local[random_index(local.size(), rng)];
      return skip_excluded(random_index(n, rng));
    }
    case shared_strategy::hash_topic:
      return skip_excluded(std::hash<std::string_view>{}(topic) % n);
    case shared_strategy::hash_clientid:
      return skip_excluded(std::hash<std::string_view>{}(publisher) % n);
  }
  return 0;
}

}  // namespace emqx_cpp::broker
