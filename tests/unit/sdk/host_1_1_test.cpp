// SPDX-License-Identifier: Apache-2.0
//
// The ABI 1.1 services through the C++ wrapper on the fake host: MQTT 5 publishing,
// the authorization cache, the metrics, the management seam's replies, provider
// completions, and the enhanced-authentication members of events and replies.
#include <doctest/doctest.h>

#include <emqx_cpp/testing/fake_host.hpp>

#include <string>

using emqx_cpp::sdk::testing::fake_host;

namespace {
struct quiet_plugin : emqx_cpp::sdk::plugin {
  using plugin::plugin;
};

ecp_hook_result challenge(void* /*user_data*/, const ecp_event* e, ecp_hook_reply* reply) {
  if (e->auth_method == nullptr || std::string{e->auth_method} != "X") return ECP_HOOK_CONTINUE;
  static const char data[] = "nonce";
  reply->code = ECP_RC_CONTINUE_AUTHENTICATION;
  reply->auth_data = data;
  reply->auth_data_len = 5;
  return ECP_HOOK_STOP;
}

ecp_status on_cmd(void* /*user_data*/, const ecp_mgmt_request* r) {
  return r->arg_count == 1 ? ECP_OK : ECP_ERR_INVALID_ARGUMENT;
}
}  // namespace

TEST_CASE("ABI 1.1 services through the wrapper, recorded by the fake host") {
  fake_host h;
  h.node_name = "n1@host";
  h.metrics = {{"messages.received", "", ECP_METRIC_COUNTER, 7}};
  REQUIRE(h.load<quiet_plugin>() == ECP_OK);
  emqx_cpp::sdk::host api(&h.api(), h.self());

  ecp_user_property up{"k", "v"};
  ecp_publish_properties props{};
  props.size = sizeof props;
  props.content_type = "text/plain";
  props.user_properties = &up;
  props.user_property_count = 1;
  CHECK(api.publish_v5("t/1", "x", 1, false, props) == ECP_OK);
  const auto published = h.published();
  REQUIRE(published.size() == 1);
  REQUIRE(published[0].props.has_value());
  CHECK(published[0].props->content_type == "text/plain");
  CHECK(published[0].props->user_properties.front().second == "v");

  CHECK(api.clear_authz_cache() == ECP_OK);
  CHECK(api.clear_authz_cache("c1") == ECP_OK);
  CHECK(h.authz_cache_clears() == std::vector<std::string>{"", "c1"});

  CHECK(api.node_name() == "n1@host");
  double seen = -1;
  CHECK(api.visit_metrics([&](const ecp_metric& m) {
    if (std::string{m.name} == "messages.received") seen = m.value;
  }) == ECP_OK);
  CHECK(seen == 7);

  CHECK(api.provider_complete(41, ECP_OK, "blob") == ECP_OK);
  REQUIRE(h.provider_completions().size() == 1);
  CHECK(h.provider_completions()[0].data == "blob");

  REQUIRE(h.api().api_register_ctl(h.self(), "cmd", "cmd ARG", on_cmd, nullptr) == ECP_OK);
  CHECK(h.api().api_register_ctl(h.self(), "cmd", "", on_cmd, nullptr) == ECP_ERR_BUSY);
  const auto id = h.call_mgmt("CTL", "cmd", {"arg"});
  REQUIRE(id != 0);
  CHECK(api.mgmt_reply(id, 0, "done", "text/plain") == ECP_OK);
  CHECK(api.mgmt_reply(id, 0, "twice") == ECP_ERR_NOT_FOUND);
  REQUIRE(h.mgmt_replies().size() == 1);
  CHECK(h.mgmt_replies()[0].body == "done");

  // Enhanced authentication: the method and data reach the hook, its data comes back.
  REQUIRE(h.api().api_register_hook(h.self(), ECP_HOOK_CLIENT_AUTHENTICATE, 0, challenge,
                                    nullptr) != 0);
  auto r = h.fire(ECP_HOOK_CLIENT_AUTHENTICATE,
                  emqx_cpp::sdk::testing::event_builder{}.with_auth("X", "client-first"));
  CHECK(r.result == ECP_HOOK_STOP);
  CHECK(r.reply.code == ECP_RC_CONTINUE_AUTHENTICATION);
  CHECK(r.auth_data == "nonce");
}
