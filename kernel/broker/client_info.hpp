// SPDX-License-Identifier: Apache-2.0
//
// Who a connection is, as authentication, authorization and the hooks see it.
#pragma once

#include <optional>
#include <string>

#include "mqtt/types.hpp"

namespace emqx_cpp::broker {

struct client_info {
  std::string client_id;
  std::optional<std::string> username;
  std::string peer;
  mqtt::protocol_version version = mqtt::protocol_version::v5;
  std::string listener;
  bool is_superuser = false;
};

}  // namespace emqx_cpp::broker
