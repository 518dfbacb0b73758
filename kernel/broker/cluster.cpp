// SPDX-License-Identifier: Apache-2.0
#include "broker/cluster.hpp"

#include <cstddef>

#include "runtime/log.hpp"

namespace emqx_cpp::broker {

node_table::node_table(std::string self) {
  names_.push_back(std::make_unique<std::string>(std::move(self)));
  index_.emplace(*names_.front(), 0);
}

std::uint16_t node_table::intern(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  const auto index = static_cast<std::uint16_t>(names_.size());
  names_.push_back(std::make_unique<std::string>(name));
  index_.emplace(*names_.back(), index);
  return index;
}

const std::string* node_table::name(std::uint16_t index) const {
  std::lock_guard lock(mutex_);
  return index < names_.size() ? names_[index].get() : nullptr;
}

std::size_t recent_ids::hash::operator()(const message_id& id) const {
  // The id is time, node, worker and sequence: its last eight bytes vary most.
  std::size_t h = 0;
  for (std::size_t i = 8; i < 16; ++i)
    h = (h << 8) ^ id[i] ^ (h >> 56);
  return h ^ id[7] ^ (std::size_t{id[6]} << 8);
}

bool recent_ids::first_time(const message_id& id) {
  std::lock_guard lock(mutex_);
  if (!seen_.insert(id).second) return false;
  order_.push_back(id);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

cluster_transport_provider::cluster_transport_provider(const ecp_cluster_transport_provider* vtable,
                                                       void* state, const plugin::hook_owner* owner,
                                                       provider_calls& calls)
    : provider_base(owner, calls, "cluster"), vtable_(vtable), state_(state) {}

bool cluster_transport_provider::valid(const ecp_cluster_transport_provider* v) {
  return ECP_HAS_MEMBER(ecp_cluster_transport_provider, v, on_forward) && v->on_routes != nullptr &&
         v->on_sync != nullptr && v->on_forward != nullptr;
}

namespace {
std::vector<ecp_route_delta> as_deltas(const std::vector<std::pair<std::string, bool>>& in) {
  std::vector<ecp_route_delta> out;
  out.reserve(in.size());
  for (const auto& [filter, added] : in)
    out.push_back(ecp_route_delta{sizeof(ecp_route_delta), filter.c_str(),
                                  added ? ECP_ROUTE_ADD : ECP_ROUTE_DELETE});
  return out;
}
}  // namespace

void cluster_transport_provider::routes(std::vector<std::pair<std::string, bool>> deltas) {
  run([this, deltas = std::move(deltas)] {
    if (!accepting()) return;
    const auto out = as_deltas(deltas);
    if (const auto st = vtable_->on_routes(state_, out.data(), out.size()); st != ECP_OK)
      runtime::logger_for("cluster")->warn("cluster_routes_refused count={} status={}", out.size(),
                                           st);
  });
}

void cluster_transport_provider::sync(std::string node, std::vector<std::string> filters) {
  run([this, node = std::move(node), filters = std::move(filters)] {
    if (!accepting()) return;
    std::vector<std::pair<std::string, bool>> all;
    all.reserve(filters.size());
    for (const auto& f : filters)
      all.emplace_back(f, true);
    const auto out = as_deltas(all);
    vtable_->on_sync(state_, node.c_str(), out.data(), out.size());
  });
}

void cluster_transport_provider::forward(std::string node, std::string batch,
                                         std::uint8_t qos_max) {
  run([this, node = std::move(node), batch = std::move(batch), qos_max] {
    if (!accepting()) return;
    if (const auto st =
            vtable_->on_forward(state_, node.c_str(), batch.data(), batch.size(), qos_max);
        st != ECP_OK)
      runtime::logger_for("cluster")->warn("cluster_forward_refused node={} bytes={} status={}",
                                           node, batch.size(), st);
  });
}

}  // namespace emqx_cpp::broker
