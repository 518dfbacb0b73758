// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "case_runner.hpp"
#include "contract_case.hpp"
#include "mqtt/codec.hpp"

using namespace emqx_contracts;
namespace mqtt = emqx_cpp::mqtt;

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("contracts-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("a subset matches when every given key is equal, null means absent, * means present") {
  const json actual = json::parse(
      R"({"type":"connack","reason_code":0,"session_present":false,
          "properties":{"receive_maximum":32,"topic_alias_maximum":65535}})");
  CHECK(subset_mismatch(json::parse(R"({"type":"connack"})"), actual).empty());
  CHECK(subset_mismatch(json::parse(R"({"reason_code":"0x00"})"), actual).empty());
  CHECK(subset_mismatch(json::parse(R"({"properties":{"receive_maximum":"*"}})"), actual).empty());
  CHECK(subset_mismatch(json::parse(R"({"properties":{"maximum_qos":null}})"), actual).empty());
  CHECK_FALSE(
      subset_mismatch(json::parse(R"({"properties":{"receive_maximum":null}})"), actual).empty());
  CHECK_FALSE(subset_mismatch(json::parse(R"({"reason_code":"0x80"})"), actual).empty());
  CHECK_FALSE(
      subset_mismatch(json::parse(R"({"properties":{"maximum_qos":"*"}})"), actual).empty());
  const auto why = subset_mismatch(json::parse(R"({"session_present":true})"), actual);
  CHECK(why.find("packet.session_present") != std::string::npos);
}

TEST_CASE("lists match element by element and must have the same length") {
  const json actual = json::parse(R"({"reason_codes":[0,1,143]})");
  CHECK(subset_mismatch(json::parse(R"({"reason_codes":[0,1,"0x8F"]})"), actual).empty());
  CHECK_FALSE(subset_mismatch(json::parse(R"({"reason_codes":[0,1]})"), actual).empty());
  CHECK_FALSE(subset_mismatch(json::parse(R"({"reason_codes":[0,2,143]})"), actual).empty());
}

TEST_CASE("a publish survives JSON -> packet -> wire -> packet -> JSON") {
  const json in = json::parse(
      R"({"type":"publish","topic":"a/b","payload":"hi","qos":1,"packet_id":7,"retain":true,
          "properties":{"user_property":[["k","v"],["k","w"]],"message_expiry_interval":30,
                        "subscription_identifier":[4,9]}})");
  mqtt::bytes wire;
  mqtt::encode(packet_from_json(in), mqtt::protocol_version::v5, wire);
  mqtt::fixed_header h;
  const auto* data = reinterpret_cast<const std::uint8_t*>(wire.data());
  REQUIRE(mqtt::read_frame({data, wire.size()}, 1 << 20, h) == mqtt::frame_status::complete);
  auto decoded =
      mqtt::decode(h, {data + h.header_size, h.remaining_length}, mqtt::protocol_version::v5);
  REQUIRE(decoded.ok());
  const json out = packet_to_json(decoded.value(), mqtt::protocol_version::v5);
  CHECK(subset_mismatch(in, out).empty());
  CHECK(out["payload_hex"] == "6869");
}

TEST_CASE("3.x CONNACK codes come back as 3.x return codes") {
  mqtt::connack_packet c;
  c.code = mqtt::reason_code::client_identifier_not_valid;
  CHECK(packet_to_json(c, mqtt::protocol_version::v3_1_1)["reason_code"] == 2);
  CHECK(packet_to_json(c, mqtt::protocol_version::v5)["reason_code"] == 0x85);
}

TEST_CASE("bad packets and properties are refused by name") {
  CHECK_THROWS_WITH_AS(packet_from_json(json::parse(R"({"type":"publsh"})")),
                       doctest::Contains("publsh"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      packet_from_json(json::parse(R"({"type":"connect","properties":{"recieve_maximum":1}})")),
      doctest::Contains("recieve_maximum"), std::invalid_argument);
  CHECK_THROWS_AS(packet_from_json(json::parse(R"({"type":"puback","packet_id":70000})")),
                  std::invalid_argument);
  CHECK_THROWS_AS(bytes_of_hex("c0 0"), std::invalid_argument);
  CHECK(bytes_of_hex("C0 00") == std::string("\xc0\x00", 2));
}

TEST_CASE("case files are checked on load: name, annotation and steps") {
  const auto good = write_temp("good.json", R"({"version":4,"cases":[
    {"name":"[MQTT-3.12.4-1] ping","mosquitto":"pass",
     "steps":[{"connect":"a"},{"send":"a","packet":{"type":"pingreq"}},
              {"expect":"a","packet":{"type":"pingresp"}}]},
    {"name":"queue groups emqx:queue","mosquitto":"differs \u2014 no $queue",
     "steps":[{"connect":"a"}]}]})");
  const auto cases = load_cases({good.string()});
  REQUIRE(cases.size() == 2);
  CHECK(cases[0].version == 4);
  CHECK(cases[0].statements == std::vector<std::string>{"MQTT-3.12.4-1"});
  CHECK_FALSE(cases[1].mosquitto_passes);
  CHECK(cases[1].mosquitto_note == "no $queue");
  CHECK(cases[1].tags == std::vector<std::string>{"emqx:queue"});

  const auto uncited =
      write_temp("uncited.json",
                 R"({"cases":[{"name":"ping","mosquitto":"pass","steps":[{"connect":"a"}]}]})");
  CHECK_THROWS_WITH(load_cases({uncited.string()}), doctest::Contains("emqx: tag"));
  const auto two_kinds = write_temp(
      "two.json",
      R"({"cases":[{"name":"[MQTT-1-1] x","mosquitto":"pass","steps":[{"connect":"a","close":"a"}]}]})");
  CHECK_THROWS_WITH(load_cases({two_kinds.string()}), doctest::Contains("exactly one"));
  const auto no_reason = write_temp(
      "noreason.json",
      R"({"cases":[{"name":"[MQTT-1-1] x","mosquitto":"differs","steps":[{"connect":"a"}]}]})");
  CHECK_THROWS_WITH(load_cases({no_reason.string()}), doctest::Contains("reason"));
}

TEST_CASE("the frames a case sends are known without a broker, for fuzzer seeds") {
  const auto file = write_temp("seed.json", R"({"version":4,"cases":[
    {"name":"[MQTT-3.12.4-1] ping","mosquitto":"pass",
     "steps":[{"connect":"a","client_id":"$case"},{"send":"a","packet":{"type":"pingreq"}},
              {"send":"a","hex":"e0 00"}]}]})");
  const auto cases = load_cases({file.string()});
  const auto streams = client_streams(cases.at(0), "T1");
  REQUIRE(streams.count("a") == 1);
  CHECK(streams.at("a").first == 4);
  const std::string& s = streams.at("a").second;
  // CONNECT (protocol level 4, client id "T1"), then PINGREQ, then the raw DISCONNECT.
  CHECK(static_cast<unsigned char>(s[0]) == 0x10);
  CHECK(s.find("T1") != std::string::npos);
  CHECK(s.substr(s.size() - 4) == std::string("\xc0\x00\xe0\x00", 4));
}
