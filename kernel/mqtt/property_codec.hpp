// SPDX-License-Identifier: Apache-2.0
//
// Decoding of MQTT 5 property blocks, shared by the packet decoders.
#pragma once

#include "mqtt/properties.hpp"
#include "mqtt/wire.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::mqtt {

// Reads a property length and block from `r` into `out`. Unknown ids, wrong types,
// properties not allowed in `where`, forbidden repeats and out-of-range values are
// errors with the reason code to close with.
result<void> decode_properties(wire_reader& r, property_context where, bool strict,
                               properties& out);

// The property block without its length prefix: its size, and the bytes.
std::size_t property_body_size(const properties& p);
void encode_property_body(const properties& p, bytes& out);

}  // namespace emqx_cpp::mqtt
