// SPDX-License-Identifier: Apache-2.0
//
// hello_cpp: a one-file plugin on the C++ wrapper (plugin.hpp). It greets every client
// that connects by publishing "<greeting> <client id>" to hello/<client id>, and tags
// each message whose topic starts with a configured prefix with a User Property
// greeting=<greeting>, counting them. Built out of tree and loaded into a real broker by
// the integration tests, so it must keep doing exactly this.
#include <emqx_cpp/plugin.hpp>

#include <string>

namespace {

using emqx_cpp::sdk::event_view;
using emqx_cpp::sdk::hook_result;

class hello_cpp final : public emqx_cpp::sdk::plugin {
 public:
  ecp_status init() override {
    // The broker fills in the manifest's defaults; value_or covers a host that does not.
    greeting_ = host().config_string("greeting").value_or("hello");
    prefix_ = host().config_string("tag_topic_prefix").value_or("tagged/");
    if (on(ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_DEFAULT,
           [this](const event_view& e, ecp_hook_reply&) { return tag(e); }) == 0 ||
        on(ECP_HOOK_CLIENT_CONNECTED, ECP_PRIORITY_DEFAULT,
           [this](const event_view& e, ecp_hook_reply&) { return greet(e); }) == 0) {
      host().error("cannot register hooks");
      return ECP_ERR_UNSUPPORTED;
    }
    host().info("hello_cpp ready, greeting=" + greeting_ + ", tag_topic_prefix=" + prefix_);
    return ECP_OK;
  }

 private:
  // message.publish, on I/O workers: reads only members set in init(), so no lock.
  hook_result tag(const event_view& e) const {
    const auto m = e.message();
    if (m && m->topic().starts_with(prefix_) &&
        m->add_user_property("greeting", greeting_) == ECP_OK) {
      host().counter_add("tagged_total");
    }
    return hook_result::continue_chain;
  }

  // client.connected: the greeting goes through the broker like any message.
  hook_result greet(const event_view& e) const {
    if (const auto c = e.client()) {
      const std::string id{c->client_id};
      host().publish("hello/" + id, greeting_ + " " + id, 0, false);
    }
    return hook_result::continue_chain;
  }

  std::string greeting_;
  std::string prefix_;
};

}  // namespace

EMQX_CPP_PLUGIN(hello_cpp, "hello_cpp", "1.0.0",
                "Greets connecting clients and tags messages under a topic prefix")
