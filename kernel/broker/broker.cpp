// SPDX-License-Identifier: Apache-2.0
#include "broker/broker.hpp"

#include <fmt/format.h>

#include <future>

#include "mqtt/topic.hpp"

#include "broker/channel.hpp"
#include "broker/plugin_bridge.hpp"
#include "broker/sys_topics.hpp"
#include "broker/worker.hpp"
#include "runtime/log.hpp"

namespace emqx_cpp::broker {

broker::broker(config::broker_config cfg, runtime::metrics_registry& metrics)
    : cfg_(std::move(cfg)), metrics_(metrics), retainer_(cfg_.retainer), nodes_(cfg_.node.name) {
  for (const auto& l : cfg_.tcp_listeners) {
    if (!l.enable) continue;
    auto state = std::make_unique<listener_state>();
    state->cfg = l;
    state->id = "tcp:" + l.name;
    listeners_.push_back(std::move(state));
  }
  std::size_t n = cfg_.node.worker_threads > 0 ? static_cast<std::size_t>(cfg_.node.worker_threads)
                                               : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (std::size_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<worker>(*this, static_cast<std::uint16_t>(i), n));
  registry_ = session_registry(n);
}

broker::~broker() {
  stop();
}

std::uint16_t broker::owner_of(std::string_view client_id) const {
  return registry_.worker_of(client_id);
}

result<void> broker::start() {
  started_at_ms_ = wall_clock_ms();
  for (auto& w : workers_) {
    worker* raw = w.get();
    threads_.emplace_back([raw] {
      pthread_setname_np(pthread_self(), fmt::format("io-worker-{}", raw->index()).c_str());
      raw->run();
    });
  }
  sys_ = std::make_unique<sys_publisher>(*this, *workers_.front());
  workers_.front()->loop().post([this] { sys_->start(); });
  if (cfg_.retainer.msg_clear_interval_ms != 0)
    workers_.front()->loop().post([this] { sweep_retained(); });
  memory_.start();
  running_ = true;
  return {};
}

// Runs `f(w)` on every worker's thread and waits for all of them.
void broker::on_every_worker(const std::function<void(worker&)>& f) {
  std::vector<std::future<void>> done;
  for (auto& w : workers_) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    worker* raw = w.get();
    raw->loop().post([raw, p, &f] {
      raw->contained(nullptr, "control", [&](channel*) { f(*raw); });
      p->set_value();
    });
  }
  for (auto& fut : done)
    fut.wait();
}

result<void> broker::open_listeners() {
  auto log = runtime::logger_for("broker");
  // Each worker opens every listener on its own loop: the first binds (port 0 picks a
  // free port) and the others join the same port with SO_REUSEPORT.
  for (std::size_t li = 0; li < listeners_.size(); ++li) {
    auto& l = *listeners_[li];
    std::uint16_t port = l.cfg.port;
    for (auto& w : workers_) {
      auto bound = std::make_shared<result<std::uint16_t>>(make_error("not opened"));
      auto p = std::make_shared<std::promise<void>>();
      auto f = p->get_future();
      worker* raw = w.get();
      raw->loop().post([raw, li, port, bound, p] {
        *bound = raw->open_listener(li, port);
        p->set_value();
      });
      f.wait();
      if (!*bound) {
        on_every_worker([](worker& each) { each.close_listeners(); });
        return make_error(fmt::format("listener tcp:{}: {}", l.cfg.name, bound->err().message));
      }
      port = bound->value();
    }
    l.port = port;
    log->info("listener_started name=tcp:{} bind={}:{} workers={}", l.cfg.name, l.cfg.host, port,
              workers_.size());
  }
  return {};
}

void broker::close_and_save() {
  if (!running_) return;
  stopping_.store(true, std::memory_order_release);
  // No new clients; every client gets its DISCONNECT (0x8B for MQTT 5); every session
  // that outlives its connection goes to the session store while the store is still
  // there (the plugins stop after this).
  auto outstanding = std::make_shared<std::atomic<int>>(0);
  on_every_worker([outstanding](worker& w) {
    w.disconnect_all();
    w.save_all(outstanding);
  });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.plugins.hook_timeout_ms);
  while (outstanding->load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (outstanding->load() > 0)
    runtime::logger_for("broker")->warn("session_save_incomplete sessions={}", outstanding->load());
  if (auto* store = session_store())
    store->drain(std::chrono::milliseconds(cfg_.plugins.hook_timeout_ms));
}

