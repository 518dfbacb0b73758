// SPDX-License-Identifier: Apache-2.0
#include "broker/broker_metrics.hpp"

namespace emqx_cpp::broker {

std::vector<emqx_metric> emqx_metrics(const broker_stats& s) {
  auto dropped = [&](drop_reason r) { return s.delivery_dropped_by[static_cast<std::size_t>(r)]; };
  return {
      // Stats. One connection is one channel and one live connection here; every
      // subscription has its own subscriber and options.
      {"connections.count", true, s.connections},
      {"connections.max", true, s.connections_max},
      {"live_connections.count", true, s.connections},
      {"live_connections.max", true, s.connections_max},
      {"channels.count", true, s.connections},
      {"channels.max", true, s.connections_max},
      {"sessions.count", true, s.sessions},
      {"sessions.max", true, s.sessions_max},
      {"topics.count", true, s.topics},
      {"topics.max", true, s.topics_max},
      {"routes.count", true, s.routes},
      {"routes.max", true, s.routes_max},
      {"subscriptions.count", true, s.subscriptions},
      {"subscriptions.max", true, s.subscriptions_max},
      {"subscribers.count", true, s.subscriptions},
      {"subscribers.max", true, s.subscriptions_max},
      {"suboptions.count", true, s.subscriptions},
      {"suboptions.max", true, s.subscriptions_max},
      {"subscriptions.shared.count", true, s.shared_subscriptions},
      {"subscriptions.shared.max", true, s.shared_subscriptions_max},
      {"retained.count", true, s.retained},
      {"retained.max", true, s.retained_max},
      // Metrics.
      {"bytes.received", false, s.bytes_received},
      {"bytes.sent", false, s.bytes_sent},
      {"packets.received", false, s.packets_received},
      {"packets.sent", false, s.packets_sent},
      {"packets.connack.auth_error", false, s.connack_auth_error},
      {"messages.received", false, s.messages_received},
      {"messages.sent", false, s.messages_sent},
      {"messages.retained", false, s.messages_retained},
      {"messages.dropped", false, s.messages_dropped},
      {"messages.dropped.no_subscribers", false, s.messages_dropped_no_subscribers},
      {"messages.dropped.await_pubrel_timeout", false, s.messages_dropped_await_pubrel_timeout},
      {"messages.dropped.receive_maximum", false, s.messages_dropped_receive_maximum},
      {"messages.forward", false, s.messages_forward},
      {"delivery.dropped", false, s.delivery_dropped},
      {"delivery.dropped.no_local", false, dropped(drop_reason::no_local)},
      {"delivery.dropped.too_large", false, dropped(drop_reason::too_large)},
      {"delivery.dropped.qos0_msg", false, dropped(drop_reason::qos0_msg)},
      {"delivery.dropped.queue_full", false, dropped(drop_reason::queue_full)},
      {"delivery.dropped.expired", false, dropped(drop_reason::expired)},
      {"client.connected", false, s.client_connected},
      {"client.disconnected", false, s.client_disconnected},
      {"authorization.allow", false, s.authorization_allow},
      {"authorization.deny", false, s.authorization_deny},
      {"authorization.cache_hit", false, s.authorization_cache_hit},
      {"authorization.cache_miss", false, s.authorization_cache_miss},
  };
}

}  // namespace emqx_cpp::broker
