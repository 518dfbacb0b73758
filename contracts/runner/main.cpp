// SPDX-License-Identifier: Apache-2.0
//
// contract-runner: plays the contract cases (contracts/cases/*.json) against an MQTT
// broker and reports `N passed, N failed`. See contracts/README.md for the case format.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "case_runner.hpp"
#include "contract_case.hpp"
#include "coverage_report.hpp"

using namespace emqx_contracts;

namespace {

struct options {
  run_settings run;
  std::string broker = "emqx-cpp";
  std::vector<std::string> files, tags, names, paths;
  std::string coverage_out, normative = "contracts/normative/mqtt-5.0.tsv", corpus_out;
};

const char* usage =
    "usage: contract-runner [--host H] [--port P] [--broker emqx-cpp|mosquitto]\n"
    "                       [--file SUBSTR] [--tag TAG] [--name SUBSTR] [--timeout-ms N]\n"
    "                       [--verbose] [--coverage FILE [--normative TSV]] [--corpus DIR]\n"
    "                       CASES (files or directories)\n";

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host")
      o.run.host = value();
    else if (a == "--port")
      o.run.port = static_cast<std::uint16_t>(std::stoul(value()));
    else if (a == "--broker")
      o.broker = value();
    else if (a == "--file")
      o.files.push_back(value());
    else if (a == "--tag")
      o.tags.push_back(value());
    else if (a == "--name")
      o.names.push_back(value());
    else if (a == "--timeout-ms")
      o.run.timeout = std::chrono::milliseconds(std::stol(value()));
    else if (a == "--verbose" || a == "-v")
      o.run.verbose = true;
    else if (a == "--coverage")
      o.coverage_out = value();
    else if (a == "--normative")
      o.normative = value();
    else if (a == "--corpus")
      o.corpus_out = value();
    else if (a == "--help" || a == "-h")
      return false;
    else if (!a.empty() && a[0] == '-')
      throw std::invalid_argument("unknown option " + a);
    else
      o.paths.push_back(a);
  }
  if (o.broker != "emqx-cpp" && o.broker != "mosquitto")
    throw std::invalid_argument("--broker is emqx-cpp or mosquitto");
  if (o.paths.empty()) o.paths.emplace_back("contracts/cases");
  return true;
}

bool any_contains(const std::vector<std::string>& wanted, const std::string& s) {
  for (const auto& w : wanted)
    if (s.find(w) != std::string::npos) return true;
  return false;
}

bool selected(const options& o, const contract_case& c) {
  if (!o.files.empty() && !any_contains(o.files, c.file)) return false;
  if (!o.names.empty() && !any_contains(o.names, c.name)) return false;
  if (!o.tags.empty()) {
    bool hit = false;
    for (const auto& t : c.tags)
      hit = hit || std::find(o.tags.begin(), o.tags.end(), t) != o.tags.end();
    if (!hit) return false;
  }
  return true;
}

// Every client's frames as one seed: first byte the version, as the decoder fuzzer reads.
int write_corpus(const std::vector<contract_case>& cases, const std::string& dir) {
  std::set<std::string> seen;
  std::size_t written = 0;
  for (const auto& c : cases) {
    for (const auto& [name, stream] : client_streams(c, "seed")) {
      if (stream.second.empty()) continue;
      std::string seed(1, static_cast<char>(stream.first));
      seed += stream.second;
      if (!seen.insert(seed).second) continue;
      std::ostringstream file;
      file << dir << "/contract-" << std::hex << std::hash<std::string>{}(seed);
      std::ofstream(file.str(), std::ios::binary) << seed;
      ++written;
    }
  }
  std::cout << "wrote " << written << " seeds to " << dir << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::vector<contract_case> cases;
  try {
    if (!parse(argc, argv, o)) {
      std::cout << usage;
      return 0;
    }
    cases = load_cases(o.paths, o.files);
  } catch (const std::exception& e) {
    std::cerr << "contract-runner: " << e.what() << "\n" << usage;
    return 2;
  }
  if (!o.corpus_out.empty()) return write_corpus(cases, o.corpus_out);
  if (!o.coverage_out.empty()) {
    try {
      write_coverage(cases, o.normative, o.coverage_out);
    } catch (const std::exception& e) {
      std::cerr << "contract-runner: " << e.what() << "\n";
      return 2;
    }
    std::cout << "wrote " << o.coverage_out << "\n";
    return 0;
  }

  const bool check_annotations = o.broker == "mosquitto";
  std::size_t passed = 0, failed = 0, ordinal = 0;
  // Appended rather than `"k" + to_string(...)`, which trips GCC 12's -Wrestrict.
  std::string run_id = "k";
  run_id += std::to_string(getpid() % 100000);
  for (const auto& c : cases) {
    if (!selected(o, c)) continue;
    const std::string token = run_id + "x" + std::to_string(++ordinal);
    const case_outcome r = run_case(c, o.run, token);
    const bool expected_pass = !check_annotations || c.mosquitto_passes;
    const bool ok = r.passed == expected_pass;
    (ok ? passed : failed)++;
    if (!ok || o.run.verbose) {
      std::cout << (ok ? "ok   " : "FAIL ") << c.file << ": " << c.name << "\n";
      if (!ok && r.passed)
        std::cout << "     annotated `differs: " << c.mosquitto_note << "` but passed against "
                  << o.broker << "\n";
      else if (!r.passed)
        std::cout << "     " << r.failure
                  << (check_annotations && !c.mosquitto_passes ? " (annotated: differs)" : "")
                  << "\n";
      for (const auto& line : r.log)
        std::cout << "       " << line << "\n";
    }
  }
  std::cout << "contract-runner against " << o.broker << " at " << o.run.host << ":" << o.run.port
            << ": " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
