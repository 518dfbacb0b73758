// SPDX-License-Identifier: Apache-2.0
#include "contract_case.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>

namespace emqx_contracts {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view step_kinds[] = {
    "connect",      "open",           "send",    "expect",     "expect_any_order",
    "expect_close", "expect_silence", "wait_ms", "disconnect", "close"};

void check_step(const json& step) {
  if (!step.is_object()) throw std::runtime_error("a step is not an object");
  std::size_t kinds = 0;
  for (const auto kind : step_kinds)
    kinds += step.contains(kind) ? 1 : 0;
  // A connect step's "expect" is the CONNACK it waits for, not a step of its own.
  if (step.contains("connect") && step.contains("expect")) --kinds;
  if (kinds != 1)
    throw std::runtime_error("step " + step.dump() +
                             " must have exactly one of: connect, open, "
                             "send, expect, expect_any_order, expect_close, expect_silence, "
                             "wait_ms, disconnect, close");
  if (step.contains("send") && !step.contains("packet") && !step.contains("hex"))
    throw std::runtime_error("send step without \"packet\" or \"hex\": " + step.dump());
  if (step.contains("expect") && !step.contains("connect") && !step.contains("packet") &&
      !step.contains("hex"))
    throw std::runtime_error("expect step without \"packet\" or \"hex\": " + step.dump());
  if (step.contains("expect_any_order") && !step.value("packets", json()).is_array())
    throw std::runtime_error("expect_any_order step without \"packets\" list: " + step.dump());
  if (step.contains("hex")) bytes_of_hex(step.at("hex").get<std::string>());
}

contract_case parse_case(const json& c, const std::string& file, int file_version) {
  contract_case out;
  out.file = file;
  out.name = c.at("name").get<std::string>();
  out.version = c.value("version", file_version);
  if (out.version < 3 || out.version > 5) throw std::runtime_error("version must be 3, 4 or 5");
  if (c.contains("tags"))
    for (const auto& t : c.at("tags"))
      out.tags.push_back(t.get<std::string>());
  static const std::regex statement(R"(MQTT-\d+(\.\d+)*-\d+)");
  static const std::regex behaviour(R"(emqx:[A-Za-z0-9_./-]+)");
  for (auto it = std::sregex_iterator(out.name.begin(), out.name.end(), statement);
       it != std::sregex_iterator(); ++it)
    out.statements.push_back(it->str());
  for (auto it = std::sregex_iterator(out.name.begin(), out.name.end(), behaviour);
       it != std::sregex_iterator(); ++it)
    out.tags.push_back(it->str());
  if (out.statements.empty() &&
      std::none_of(out.tags.begin(), out.tags.end(),
                   [](const std::string& t) { return t.rfind("emqx:", 0) == 0; }))
    throw std::runtime_error("the name neither cites [MQTT-x.y.z-n] nor carries an emqx: tag");
  const std::string m = c.at("mosquitto").get<std::string>();
  if (m == "pass") {
    out.mosquitto_passes = true;
  } else if (m.rfind("differs", 0) == 0) {
    // "differs: reason" or "differs — reason" (the em dash is three bytes).
    std::string rest = m.substr(7);
    const std::string dash = "\u2014";
    for (;;) {
      if (!rest.empty() && (rest[0] == ' ' || rest[0] == ':' || rest[0] == '-'))
        rest.erase(0, 1);
      else if (rest.rfind(dash, 0) == 0)
        rest.erase(0, dash.size());
      else
        break;
    }
    if (rest.empty()) throw std::runtime_error("\"differs\" needs a reason");
    out.mosquitto_passes = false;
    out.mosquitto_note = rest;
  } else {
    throw std::runtime_error("\"mosquitto\" must be \"pass\" or \"differs: <reason>\"");
  }
  out.steps = c.at("steps");
  if (!out.steps.is_array() || out.steps.empty()) throw std::runtime_error("no steps");
  for (const auto& s : out.steps)
    check_step(s);
  return out;
}

}  // namespace

std::vector<contract_case> load_cases(const std::vector<std::string>& paths,
                                      const std::vector<std::string>& file_filters) {
  std::vector<fs::path> files;
  auto wanted = [&](const fs::path& f) {
    if (file_filters.empty()) return true;
    const std::string stem = f.stem().string();
    return std::any_of(file_filters.begin(), file_filters.end(),
                       [&](const std::string& w) { return stem.find(w) != std::string::npos; });
  };
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      for (const auto& e : fs::directory_iterator(p))
        if (e.path().extension() == ".json" && wanted(e.path())) files.push_back(e.path());
    } else if (wanted(p)) {
      files.emplace_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<contract_case> out;
  std::set<std::string> names;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) throw std::runtime_error(f.string() + ": cannot open");
    json doc;
    try {
      doc = json::parse(in);
    } catch (const json::exception& e) {
      throw std::runtime_error(f.string() + ": " + e.what());
    }
    const int file_version = doc.value("version", 5);
    if (!doc.contains("cases") || !doc.at("cases").is_array())
      throw std::runtime_error(f.string() + ": no \"cases\" list");
    for (const auto& c : doc.at("cases")) {
      const std::string name = c.value("name", std::string("(unnamed)"));
      try {
        out.push_back(parse_case(c, f.stem().string(), file_version));
      } catch (const std::exception& e) {
        throw std::runtime_error(f.string() + ": case \"" + name + "\": " + e.what());
      }
      if (!names.insert(out.back().name).second)
        throw std::runtime_error(f.string() + ": case \"" + name + "\" is named twice");
    }
  }
  return out;
}

}  // namespace emqx_contracts
