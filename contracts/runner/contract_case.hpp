// SPDX-License-Identifier: Apache-2.0
//
// A contract case as loaded from contracts/cases/*.json, and the loader. Loading checks
// the shape of every case up front, so a typo in a case file is reported with its file
// and case name before anything is sent to a broker.
#pragma once

#include <string>
#include <vector>

#include "packet_json.hpp"

namespace emqx_contracts {

struct contract_case {
  std::string file;  // file name without directory and extension
  std::string name;
  std::vector<std::string> tags;        // given tags plus emqx:... names from the name
  std::vector<std::string> statements;  // MQTT-x.y.z-n ids named in the case name
  int version = 5;
  bool mosquitto_passes = true;
  std::string mosquitto_note;  // the reason given with "differs"
  json steps;
};

// Loads every *.json under each path (a file or a directory), sorted by file name; with
// `file_filters`, only files whose name contains one of them. Throws std::runtime_error
// naming file and case on a malformed file.
std::vector<contract_case> load_cases(const std::vector<std::string>& paths,
                                      const std::vector<std::string>& file_filters = {});

}  // namespace emqx_contracts
