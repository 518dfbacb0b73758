// SPDX-License-Identifier: Apache-2.0
#include "broker/broker.hpp"

#include <fmt/format.h>

#include <future>

#include "broker/sys_topics.hpp"
#include "broker/worker.hpp"
#include "runtime/log.hpp"

namespace emqx_cpp::broker {

broker::broker(config::broker_config cfg) : cfg_(std::move(cfg)), retainer_(cfg_.retainer) {
  for (const auto& l : cfg_.tcp_listeners) {
    if (!l.enable) continue;
    auto state = std::make_unique<listener_state>();
    state->cfg = l;
    listeners_.push_back(std::move(state));
  }
  std::size_t n = cfg_.node.worker_threads > 0 ? static_cast<std::size_t>(cfg_.node.worker_threads)
                                               : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (std::size_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<worker>(*this, static_cast<std::uint16_t>(i), n));
}

broker::~broker() {
  stop();
}

std::uint16_t broker::owner_of(std::string_view client_id) const {
  return static_cast<std::uint16_t>(std::hash<std::string_view>{}(client_id) % workers_.size());
}

result<void> broker::start() {
  auto log = runtime::logger_for("broker");
  started_at_ms_ = wall_clock_ms();
  // Sockets are opened before the loops run: the first worker binds (port 0 picks a
  // free port) and the others join the same port with SO_REUSEPORT.
  for (std::size_t li = 0; li < listeners_.size(); ++li) {
    auto& l = *listeners_[li];
    std::uint16_t port = l.cfg.port;
    for (auto& w : workers_) {
      auto bound = w->open_listener(li, port);
      if (!bound) {
        for (auto& each : workers_)
          each->close_listeners();
        return make_error(fmt::format("listener tcp:{}: {}", l.cfg.name, bound.err().message));
      }
      port = bound.value();
    }
    l.port = port;
    log->info("listener_started name=tcp:{} bind={}:{} workers={}", l.cfg.name, l.cfg.host, port,
              workers_.size());
  }
  for (auto& w : workers_) {
    worker* raw = w.get();
    threads_.emplace_back([raw] {
      pthread_setname_np(pthread_self(), fmt::format("io-worker-{}", raw->index()).c_str());
      raw->run();
    });
  }
  sys_ = std::make_unique<sys_publisher>(*this, *workers_.front());
  workers_.front()->loop().post([this] { sys_->start(); });
  running_ = true;
  return {};
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

broker_stats broker::stats() {
  broker_stats s;
  for (auto& w : workers_) {
    auto& ws = w->stats();
    auto get = [](const std::atomic<std::uint64_t>& a) {
      return a.load(std::memory_order_relaxed);
    };
    s.connections += get(ws.connections);
    s.sessions += get(ws.sessions);
    s.subscriptions += get(ws.subscriptions);
    s.shared_subscriptions += get(ws.shared_subscriptions);
    s.bytes_received += get(ws.bytes_received);
    s.bytes_sent += get(ws.bytes_sent);
    s.packets_received += get(ws.packets_received);
    s.packets_sent += get(ws.packets_sent);
    s.messages_received += get(ws.messages_received);
    s.messages_sent += get(ws.messages_sent);
    s.messages_dropped += get(ws.messages_dropped);
    s.messages_retained += get(ws.messages_retained);
    s.client_connected += get(ws.client_connected);
    s.client_disconnected += get(ws.client_disconnected);
  }
  // Every replica holds every route; the first one's counts are the node's.
  s.routes = workers_.front()->route_count();
  s.topics = workers_.front()->filter_count();
  s.retained = retainer_.size();
  return s;
}

}  // namespace emqx_cpp::broker