void broker::stop() {
  if (!running_) return;
  running_ = false;
  stopping_.store(true, std::memory_order_release);
  // Every worker says goodbye to its own clients on its own thread, then we wait.
  std::vector<std::future<void>> done;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    worker* w = workers_[i].get();
    w->loop().post([this, w, i, p] {
      if (i == 0 && sys_) sys_->stop();
      w->disconnect_all();
      p->set_value();
    });
  }
  for (auto& f : done)
    f.wait();
  // Give DISCONNECT packets a moment to leave before the loops stop.
  std::vector<std::future<void>> drained;
  for (auto& w : workers_) {
    auto p = std::make_shared<std::promise<void>>();
    drained.push_back(p->get_future());
    worker* raw = w.get();
    raw->loop().post([raw, p] {
      raw->loop().schedule(std::chrono::milliseconds(100), [p] { p->set_value(); });
    });
  }
  for (auto& f : drained)
    f.wait_for(std::chrono::seconds(2));
  for (auto& w : workers_)
    w->stop_loop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  sys_.reset();
}

void broker::sweep_retained() {
  // Runs on the first worker, like the $SYS ticks.
  if (const std::size_t removed = retained().sweep(steady_clock::now()); removed != 0)
    runtime::logger_for("broker")->debug("retained_expired removed={}", removed);
  workers_.front()->loop().schedule(std::chrono::milliseconds(cfg_.retainer.msg_clear_interval_ms),
                                    [this] { sweep_retained(); });
}

broker_stats broker::stats() {
  broker_stats s;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (auto& w : workers_) {
    auto& ws = w->stats();
    s.connections += get(ws.connections);
    s.sessions += get(ws.sessions);
    s.subscriptions += get(ws.subscriptions);
    s.shared_subscriptions += get(ws.shared_subscriptions);
    s.bytes_received += get(ws.bytes_received);
    s.bytes_sent += get(ws.bytes_sent);
    s.packets_received += get(ws.packets_received);
    s.packets_sent += get(ws.packets_sent);
    s.connack_auth_error += get(ws.client_auth_failures);
    s.messages_received += get(ws.messages_received);
    s.messages_sent += get(ws.messages_sent);
    s.messages_dropped += get(ws.messages_dropped);
    s.messages_dropped_no_subscribers += get(ws.messages_dropped_no_subscribers);
    s.messages_dropped_await_pubrel_timeout += get(ws.messages_dropped_await_pubrel_timeout);
    s.messages_dropped_receive_maximum += get(ws.messages_dropped_receive_maximum);
    s.messages_forward += get(ws.messages_forward);
    s.delivery_dropped += get(ws.delivery_dropped);
    for (std::size_t r = 0; r < drop_reason_count; ++r)
      s.delivery_dropped_by[r] += get(ws.delivery_dropped_by[r]);
    s.messages_retained += get(ws.messages_retained);
    s.client_connected += get(ws.client_connected);
    s.client_disconnected += get(ws.client_disconnected);
    s.authorization_allow += get(ws.authorization_allow);
    s.authorization_deny += get(ws.authorization_deny);
    s.authorization_cache_hit += get(ws.authorization_cache_hit);
    s.authorization_cache_miss += get(ws.authorization_cache_miss);
  }
  // Every replica holds every route; the first one's counts are the node's.
  s.routes = workers_.front()->route_count();
  s.topics = workers_.front()->filter_count();
  s.retained = retained().size();
  std::lock_guard lock(stats_mutex_);
  auto high = [](std::uint64_t& mark, std::uint64_t now) {
    mark = std::max(mark, now);
    return mark;
  };
  s.connections_max = high(highs_.connections_max, s.connections);
  s.sessions_max = high(highs_.sessions_max, s.sessions);
  s.subscriptions_max = high(highs_.subscriptions_max, s.subscriptions);
  s.shared_subscriptions_max = high(highs_.shared_subscriptions_max, s.shared_subscriptions);
  s.routes_max = high(highs_.routes_max, s.routes);
  s.topics_max = high(highs_.topics_max, s.topics);
  s.retained_max = high(highs_.retained_max, s.retained);
  return s;
}

std::optional<plugin::client_snapshot> broker::client_info(const std::string& client_id) {
  // A client's session lives on the worker its client id maps to.
  if (workers_.empty()) return std::nullopt;
  return workers_[owner_of(client_id)]->client_snapshot(client_id);
}

