// SPDX-License-Identifier: Apache-2.0
//
// The event loop of one bench thread. Each iteration: wait for socket readiness, read
// and react (acks, deliveries), append what the schedule allows, then write every
// connection that has output once. Timing is taken from CLOCK_MONOTONIC once per
// iteration and once per read, never per message.
#include "worker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace emqx_bench {
namespace {

constexpr std::uint64_t ms = 1'000'000;
constexpr std::uint64_t handshake_timeout_ns = 30'000 * ms;
constexpr std::uint64_t stall_ns = 1'000 * ms;
// Messages a publisher appends per iteration at most, so reading keeps up with writing.
constexpr std::uint32_t max_batch = 64;

}  // namespace

worker::worker(run_state& shared, unsigned id, const sockaddr_in& broker)
    : shared_(shared), id_(id), broker_(broker) {
  const options& o = shared_.opts;
  window_ = o.window ? o.window : (o.rate > 0 || o.open_loop ? 0 : 100);
  if (o.rate == 0) batch_ns_ = static_cast<std::uint64_t>(o.batch_us < 0 ? 100 : o.batch_us) * 1000;
  wake_.assign(shared_.counters.size(), 0);
  wake_fd_ = shared_.wake_fds[id_];
}

worker::~worker() {
  conns_.clear();
  if (timer_fd_ >= 0) close(timer_fd_);
  if (epfd_ >= 0) close(epfd_);
}

void worker::add(const client_plan& plan) {
  conns_.push_back(std::make_unique<connection>(*this, plan));
  if (plan.what == role::publisher) publishers_.push_back(conns_.back().get());
}

void worker::watch(connection& c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd(), &ev) != 0 && errno == ENOENT)
    epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd(), &ev);
}

void worker::handshake_done(connection& c, bool ok, std::uint64_t now) {
  --pending_;
  totals_.last_handshake_ns = now;
  if (ok) {
    ++totals_.connect_ok;
    ++open_;
  } else {
    ++totals_.connect_failed;
    ++totals_.failures[c.failure()];
  }
}

void worker::lost_connection(connection& c) {
  ++totals_.lost_connections;
  ++totals_.failures[c.failure()];
  --open_;
  inflight_ -= c.inflight();
}

void worker::start_connects(std::uint64_t now) {
  const std::uint32_t limit = shared_.opts.conn_pending;
  while (next_connect_ < conns_.size() && pending_ < limit) {
    if (totals_.first_connect_ns == 0) totals_.first_connect_ns = now;
    ++pending_;
    conns_[next_connect_++]->start(broker_, now);
  }
  if (!connect_done_ && next_connect_ == conns_.size() && pending_ == 0) {
    connect_done_ = true;
    publish_counters();
    shared_.counters[id_].connect_done.store(true, std::memory_order_release);
  }
}

bool worker::produce(std::uint64_t now) {
  if (now < start_ns_ || now >= meas_end_ns_) return false;
  if (rate_ > 0) {
    produce_rate(now);
    return false;
  }
  return produce_max(now);
}

bool worker::produce_max(std::uint64_t now) {
  bool more = false;
  for (connection* c : publishers_) {
    const std::uint32_t room = c->room();
    if (room == 0 || room < c->refill_min()) continue;
    c->publish(now, std::min(room, max_batch));
    if (room > max_batch) more = true;
  }
  return more;
}

void worker::produce_rate(std::uint64_t now) {
  const auto due = static_cast<std::uint64_t>(rate_ * static_cast<double>(now - start_ns_) / 1e9);
  if (due <= scheduled_) return;
  // More than a second behind: the broker cannot take the rate; do not burst to catch
  // up, the shortfall shows in the achieved rate.
  const auto cap = static_cast<std::uint64_t>(std::max(1.0, rate_));
  if (due - scheduled_ > cap) scheduled_ = due - cap;
  std::uint64_t debt = due - scheduled_;
  const std::size_t n = publishers_.size();
  while (debt > 0) {
    bool progressed = false;
    for (std::size_t k = 0; k < n && debt > 0; ++k) {
      connection* c = publishers_[rr_];
      rr_ = rr_ + 1 == n ? 0 : rr_ + 1;
      if (c->room() == 0) continue;
      c->publish(now, 1);
      --debt;
      ++scheduled_;
      progressed = true;
    }
    if (!progressed) break;
  }
}

void worker::flush_dirty() {
  // A flush may fail a connection, which never adds to the list; index, not iterators.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    connection* c = dirty_[i];
    c->set_dirty(false);
    c->flush();
  }
  dirty_.clear();
}

void worker::housekeeping(std::uint64_t now) {
  if (now < next_housekeeping_ns_) return;
  next_housekeeping_ns_ = now + 100 * ms;
  const bool publishing = now >= start_ns_ && now < meas_end_ns_;
  if (publishing) {
    for (connection* c : publishers_)
      if (c->check_stall(now, stall_ns)) ++totals_.window_stalls;
  }
  if (now < next_keepalive_ns_) return;
  next_keepalive_ns_ = now + 1000 * ms;
  for (auto& c : conns_) {
    const auto st = c->current();
    if (st == connection::state::ready) {
      c->keepalive(now);
    } else if ((st == connection::state::connecting || st == connection::state::awaiting_connack ||
                st == connection::state::awaiting_suback) &&
               now - c->started_ns() > handshake_timeout_ns) {
      errno = ETIMEDOUT;
      c->fail("handshake");
    }
  }
}

