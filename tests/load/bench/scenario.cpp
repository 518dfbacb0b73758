// SPDX-License-Identifier: Apache-2.0
//
// The connection plan of each mode. Pair i's publisher and subscriber share a thread,
// so with --threads the window credit of a pair stays within one event loop.
#include "scenario.hpp"

#include <unistd.h>

#include <unordered_map>

#include "mqtt/topic.hpp"

namespace emqx_bench {
namespace {

std::string expand(const std::string& pattern, std::uint32_t i) {
  std::string out;
  out.reserve(pattern.size() + 8);
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    if (pattern[k] == '%' && k + 1 < pattern.size() && pattern[k + 1] == 'i') {
      out += std::to_string(i);
      ++k;
    } else {
      out += pattern[k];
    }
  }
  return out;
}

// Connections per source address before the next is used: well inside the 28k
// ephemeral ports of one (source, destination) pair, with room for TIME_WAIT.
constexpr std::size_t per_source_addr = 10000;

}  // namespace

std::string plan_scenario(const options& o, std::size_t fd_budget, scenario_plan& out) {
  std::uint32_t pubs = 0, subs = 0, idle = 0;
  std::string pub_topic = o.topic, sub_topic = o.sub_topic;
  switch (o.run_mode) {
    case mode::conn:
      idle = o.clients ? o.clients : 1000;
      break;
    case mode::pub:
      pubs = o.clients ? o.clients : 1;
      if (pub_topic.empty()) pub_topic = "bench/%i";
      break;
    case mode::sub:
      subs = o.clients ? o.clients : 1;
      if (sub_topic.empty()) sub_topic = o.topic.empty() ? "bench/#" : o.topic;
      break;
    case mode::pair:
      pubs = subs = o.clients ? o.clients : 10;
      if (pub_topic.empty()) pub_topic = "t/%i";
      if (sub_topic.empty()) sub_topic = pub_topic;
      break;
    case mode::fanin:
      pubs = o.clients ? o.clients : 100;
      subs = o.subscribers ? o.subscribers : 1;
      if (pub_topic.empty()) pub_topic = "t/%i";
      if (sub_topic.empty()) {
        const auto slash = pub_topic.rfind('/');
        sub_topic = slash == std::string::npos ? "#" : pub_topic.substr(0, slash + 1) + "#";
      }
      break;
    case mode::fanout:
      pubs = o.clients ? o.clients : 1;
      subs = o.subscribers ? o.subscribers : 100;
      if (pub_topic.empty()) pub_topic = "t/all";
      if (sub_topic.empty()) sub_topic = pub_topic;
      break;
  }
  const std::size_t total = std::size_t{pubs} + subs + idle;
  if (total > fd_budget)
    return "asked for " + std::to_string(total) + " connections but the file limit allows " +
           std::to_string(fd_budget) + " (ulimit -n)";

  const std::string prefix = o.prefix.empty() ? "bench-" + std::to_string(getpid()) : o.prefix;
  const bool loopback = o.host.rfind("127.", 0) == 0;
  std::size_t ordinal = 0;
  auto source_of = [&]() -> std::string {
    const std::size_t k = ordinal++;
    if (!o.ifaddrs.empty()) return o.ifaddrs[k % o.ifaddrs.size()];
    if (loopback && total > per_source_addr)
      return "127.0.0." + std::to_string(1 + k / per_source_addr);
    return "";
  };
  auto& plans = out.clients;
  plans.reserve(total);
  auto plan = [&](role what, std::uint32_t i, const char* tag, const std::string& topic) {
    client_plan p;
    p.what = what;
    p.index = i;
    p.client_id = prefix + tag + std::to_string(i);
    if (!topic.empty()) p.topic = expand(topic, i);
    p.source_addr = source_of();
    p.thread = i % o.threads;
    return p;
  };
  // Subscribers first: they are connected and subscribed before anyone publishes anyway,
  // and this order opens them first.
  for (std::uint32_t i = 0; i < subs; ++i)
    plans.push_back(plan(role::subscriber, i, "-s", sub_topic));
  // How many subscriptions match each publish topic: literal filters by lookup,
  // wildcard filters one by one.
  std::unordered_map<std::string, std::uint32_t> literal;
  std::unordered_map<std::string, std::uint32_t> wildcard;
  for (const auto& p : plans) {
    if (emqx_cpp::mqtt::has_wildcard(p.topic))
      ++wildcard[p.topic];
    else
      ++literal[p.topic];
  }
  for (std::uint32_t i = 0; i < pubs; ++i) {
    client_plan p = plan(role::publisher, i, "-p", pub_topic);
    if (auto it = literal.find(p.topic); it != literal.end()) p.fanout += it->second;
    for (const auto& [filter, count] : wildcard)
      if (emqx_cpp::mqtt::topic_matches(filter, p.topic)) p.fanout += count;
    plans.push_back(std::move(p));
  }
  for (std::uint32_t i = 0; i < idle; ++i)
    plans.push_back(plan(role::idle, i, "-c", ""));
  out.publishers = pubs;
  out.subscribers = subs;
  out.pub_topic = pub_topic;
  out.sub_topic = sub_topic;
  return {};
}

}  // namespace emqx_bench
