// SPDX-License-Identifier: Apache-2.0
#include "runtime/process.hpp"

#include <nlohmann/json.hpp>

namespace emqx_cpp::runtime {

std::string exit_reason::to_string() const {
  switch (what) {
    case kind::normal:
      return "normal";
    case kind::shutdown:
      return "shutdown";
    case kind::killed:
      return "killed";
    case kind::error:
      return detail.empty() ? "error" : detail;
  }
  return "unknown";
}

namespace {
nlohmann::json state_to_json(const process_state& s) {
  nlohmann::json j{{"id", s.id},
                   {"type", s.type},
                   {"status", s.status},
                   {"restarts", s.restarts},
                   {"last_error", s.last_error}};
  if (s.type == "supervisor") {
    j["strategy"] = s.strategy;
    auto children = nlohmann::json::array();
    for (const auto& c : s.children)
      children.push_back(state_to_json(c));
    j["children"] = std::move(children);
  }
  return j;
}
}  // namespace

std::string to_json(const process_state& state) {
  return state_to_json(state).dump();
}

void process::set_exit_callback(exit_callback cb) {
  std::optional<exit_reason> pending;
  {
    std::lock_guard lock(exit_mutex_);
    exit_cb_ = std::move(cb);
    pending.swap(early_exit_);
  }
  if (pending) exit_cb_(*pending);
}

void process::notify_exit(exit_reason reason) {
  exit_callback cb;
  {
    std::lock_guard lock(exit_mutex_);
    if (exited_) return;
    exited_ = true;
    if (!exit_cb_) {
      early_exit_ = std::move(reason);
      return;
    }
    cb = exit_cb_;
  }
  cb(reason);
}

}  // namespace emqx_cpp::runtime
