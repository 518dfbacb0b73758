// SPDX-License-Identifier: Apache-2.0
#include "case_runner.hpp"

#include <memory>
#include <regex>
#include <thread>

#include "broker_connection.hpp"
#include "mqtt/codec.hpp"

namespace emqx_contracts {

namespace mqtt = emqx_cpp::mqtt;

namespace {

constexpr const char* connect_fields[] = {"client_id", "clean_start", "keep_alive", "username",
                                          "password",  "will",        "properties"};

mqtt::protocol_version to_version(int v) {
  return static_cast<mqtt::protocol_version>(v);
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Applies $client:NAME and $case to every string in `j`.
json substitute(const json& j, const std::string& token,
                const std::map<std::string, std::string>& client_ids) {
  if (j.is_string()) {
    static const std::regex client_ref(R"(\$client:([A-Za-z0-9_]+))");
    std::string s = j.get<std::string>();
    std::string out;
    auto last = s.cbegin();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), client_ref);
         it != std::sregex_iterator(); ++it) {
      out.append(last, (*it)[0].first);
      const auto found = client_ids.find((*it)[1].str());
      out += found != client_ids.end() ? found->second : token + "-" + (*it)[1].str();
      last = (*it)[0].second;
    }
    out.append(last, s.cend());
    for (std::size_t at = out.find("$case"); at != std::string::npos;
         at = out.find("$case", at + token.size()))
      out.replace(at, 5, token);
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items())
      out[k] = substitute(v, token, client_ids);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j)
      out.push_back(substitute(v, token, client_ids));
    return out;
  }
  return j;
}

json connect_packet_json(const json& step, const std::string& name, int version) {
  json p = {{"type", "connect"}, {"version", version}, {"client_id", "$case-" + name}};
  for (const char* field : connect_fields)
    if (step.contains(field)) p[field] = step.at(field);
  return p;
}

// The bytes of a step's packet for a connection of `version`.
std::string encode_step_packet(json packet, int version) {
  if (packet.value("type", std::string()) == "connect" && !packet.contains("version"))
    packet["version"] = version;
  const mqtt::packet p = packet_from_json(packet);
  mqtt::bytes out;
  mqtt::encode(p, to_version(version), out);
  return out;
}

// Decodes a frame the broker sent; empty on success, else why not.
std::string decode_frame(const std::string& frame, int version, json& out) {
  mqtt::fixed_header h;
  const auto* data = reinterpret_cast<const std::uint8_t*>(frame.data());
  if (mqtt::read_frame({data, frame.size()}, 268'435'455, h) != mqtt::frame_status::complete)
    return "unreadable frame " + hex_of(frame);
  auto decoded = mqtt::decode(h, {data + h.header_size, h.remaining_length}, to_version(version));
  if (!decoded)
    return "the broker sent an invalid frame " + hex_of(frame) + ": " + decoded.err().message;
  out = packet_to_json(decoded.value(), to_version(version));
  return {};
}

bool numeric_equal(const json& expected, const json& actual) {
  if (expected.is_string() && actual.is_number_integer()) {
    const auto s = expected.get<std::string>();
    if (s.rfind("0x", 0) != 0) return false;
    return reason_from_json(expected) == actual.get<std::int64_t>();
  }
  return expected == actual;
}

class case_execution {
 public:
  case_execution(const contract_case& c, const run_settings& s, std::string token)
      : case_(c), settings_(s), token_(std::move(token)) {}

  case_outcome run() {
    case_outcome out;
    std::size_t index = 0;
    try {
      for (const auto& raw : case_.steps) {
        ++index;
        const json step = substitute(raw, token_, client_ids_);
        if (auto why = run_step(step); !why.empty()) {
          out.failure = "step " + std::to_string(index) + " " + dump(raw) + ": " + why;
          break;
        }
      }
      out.passed = out.failure.empty();
    } catch (const std::exception& e) {
      out.failure = "step " + std::to_string(index) + ": " + e.what();
    }
    finish();
    out.log = std::move(log_);
    return out;
  }

 private:
  broker_connection& client(const json& step, const char* key) {
    const std::string name = step.at(key).get<std::string>();
    auto& slot = clients_[name];
    if (!slot) slot = std::make_unique<broker_connection>();
    return *slot;
  }

  std::chrono::milliseconds timeout_of(const json& step) const {
    return step.contains("timeout_ms")
               ? std::chrono::milliseconds(step.at("timeout_ms").get<std::int64_t>())
               : settings_.timeout;
  }

  std::string open(const json& step, const char* key) {
    const std::string name = step.at(key).get<std::string>();
    broker_connection& c = client(step, key);
    c.version = to_version(step.value("version", case_.version));
    if (auto why = c.open(settings_.host, settings_.port); !why.empty()) return why;
    note(name + " connected (TCP)");
    return {};
  }

