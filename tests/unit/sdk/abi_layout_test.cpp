// SPDX-License-Identifier: Apache-2.0
//
// ABI 1.1 only appended: the members a 1.0 plugin knows sit where they sat. The 1.0
// layouts are written out here as they were (enum members included, now int32_t), and
// every shared member is checked at compile time to have the same offset and size.
#include <doctest/doctest.h>

#include <emqx_cpp/plugin.h>

#include <cstddef>

namespace abi_1_0 {
// ecp_event and ecp_client_info as ABI 1.0 declared them.
enum hook_point_1_0 { hook_first = 1 };
enum action_1_0 { action_first = 1 };

struct client_info {
  uint32_t size;
  const char* client_id;
  const char* username;
  const char* peer;
  const char* listener;
  uint8_t protocol_version;
  uint8_t is_superuser;
  uint8_t clean_start;
  uint16_t keepalive;
};

struct event {
  uint32_t size;
  hook_point_1_0 hook;
  const ecp_client_info* client;
  ecp_message* message;
  const char* topic;
  uint8_t qos;
  uint8_t retain;
  action_1_0 action;
  int32_t reason;
  const char* password;
  size_t password_len;
  uint64_t token;
};

struct hook_reply {
  uint32_t size;
  ecp_status code;
  uint8_t is_superuser;
};

struct session_store_provider {
  uint32_t size;
  void* on_save;
  void* on_load;
  void* on_delete;
};
}  // namespace abi_1_0

#define SAME_PLACE(new_type, old_type, member)                                                   \
  static_assert(                                                                                 \
      offsetof(new_type, member) == offsetof(abi_1_0::old_type, member) &&                       \
          sizeof(((new_type*)nullptr)->member) == sizeof(((abi_1_0::old_type*)nullptr)->member), \
      #new_type "." #member " moved or changed size since ABI 1.0")

SAME_PLACE(ecp_event, event, size);
SAME_PLACE(ecp_event, event, hook);
SAME_PLACE(ecp_event, event, client);
SAME_PLACE(ecp_event, event, message);
SAME_PLACE(ecp_event, event, topic);
SAME_PLACE(ecp_event, event, qos);
SAME_PLACE(ecp_event, event, retain);
SAME_PLACE(ecp_event, event, action);
SAME_PLACE(ecp_event, event, reason);
SAME_PLACE(ecp_event, event, password);
SAME_PLACE(ecp_event, event, password_len);
SAME_PLACE(ecp_event, event, token);
static_assert(sizeof(abi_1_0::hook_point_1_0) == sizeof(int32_t),
              "a C enum is an int: the int32_t members keep the 1.0 layout");

SAME_PLACE(ecp_client_info, client_info, size);
SAME_PLACE(ecp_client_info, client_info, client_id);
SAME_PLACE(ecp_client_info, client_info, username);
SAME_PLACE(ecp_client_info, client_info, peer);
SAME_PLACE(ecp_client_info, client_info, listener);
SAME_PLACE(ecp_client_info, client_info, protocol_version);
SAME_PLACE(ecp_client_info, client_info, is_superuser);
SAME_PLACE(ecp_client_info, client_info, clean_start);
SAME_PLACE(ecp_client_info, client_info, keepalive);

SAME_PLACE(ecp_hook_reply, hook_reply, size);
SAME_PLACE(ecp_hook_reply, hook_reply, code);
SAME_PLACE(ecp_hook_reply, hook_reply, is_superuser);

SAME_PLACE(ecp_session_store_provider, session_store_provider, on_save);
SAME_PLACE(ecp_session_store_provider, session_store_provider, on_load);
SAME_PLACE(ecp_session_store_provider, session_store_provider, on_delete);

// The 1.1 members come after everything a 1.0 plugin knows.
static_assert(offsetof(ecp_event, worker) >= sizeof(abi_1_0::event));
static_assert(offsetof(ecp_client_info, listener_type) >= sizeof(abi_1_0::client_info));
static_assert(offsetof(ecp_hook_reply, auth_data) >= sizeof(abi_1_0::hook_reply));
static_assert(offsetof(ecp_session_store_provider, on_load_async) >=
              sizeof(abi_1_0::session_store_provider));
static_assert(offsetof(ecp_host_api, api_publish_v5) > offsetof(ecp_host_api, api_event_set_topic));

TEST_CASE("ABI 1.1 keeps every 1.0 member in place (checked at compile time)") {
  // The static_asserts above are the test; this names it for the test report.
  CHECK(offsetof(ecp_event, hook) == offsetof(abi_1_0::event, hook));
  CHECK(ECP_HOOK_POINT_COUNT == 21);
}
