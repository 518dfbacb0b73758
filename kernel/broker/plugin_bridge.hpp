// SPDX-License-Identifier: Apache-2.0
//
// Where broker objects meet the plugin ABI: the ecp_message a message.* hook sees, the
// event frame behind every ecp_event (so a hook can rewrite a topic filter), the
// client description hooks get, and the MQTT 5 properties plugins publish with.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/client_info.hpp"
#include "broker/message.hpp"
#include "emqx_cpp/plugin.h"
#include "mqtt/types.hpp"
#include "plugin/hook_runner.hpp"

// The ABI's opaque message: a broker message, writable only in message.publish.
struct ecp_message {
  emqx_cpp::broker::message* msg;
  bool writable;
};

namespace emqx_cpp::broker {

// An ecp_event with the broker's side of it. The event is the first member, so the
// pointer a plugin is given leads back here.
struct event_frame {
  ecp_event event{};
  ecp_client_info client{};
  std::string topic;                     // owned copy behind event.topic
  std::optional<std::string> rewritten;  // set by api_event_set_topic
  std::string auth_data;                 // owned copy behind event.auth_data
};

// Fills the client part of `frame` from `c` (strings point into `c`, which must outlive
// the hook call).
void describe_client(const client_info& c, bool clean_start, std::uint16_t keepalive,
                     event_frame& frame);
// `worker`: the index of the I/O worker that runs the hook.
void init_event(event_frame& frame, ecp_hook_point hook, std::uint32_t worker);

// The MQTT 5 properties of api_publish_v5, checked (UTF-8 strings, a response topic
// without wildcards, a size the plugin's header knows); the expiry goes to `expires_at`
// (a message keeps it there, never in its properties). nullopt for a bad one.
std::optional<mqtt::properties> to_properties(const ecp_publish_properties& in,
                                              steady_clock::time_point& expires_at);

// The reason code a refusing hook asked for, or Not authorized (0x87) when its code is
// not an MQTT error code.
mqtt::reason_code refusal_code(ecp_status code);
// Who refused, for the log line: the plugin that stopped the chain.
std::string refused_by(const plugin::chain_result& r);

// Fills the message and event members of the host API table.
void install_plugin_message_api(ecp_host_api& api);

}  // namespace emqx_cpp::broker
