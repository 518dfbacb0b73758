// SPDX-License-Identifier: Apache-2.0
//
// What `emqx-cpp ctl` can ask a running node, and how the node answers: the requests
// the control socket accepts, mapped onto the plugin manager, and the commands plugins
// add through the management seam.
#pragma once

#include <functional>
#include <string>

#include "mgmt/mgmt_registry.hpp"
#include "plugin/plugin_manager.hpp"

namespace emqx_cpp::app {

// Handles one request line ("plugins list", "plugins reload topic_rewrite", "help", or a
// plugin's command).
void handle_ctl_request(plugin::plugin_manager& plugins, mgmt::mgmt_registry& mgmt,
                        const std::string& request,
                        const std::function<void(const std::string&)>& reply);

}  // namespace emqx_cpp::app
