// SPDX-License-Identifier: Apache-2.0
//
// Entry point of unit_contracts, the tests of the contract runner's own logic: packets
// to and from JSON, subset matching, case loading, and the frames a case sends.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
