// SPDX-License-Identifier: Apache-2.0
//
// Builds the ecp_host_api table the broker hands to every plugin. The message and
// event accessors are left for the broker to fill in, since it owns those objects.
#pragma once

#include "emqx_cpp/plugin.h"

namespace emqx_cpp::plugin {

ecp_host_api make_host_api();

}  // namespace emqx_cpp::plugin