void worker::publish_counters() {
  thread_counters& tc = shared_.counters[id_];
  tc.sent.store(sent_, std::memory_order_relaxed);
  tc.expected.store(expected_, std::memory_order_relaxed);
  tc.received.store(received_, std::memory_order_relaxed);
  tc.unique.store(unique_, std::memory_order_relaxed);
  tc.inflight.store(inflight_, std::memory_order_relaxed);
  tc.open.store(open_, std::memory_order_relaxed);
}

void worker::wake_publishers() {
  for (std::size_t t = 0; t < wake_.size(); ++t) {
    if (!wake_[t]) continue;
    wake_[t] = 0;
    if (shared_.counters[t].waiting_credit.exchange(false)) {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto r = write(shared_.wake_fds[t], &one, sizeof one);
    }
  }
}

void worker::shutdown() {
  for (auto& c : conns_)
    c->send_disconnect();
  flush_dirty();
  for (auto& c : conns_)
    c->close_socket();
  publish_counters();
}

void worker::run() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_fd_;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);

  const options& o = shared_.opts;
  std::size_t all_publishers = shared_.credit.size();
  if (o.rate > 0 && !publishers_.empty() && all_publishers > 0) {
    rate_ = o.rate * static_cast<double>(publishers_.size()) / static_cast<double>(all_publishers);
    // Ticks short enough that each sends a couple of messages, so the load is smooth
    // and a latency sample does not wait behind a large burst.
    const double tick = o.tick_us ? o.tick_us * 1e3 : std::clamp(2e9 / rate_, 100e3, 10e6);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    itimerspec its{};
    its.it_interval.tv_sec = static_cast<time_t>(tick / 1e9);
    its.it_interval.tv_nsec = static_cast<long>(std::fmod(tick, 1e9));
    its.it_value = its.it_interval;
    timerfd_settime(timer_fd_, 0, &its, nullptr);
    ev.data.ptr = &timer_fd_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, timer_fd_, &ev);
  }

  // Short sleeps below must not overshoot by the default 50 us of timer slack.
  if (batch_ns_) prctl(PR_SET_TIMERSLACK, 5000UL, 0, 0, 0);

  std::vector<epoll_event> events(512);
  bool more = false;
  bool running = false;
  std::uint64_t iteration_start = 0;
  for (;;) {
    const phase ph = shared_.current.load(std::memory_order_acquire);
    if (ph == phase::stop) break;
    std::uint64_t now = now_ns();
    // At max rate, let messages pile up in the sockets for a moment: one read or write
    // then carries tens of messages instead of one, and the tool's cost per message
    // (mostly kernel TCP work per syscall) stays far below the broker's. Throughput is
    // unaffected as long as the window covers rate x batch time; latency at max rate
    // is queueing anyway.
    if (batch_ns_ && running && now >= start_ns_ && now < meas_end_ns_ &&
        now < iteration_start + batch_ns_) {
      const std::uint64_t until = iteration_start + batch_ns_;
      timespec ts{static_cast<time_t>(until / 1'000'000'000ULL),
                  static_cast<long>(until % 1'000'000'000ULL)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      now = now_ns();
    }
    iteration_start = now;
    if (!running && ph != phase::connect) {
      running = true;
      start_ns_ = shared_.start_ns.load(std::memory_order_relaxed);
      warm_end_ns_ = shared_.warm_end_ns.load(std::memory_order_relaxed);
      meas_end_ns_ = shared_.meas_end_ns.load(std::memory_order_relaxed);
    }
    if (next_connect_ < conns_.size() || !connect_done_) start_connects(now);
    more = produce(now);
    flush_dirty();
    housekeeping(now);
    publish_counters();
    wake_publishers();

    int timeout = 10;
    if (more) {
      timeout = 0;
    } else if (running && rate_ == 0 && now >= start_ns_ && now < meas_end_ns_ &&
               !publishers_.empty()) {
      // Out of window: credit comes from our own sockets, or from another thread, which
      // writes our eventfd when it sees this flag.
      if (shared_.counters.size() > 1) {
        shared_.counters[id_].waiting_credit.store(true);
        timeout = 1;
      }
    } else if (running && now < start_ns_) {
      timeout = static_cast<int>(std::min<std::uint64_t>((start_ns_ - now) / ms, 10));
    }
    const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    ++totals_.epoll_waits;
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      void* p = events[static_cast<std::size_t>(i)].data.ptr;
      if (p == &timer_fd_ || p == &wake_fd_) {
        std::uint64_t v;
        [[maybe_unused]] auto r = read(p == &timer_fd_ ? timer_fd_ : wake_fd_, &v, sizeof v);
        continue;
      }
      static_cast<connection*>(p)->on_event(events[static_cast<std::size_t>(i)].events, now);
    }
  }
  shutdown();
  shared_.counters[id_].finished.store(true, std::memory_order_release);
}

}  // namespace emqx_bench
