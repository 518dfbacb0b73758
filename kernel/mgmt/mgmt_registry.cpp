// SPDX-License-Identifier: Apache-2.0
#include "mgmt/mgmt_registry.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace emqx_cpp::mgmt {

namespace {
mgmt_answer error_answer(int status, const std::string& code, const std::string& message) {
  // EMQX's error body: {"code": "...", "message": "..."}.
  return {status, "application/json", nlohmann::json{{"code", code}, {"message", message}}.dump()};
}

bool valid_word(const std::string& w) {
  if (w.empty()) return false;
  for (const char c : w) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-')) return false;
  }
  return true;
}
}  // namespace

ecp_status mgmt_registry::register_ctl(const void* owner, const std::string& owner_name,
                                       const std::string& command, const std::string& usage,
                                       ecp_on_mgmt callback, void* user_data) {
  // "plugins" and "help" are the kernel's own.
  if (!valid_word(command) || callback == nullptr || command == "plugins" || command == "help")
    return ECP_ERR_INVALID_ARGUMENT;
  std::lock_guard lock(mutex_);
  if (commands_.count(command) != 0) return ECP_ERR_BUSY;
  commands_.emplace(command, entry{owner, owner_name, usage, callback, user_data});
  return ECP_OK;
}

ecp_status mgmt_registry::register_route(const void* owner, const std::string& owner_name,
                                         const std::string& method, const std::string& path,
                                         ecp_on_mgmt callback, void* user_data) {
  if (callback == nullptr || path.rfind("/api/v5/", 0) != 0 ||
      (method != "GET" && method != "POST" && method != "PUT" && method != "DELETE"))
    return ECP_ERR_INVALID_ARGUMENT;
  std::lock_guard lock(mutex_);
  const auto key = std::make_pair(method, path);
  if (routes_.count(key) != 0) return ECP_ERR_BUSY;
  routes_.emplace(key, entry{owner, owner_name, "", callback, user_data});
  return ECP_OK;
}

void mgmt_registry::remove_owner(const void* owner) {
  std::vector<std::uint64_t> orphans;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(commands_, [&](const auto& kv) { return kv.second.owner == owner; });
    std::erase_if(routes_, [&](const auto& kv) { return kv.second.owner == owner; });
    for (const auto& [id, p] : pending_)
      if (p.owner == owner) orphans.push_back(id);
  }
  for (const auto id : orphans)
    finish(id, error_answer(503, "SERVICE_UNAVAILABLE", "the plugin was unloaded"));
}

bool mgmt_registry::path_matches(const std::string& pattern, const std::string& path,
                                 std::vector<std::string>& args) {
  // Segment by segment; ":name" takes any one non-empty segment.
  std::size_t p = 0;
  std::size_t q = 0;
  args.clear();
  while (p <= pattern.size() && q <= path.size()) {
    const std::size_t pe = std::min(pattern.find('/', p), pattern.size());
    const std::size_t qe = std::min(path.find('/', q), path.size());
    const std::string_view ps(pattern.data() + p, pe - p);
    const std::string_view qs(path.data() + q, qe - q);
    if (!ps.empty() && ps[0] == ':') {
      if (qs.empty()) return false;
      args.emplace_back(qs);
    } else if (ps != qs) {
      return false;
    }
    const bool pattern_done = pe == pattern.size();
    const bool path_done = qe == path.size();
    if (pattern_done || path_done) return pattern_done && path_done;
    p = pe + 1;
    q = qe + 1;
  }
  return false;
}

bool mgmt_registry::dispatch_ctl(const std::vector<std::string>& words, answer_fn answer) {
  if (words.empty()) return false;
  entry e;
  {
    std::lock_guard lock(mutex_);
    auto it = commands_.find(words[0]);
    if (it == commands_.end()) return false;
    e = it->second;
  }
  call(e, "CTL", words[0], "", std::vector<std::string>(words.begin() + 1, words.end()), {},
       std::move(answer));
  return true;
}

bool mgmt_registry::dispatch_http(const std::string& method, const std::string& path,
                                  const std::string& query, const std::string& body,
                                  answer_fn answer) {
  entry e;
  std::vector<std::string> args;
  {
    std::lock_guard lock(mutex_);
    bool found = false;
    for (const auto& [key, candidate] : routes_) {
      if (key.first == method && path_matches(key.second, path, args)) {
        e = candidate;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  call(e, method, path, query, args, body, std::move(answer));
  return true;
}

void mgmt_registry::call(const entry& e, const std::string& method, const std::string& path,
                         const std::string& query, const std::vector<std::string>& args,
                         const std::string& body, answer_fn answer) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    pending_.emplace(id, pending{e.owner, std::move(answer), 0});
  }
  const auto timer = control_.schedule(answer_timeout_, [this, id, name = e.owner_name] {
    finish(id, error_answer(504, "TIMEOUT", "plugin " + name + " did not answer in time"));
  });
  {
    std::lock_guard lock(mutex_);
    if (auto it = pending_.find(id); it != pending_.end()) it->second.timer = timer;
  }
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& a : args)
    argv.push_back(a.c_str());
  ecp_mgmt_request r{};
  r.size = sizeof r;
  r.id = id;
  r.method = method.c_str();
  r.path = path.c_str();
  r.query = query.c_str();
  r.args = argv.data();
  r.arg_count = argv.size();
  r.body = body.empty() ? nullptr : body.data();
  r.body_len = body.size();
  ecp_status st = ECP_ERR_CRASHED;
  try {
    st = e.callback(e.user_data, &r);
  } catch (...) {
    st = ECP_ERR_CRASHED;
  }
  if (st != ECP_OK)
    finish(id, error_answer(
                   500, "INTERNAL_ERROR",
                   fmt::format("plugin {} refused the request (status {})", e.owner_name, st)));
}

ecp_status mgmt_registry::reply(const void* owner, std::uint64_t id, mgmt_answer answer) {
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return ECP_ERR_NOT_FOUND;
    if (it->second.owner != owner) return ECP_ERR_INVALID_ARGUMENT;
  }
  if (control_.in_executor_thread()) {
    finish(id, answer);
  } else {
    control_.post([this, id, answer = std::move(answer)] { finish(id, answer); });
  }
  return ECP_OK;
}

void mgmt_registry::finish(std::uint64_t id, const mgmt_answer& a) {
  // Control thread only: the answer writes to a connection of the control loop.
  answer_fn answer;
  runtime::timer_id timer = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered already, or timed out
    answer = std::move(it->second.answer);
    timer = it->second.timer;
    pending_.erase(it);
  }
  control_.cancel(timer);
  answer(a);
}

std::vector<std::string> mgmt_registry::ctl_usage() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [command, e] : commands_)
    out.push_back(fmt::format("{:<12} {} (plugin {})", command, e.usage, e.owner_name));
  return out;
}

}  // namespace emqx_cpp::mgmt