  std::string send(const std::string& name, broker_connection& c, const json& step) {
    std::string bytes;
    if (step.contains("hex")) {
      bytes = bytes_of_hex(step.at("hex").get<std::string>());
      note(name + " -> " + hex_of(bytes));
    } else {
      bytes = encode_step_packet(step.at("packet"), static_cast<int>(c.version));
      note(name + " -> " + dump(step.at("packet")));
    }
    return c.send(bytes);
  }

  // The next frame, decoded; empty on success.
  std::string next_packet(const std::string& name, broker_connection& c,
                          std::chrono::milliseconds timeout, json& packet, std::string& frame) {
    auto r = c.next(timeout);
    switch (r.what) {
      case broker_connection::outcome::timeout:
        return "nothing arrived within " + std::to_string(timeout.count()) + " ms";
      case broker_connection::outcome::closed:
        return "the broker closed the connection";
      case broker_connection::outcome::error:
        return r.detail;
      case broker_connection::outcome::frame:
        break;
    }
    frame = std::move(r.frame);
    if (auto why = decode_frame(frame, static_cast<int>(c.version), packet); !why.empty())
      return why;
    note(name + " <- " + dump(packet));
    return {};
  }

  std::string expect(const std::string& name, broker_connection& c, const json& step) {
    json packet;
    std::string frame;
    if (auto why = next_packet(name, c, timeout_of(step), packet, frame); !why.empty()) return why;
    if (step.contains("hex")) {
      const std::string want = bytes_of_hex(step.at("hex").get<std::string>());
      if (frame != want) return "expected bytes " + hex_of(want) + ", got " + hex_of(frame);
      return {};
    }
    if (auto why = subset_mismatch(step.at("packet"), packet); !why.empty())
      return why + "; received " + dump(packet);
    return {};
  }

  std::string expect_any_order(const std::string& name, broker_connection& c, const json& step) {
    std::vector<json> wanted(step.at("packets").begin(), step.at("packets").end());
    std::vector<json> received;
    while (!wanted.empty()) {
      json packet;
      std::string frame;
      if (auto why = next_packet(name, c, timeout_of(step), packet, frame); !why.empty())
        return why + " (" + std::to_string(wanted.size()) + " expected packets missing)";
      received.push_back(packet);
      bool matched = false;
      for (auto it = wanted.begin(); it != wanted.end(); ++it) {
        if (subset_mismatch(*it, packet).empty()) {
          wanted.erase(it);
          matched = true;
          break;
        }
      }
      if (!matched)
        return "received " + dump(packet) + ", which matches none of those still expected";
    }
    return {};
  }

