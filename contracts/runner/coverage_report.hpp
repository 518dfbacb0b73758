// SPDX-License-Identifier: Apache-2.0
//
// contracts/COVERAGE.md: which of the MQTT 5.0 normative statements a server must
// honour (the list in contracts/normative/mqtt-5.0.tsv) the cases prove, and which not.
#pragma once

#include <string>
#include <vector>

#include "contract_case.hpp"

namespace emqx_contracts {

// Throws std::runtime_error when the statement list cannot be read or written.
void write_coverage(const std::vector<contract_case>& cases, const std::string& normative_tsv,
                    const std::string& out_path);

}  // namespace emqx_contracts
