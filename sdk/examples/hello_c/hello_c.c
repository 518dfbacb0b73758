/* SPDX-License-Identifier: Apache-2.0
 *
 * hello_c: the smallest useful plugin, written against the C ABI alone (plugin.h), to
 * show what the C++ wrapper hides. It refuses one configured user name at
 * client.authenticate with reason code 0x8A (banned), lets every other client through
 * to the next authenticator, and counts its refusals. Built out of tree and loaded into
 * a real broker by the integration tests, so it must keep doing exactly this.
 */
#include <emqx_cpp/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hello_c_state {
  const ecp_host_api* host; /* valid until on_destroy returns */
  ecp_plugin* self;
  char* banned_user; /* our own NUL-terminated copy */
} hello_c_state;

/* Runs on I/O workers, several at once: it only reads the state, so it needs no lock. */
static ecp_hook_result hello_c_on_authenticate(void* user_data, const ecp_event* event,
                                               ecp_hook_reply* reply) {
  const hello_c_state* s = (const hello_c_state*)user_data;
  const char* username = event->client != NULL ? event->client->username : NULL;
  if (username == NULL || strcmp(username, s->banned_user) != 0) {
    return ECP_HOOK_CONTINUE; /* no opinion: the next authenticator decides */
  }
  s->host->api_counter_add(s->self, "refused_total", NULL, 1);
  reply->code = ECP_RC_BANNED;
  return ECP_HOOK_STOP;
}

static void hello_c_log(hello_c_state* s, ecp_log_level level, const char* prefix,
                        const char* value) {
  size_t len = strlen(prefix) + strlen(value) + 1;
  char* line = malloc(len);
  if (line == NULL) return;
  snprintf(line, len, "%s%s", prefix, value);
  s->host->api_log(s->self, level, line);
  free(line);
}

static ecp_status hello_c_on_init(const ecp_host_api* host, ecp_plugin* self, void** state) {
  const char* value = NULL;
  size_t value_len = 0;
  hello_c_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ECP_ERR_BUSY;
  s->host = host;
  s->self = self;

  /* Config strings come with a length and no terminating NUL: copy them. The broker
   * fills in the manifest's default; the fallback only matters to a host that does not. */
  if (host->api_config_string(self, "banned_user", &value, &value_len) != ECP_OK) {
    value = "mallory";
    value_len = strlen(value);
  }
  s->banned_user = malloc(value_len + 1);
  if (s->banned_user == NULL) {
    free(s);
    return ECP_ERR_BUSY;
  }
  memcpy(s->banned_user, value, value_len);
  s->banned_user[value_len] = '\0';

  if (host->api_register_hook(self, ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN,
                              hello_c_on_authenticate, s) == 0) {
    host->api_log(self, ECP_LOG_ERROR, "hello_c: cannot register client.authenticate");
    free(s->banned_user);
    free(s);
    return ECP_ERR_UNSUPPORTED;
  }
  hello_c_log(s, ECP_LOG_INFO, "hello_c ready, banned_user=", s->banned_user);
  *state = s;
  return ECP_OK;
}

static ecp_status hello_c_on_start(void* state) {
  (void)state;
  return ECP_OK;
}

static ecp_status hello_c_on_stop(void* state) {
  (void)state;
  return ECP_OK;
}

static ecp_status hello_c_on_health(void* state) {
  (void)state;
  return ECP_OK;
}

static void hello_c_on_destroy(void* state) {
  hello_c_state* s = (hello_c_state*)state;
  if (s == NULL) return;
  free(s->banned_user);
  free(s);
}

static const ecp_plugin_descriptor hello_c_descriptor = {
    sizeof(ecp_plugin_descriptor),
    {ECP_ABI_MAJOR, ECP_ABI_MINOR},
    "hello_c",
    "1.0.0",
    "Refuses one configured user name with reason code 0x8A (banned)",
    hello_c_on_init,
    hello_c_on_start,
    hello_c_on_stop,
    hello_c_on_health,
    hello_c_on_destroy,
};

/* Accept a broker that speaks our major version at our minor version or later (minors
 * only append, so an offer {1, x} covers 1.0 .. 1.x); report the version we were built
 * for. Anything else: refuse, and the broker says why and keeps running. */
ECP_EXPORT const ecp_plugin_descriptor* emqx_cpp_plugin_entry(const ecp_abi_version* offered,
                                                              size_t offered_count) {
  /* Named constants: `minor >= ECP_ABI_MINOR` with a literal 0 trips -Wtype-limits. */
  const uint16_t our_major = ECP_ABI_MAJOR;
  const uint16_t our_minor = ECP_ABI_MINOR;
  size_t i;
  for (i = 0; offered != NULL && i < offered_count; ++i) {
    if (offered[i].major == our_major && offered[i].minor >= our_minor) {
      return &hello_c_descriptor;
    }
  }
  return NULL;
}
