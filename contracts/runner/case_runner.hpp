// SPDX-License-Identifier: Apache-2.0
//
// Plays one contract case against a broker: opens the named clients, sends what the
// steps say, and checks each expectation against the frames that come back.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "contract_case.hpp"

namespace emqx_contracts {

struct run_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::chrono::milliseconds timeout{2000};
  bool verbose = false;
};

struct case_outcome {
  bool passed = false;
  std::string failure;           // which step, what was expected, what came instead
  std::vector<std::string> log;  // with verbose: every frame both ways
};

// `token` makes the case's $case names unique to this run.
case_outcome run_case(const contract_case& c, const run_settings& s, const std::string& token);

// What each client of the case sends, frame by frame, computed without a broker:
// client name -> (protocol version, concatenated frames). Seeds for the decoder fuzzer.
std::map<std::string, std::pair<int, std::string>> client_streams(const contract_case& c,
                                                                  const std::string& token);

// Subset match (contracts/README.md, "Matching"): empty if `actual` satisfies
// `expected`, else the path and values that differ.
std::string subset_mismatch(const json& expected, const json& actual, const std::string& path = "");

}  // namespace emqx_contracts
