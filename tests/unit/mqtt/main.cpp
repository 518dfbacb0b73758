// SPDX-License-Identifier: Apache-2.0
//
// Entry point of unit_mqtt, the tests of the MQTT codec in kernel/mqtt: exact wire
// vectors per packet type and version, framing, every decoder rejection, topics and
// the primitive types.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
