// SPDX-License-Identifier: Apache-2.0
//
// The management seam: `emqx-cpp ctl` commands and REST routes that plugins register
// through the host API (api_register_ctl, api_register_route), served by the kernel's
// control socket and HTTP listener without the kernel knowing what they do. Requests
// are dispatched on the control thread; a plugin answers at once or later, from any
// thread, with api_mgmt_reply and the request id. A request nobody answers gets an
// error after `answer_timeout`; an owner that unloads answers its pending requests
// with an error and loses its commands and routes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "emqx_cpp/plugin.h"
#include "runtime/event_loop.hpp"

namespace emqx_cpp::mgmt {

// What a request gets back: for REST an HTTP status, a content type and a body; for
// ctl status 0 (ok) or anything else (error) and the text.
struct mgmt_answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};
using answer_fn = std::function<void(const mgmt_answer&)>;

class mgmt_registry {
 public:
  explicit mgmt_registry(runtime::event_loop& control,
                         std::chrono::milliseconds answer_timeout = std::chrono::seconds(30))
      : control_(control), answer_timeout_(answer_timeout) {}

  ecp_status register_ctl(const void* owner, const std::string& owner_name,
                          const std::string& command, const std::string& usage,
                          ecp_on_mgmt callback, void* user_data);
  ecp_status register_route(const void* owner, const std::string& owner_name,
                            const std::string& method, const std::string& path,
                            ecp_on_mgmt callback, void* user_data);
  // Removes what `owner` registered; its unanswered requests get an error now.
  void remove_owner(const void* owner);

  // Control thread. False when no plugin has the command / route (`answer` not called).
  bool dispatch_ctl(const std::vector<std::string>& words, answer_fn answer);
  bool dispatch_http(const std::string& method, const std::string& path, const std::string& query,
                     const std::string& body, answer_fn answer);

  // From a plugin, any thread: answers request `id` once.
  ecp_status reply(const void* owner, std::uint64_t id, mgmt_answer answer);

  // "command  usage" lines of the registered ctl commands, for `ctl help`.
  std::vector<std::string> ctl_usage() const;

 private:
  struct entry {
    const void* owner;
    std::string owner_name;
    std::string usage;
    ecp_on_mgmt callback;
    void* user_data;
  };
  struct pending {
    const void* owner;
    answer_fn answer;
    runtime::timer_id timer = 0;
  };
  // Calls the plugin with a request built from these parts; answers with an error when
  // the plugin refuses it.
  void call(const entry& e, const std::string& method, const std::string& path,
            const std::string& query, const std::vector<std::string>& args, const std::string& body,
            answer_fn answer);
  void finish(std::uint64_t id, const mgmt_answer& a);
  static bool path_matches(const std::string& pattern, const std::string& path,
                           std::vector<std::string>& args);

  runtime::event_loop& control_;
  const std::chrono::milliseconds answer_timeout_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> commands_;                        // by command
  std::map<std::pair<std::string, std::string>, entry> routes_;  // by (method, pattern)
  std::map<std::uint64_t, pending> pending_;
  std::uint64_t next_id_ = 1;
};

}  // namespace emqx_cpp::mgmt
