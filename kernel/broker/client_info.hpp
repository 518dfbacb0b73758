// SPDX-License-Identifier: Apache-2.0
//
// Who a connection is, as authentication, authorization and the hooks see it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mqtt/types.hpp"

namespace emqx_cpp::broker {

struct client_info {
  std::string client_id;
  std::optional<std::string> username;
  std::string peer;
  // "<type>:<name>", as EMQX names listeners (ACL rules match on it): a view of the
  // listener's own id, which lives as long as the broker. Null-terminated.
  std::string_view listener = "";
  mqtt::protocol_version version = mqtt::protocol_version::v5;
  bool is_superuser = false;
};

}  // namespace emqx_cpp::broker