  std::string expect_close(const std::string& name, broker_connection& c, const json& step) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_of(step);
    std::vector<json> before;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto r = c.next(std::max(left, std::chrono::milliseconds(0)));
      if (r.what == broker_connection::outcome::closed) break;
      if (r.what == broker_connection::outcome::timeout)
        return "the connection is still open after " + std::to_string(timeout_of(step).count()) +
               " ms";
      if (r.what == broker_connection::outcome::error) return r.detail;
      json packet;
      if (auto why = decode_frame(r.frame, static_cast<int>(c.version), packet); !why.empty())
        return why;
      note(name + " <- " + dump(packet));
      before.push_back(std::move(packet));
    }
    note(name + " closed by the broker");
    c.close();
    if (!step.contains("reason_code") || c.version != mqtt::protocol_version::v5) return {};
    const int want = reason_from_json(step.at("reason_code"));
    for (const auto& p : before) {
      const auto type = p.value("type", std::string());
      if ((type == "disconnect" || type == "connack") && p.value("reason_code", -1) == want)
        return {};
    }
    std::string seen;
    for (const auto& p : before)
      seen += (seen.empty() ? "" : ", ") + dump(p);
    return "closed without a DISCONNECT or CONNACK carrying reason " + std::to_string(want) +
           (seen.empty() ? " (nothing arrived before the close)" : "; before the close: " + seen);
  }

  std::string expect_silence(const std::string& name, broker_connection& c, const json& step) {
    const std::chrono::milliseconds span(step.value("ms", 300));
    auto r = c.next(span);
    switch (r.what) {
      case broker_connection::outcome::timeout:
        return {};
      case broker_connection::outcome::closed:
        return "the broker closed the connection";
      case broker_connection::outcome::error:
        return r.detail;
      case broker_connection::outcome::frame: {
        json packet;
        if (auto why = decode_frame(r.frame, static_cast<int>(c.version), packet); !why.empty())
          return why;
        note(name + " <- " + dump(packet));
        return "expected silence, received " + dump(packet);
      }
    }
    return {};
  }

  std::string run_step(const json& step) {
    if (step.contains("wait_ms")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(step.at("wait_ms").get<int>()));
      return {};
    }
    if (step.contains("open")) return open(step, "open");
    if (step.contains("connect")) {
      const std::string name = step.at("connect").get<std::string>();
      if (auto why = open(step, "connect"); !why.empty()) return why;
      broker_connection& c = client(step, "connect");
      json packet = substitute(connect_packet_json(step, name, static_cast<int>(c.version)), token_,
                               client_ids_);
      c.client_id = packet.value("client_id", std::string());
      client_ids_[name] = c.client_id;
      if (auto why = send(name, c, {{"packet", packet}}); !why.empty()) return why;
      json want = step.value("expect", json{{"reason_code", 0}});
      want["type"] = "connack";
      return expect(name, c, {{"packet", want}, {"timeout_ms", timeout_of(step).count()}});
    }
    const char* kinds[] = {"send",         "expect",         "expect_any_order",
                           "expect_close", "expect_silence", "disconnect",
                           "close"};
    for (const char* kind : kinds) {
      if (!step.contains(kind)) continue;
      const std::string name = step.at(kind).get<std::string>();
      if (clients_.find(name) == clients_.end()) return "no client named '" + name + "'";
      broker_connection& c = *clients_[name];
      const std::string k = kind;
      if (k == "send") return send(name, c, step);
      if (k == "expect") return expect(name, c, step);
      if (k == "expect_any_order") return expect_any_order(name, c, step);
      if (k == "expect_close") return expect_close(name, c, step);
      if (k == "expect_silence") return expect_silence(name, c, step);
      if (k == "close") {
        c.close();
        note(name + " closed (no DISCONNECT)");
        return {};
      }
      json packet = {{"type", "disconnect"}};
      if (step.contains("reason_code")) packet["reason_code"] = step.at("reason_code");
      if (step.contains("properties")) packet["properties"] = step.at("properties");
      auto why = send(name, c, {{"packet", packet}});
      c.close();
      return why;
    }
    return "unknown step";
  }

  // Leaves the broker as it was: every client still open says DISCONNECT (no wills fire).
  void finish() {
    for (auto& [name, c] : clients_) {
      if (!c->is_open()) continue;
      mqtt::bytes out;
      mqtt::encode_disconnect({}, c->version, out);
      (void)c->send(out);
      c->close();
    }
  }

  void note(std::string line) {
    if (settings_.verbose) log_.push_back(std::move(line));
  }

  const contract_case& case_;
  const run_settings& settings_;
  std::string token_;
  std::map<std::string, std::unique_ptr<broker_connection>> clients_;
  std::map<std::string, std::string> client_ids_;
  std::vector<std::string> log_;
};

}  // namespace

std::string subset_mismatch(const json& expected, const json& actual, const std::string& path) {
  const std::string here = path.empty() ? "packet" : path;
  if (expected.is_string() && expected.get<std::string>() == "*") return {};
  if (expected.is_object()) {
    if (!actual.is_object()) return here + ": expected an object, got " + dump(actual);
    for (const auto& [key, want] : expected.items()) {
      const auto it = actual.find(key);
      const bool absent = it == actual.end() || it->is_null();
      if (want.is_null()) {
        if (!absent) return here + "." + key + ": expected absent, got " + dump(*it);
        continue;
      }
      if (absent) return here + "." + key + ": expected " + dump(want) + ", absent";
      if (auto why = subset_mismatch(want, *it, here + "." + key); !why.empty()) return why;
    }
    return {};
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size())
      return here + ": expected " + dump(expected) + ", got " + dump(actual);
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (auto why = subset_mismatch(expected[i], actual[i], here + "[" + std::to_string(i) + "]");
          !why.empty())
        return why;
    return {};
  }
  if (!numeric_equal(expected, actual))
    return here + ": expected " + dump(expected) + ", got " + dump(actual);
  return {};
}

case_outcome run_case(const contract_case& c, const run_settings& s, const std::string& token) {
  return case_execution(c, s, token).run();
}

std::map<std::string, std::pair<int, std::string>> client_streams(const contract_case& c,
                                                                  const std::string& token) {
  std::map<std::string, std::pair<int, std::string>> out;
  const std::map<std::string, std::string> no_ids;
  for (const auto& raw : c.steps) {
    const json step = substitute(raw, token, no_ids);
    if (step.contains("connect") || step.contains("open")) {
      const std::string name = step.value("connect", step.value("open", std::string()));
      const int version = step.value("version", c.version);
      auto& stream = out[name];
      stream.first = version;
      if (step.contains("connect"))
        stream.second += encode_step_packet(
            substitute(connect_packet_json(step, name, version), token, no_ids), version);
    } else if (step.contains("send")) {
      auto& stream = out[step.at("send").get<std::string>()];
      if (stream.first == 0) stream.first = c.version;
      stream.second += step.contains("hex") ? bytes_of_hex(step.at("hex").get<std::string>())
                                            : encode_step_packet(step.at("packet"), stream.first);
    }
  }
  return out;
}

}  // namespace emqx_contracts