ecp_status broker::publish(std::string_view publisher, std::string_view topic,
                           std::string_view payload, std::uint8_t qos, bool retain,
                           const ecp_publish_properties* props) {
  if (!running_ || stopping()) return ECP_ERR_WRONG_STATE;
  auto msg = std::make_shared<message>();
  msg->topic.assign(topic);
  msg->payload.assign(payload);
  msg->qos = qos;
  msg->retain = retain;
  msg->publisher.assign(publisher);
  msg->timestamp_ms = wall_clock_ms();
  if (!mqtt::valid_topic_name(msg->topic) || !mqtt::valid_utf8(msg->topic))
    return ECP_ERR_INVALID_ARGUMENT;
  if (props != nullptr) {
    auto converted = to_properties(*props, msg->expires_at);
    if (!converted) return ECP_ERR_INVALID_ARGUMENT;
    if (*converted != mqtt::properties{})
      msg->props = std::make_shared<const mqtt::properties>(std::move(*converted));
  }
  // Messages from plugins enter through the worker that owns the publisher's name, so
  // one plugin's messages keep their order.
  worker& w = *workers_[owner_of(publisher)];
  w.loop().post([&w, msg] { w.publish_from_host(msg); });
  return ECP_OK;
}

void broker::visit_metrics(const std::function<void(const ecp_metric&)>& each) {
  for (const auto& m : emqx_metrics(stats())) {
    const std::string name(m.name);
    ecp_metric out{};
    out.size = sizeof out;
    out.name = name.c_str();
    out.labels = "";
    out.help = "";
    out.type = m.gauge ? ECP_METRIC_GAUGE : ECP_METRIC_COUNTER;
    out.value = static_cast<double>(m.value);
    each(out);
  }
  for (const auto& family : metrics_.snapshot()) {
    for (const auto& sample : family.samples) {
      std::string labels;
      for (const auto& [k, v] : sample.labels)
        labels += (labels.empty() ? "" : ",") + k + "=" + v;
      ecp_metric out{};
      out.size = sizeof out;
      out.name = family.name.c_str();
      out.labels = labels.c_str();
      out.help = family.help.c_str();
      switch (family.type) {
        case runtime::metric_type::counter:
          out.type = ECP_METRIC_COUNTER;
          out.value = sample.value;
          break;
        case runtime::metric_type::gauge:
          out.type = ECP_METRIC_GAUGE;
          out.value = sample.value;
          break;
        case runtime::metric_type::histogram:
          out.type = ECP_METRIC_HISTOGRAM;
          out.value = sample.sum;
          out.count = sample.count;
          out.bounds = sample.bounds.data();
          out.cumulative = sample.buckets.data();
          out.bucket_count = sample.bounds.size();
          break;
      }
      each(out);
    }
  }
}

ecp_status broker::kick(const std::string& client_id) {
  if (!client_info(client_id)) return ECP_ERR_NOT_FOUND;
  worker& w = *workers_[owner_of(client_id)];
  w.loop().post([&w, client_id] {
    if (auto* slot = w.find_session(client_id); slot != nullptr && slot->ch != nullptr) {
      w.contained(slot->ch, "kick",
                  [](channel* ch) { ch->kick(mqtt::reason_code::administrative_action, false); });
    }
    w.request_flush();
  });
  return ECP_OK;
}

ecp_status broker::clear_authz_cache(const std::string& client_id) {
  if (client_id.empty()) {
    authz_epoch_.fetch_add(1, std::memory_order_acq_rel);
    return ECP_OK;
  }
  if (!client_info(client_id)) return ECP_ERR_NOT_FOUND;
  worker& w = *workers_[owner_of(client_id)];
  w.loop().post([&w, client_id] {
    if (auto* slot = w.find_session(client_id); slot != nullptr && slot->ch != nullptr)
      slot->ch->clear_authz_cache();
  });
  return ECP_OK;
}

ecp_status broker::subscribe(const std::string& client_id, const std::string& filter,
                             std::uint8_t qos, bool no_local, bool retain_as_published,
                             std::uint8_t retain_handling) {
  if (!client_info(client_id)) return ECP_ERR_NOT_FOUND;
  auto parsed = mqtt::parse_filter(filter);
  if (!parsed || !mqtt::valid_topic_filter(parsed->filter)) return ECP_ERR_INVALID_ARGUMENT;
  worker& w = *workers_[owner_of(client_id)];
  const mqtt::subscription_options opts{qos, no_local, retain_as_published, retain_handling};
  w.loop().post([&w, client_id, filter, opts] {
    if (auto* slot = w.find_session(client_id); slot != nullptr && slot->ch != nullptr) {
      w.contained(slot->ch, "subscribe",
                  [&](channel* ch) { ch->subscribe_on_behalf(filter, opts); });
    }
    w.request_flush();
  });
  return ECP_OK;
}

void broker::quiesce() {
  if (!running_) return;
  std::vector<std::future<void>> passed;
  for (auto& w : workers_) {
    if (w->loop().in_executor_thread()) continue;  // our own thread is not in a hook now
    auto p = std::make_shared<std::promise<void>>();
    passed.push_back(p->get_future());
    w->loop().post([p] { p->set_value(); });
  }
  for (auto& f : passed)
    f.wait();
}

}  // namespace emqx_cpp::broker
