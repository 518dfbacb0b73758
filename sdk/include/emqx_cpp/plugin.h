/* SPDX-License-Identifier: Apache-2.0
 *
 * emqx-cpp plugin ABI, version 1.1. This header is the whole contract between the
 * broker and a plugin: plain C, standard headers only, so a plugin can be written in
 * C, C++ or anything that speaks the C ABI, and built out of the broker's tree.
 *
 * Name families:
 *   ecp_*            types and constants;
 *   on_*             callbacks the plugin implements (in ecp_plugin_descriptor and hooks);
 *   api_*            services the broker offers (members of ecp_host_api).
 *
 * Growth rules: every struct that crosses the boundary starts with its size; members
 * are only ever appended, under an "added in 1.x" comment. A side built against an
 * older minor version sees a smaller size and must not touch members past it (use
 * ECP_HAS_MEMBER). A change that is not an append bumps the major version, and the
 * broker refuses a plugin whose major version it does not speak.
 *
 * Threads: lifecycle callbacks and timers run on the broker's control thread. Hook
 * callbacks run on I/O worker threads, possibly on several at once: they must be
 * thread-safe and must not block (do slow work on your own threads and answer
 * client.authenticate / client.authorize asynchronously). Every api_* function may be
 * called from any thread unless its comment says otherwise.
 *
 * Ownership: pointers passed to a callback are valid only during that call unless a
 * comment says otherwise; copy what you keep. Strings passed to api_* functions are
 * copied by the broker before it returns. Strings the broker hands out with a length
 * are not NUL-terminated unless stated.
 */
#ifndef EMQX_CPP_PLUGIN_H
#define EMQX_CPP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A C header keeps C's typedefs; the C++ checker's "use using" does not apply here. */
/* NOLINTBEGIN(modernize-use-using) */

/* ---- versions ---------------------------------------------------------------- */

#define ECP_ABI_MAJOR 1
#define ECP_ABI_MINOR 1

typedef struct ecp_abi_version {
  uint16_t major;
  uint16_t minor;
} ecp_abi_version;

/* True when a struct of reported size `size` contains `member`. */
#define ECP_HAS_MEMBER(type, ptr, member) \
  ((ptr)->size >= offsetof(type, member) + sizeof(((type*)0)->member))

/* ---- status codes -------------------------------------------------------------- */

/* One set of codes for everything. Values from 0x80 are the MQTT 5 reason codes, so an
 * authenticator can answer "banned" (0x8A) and the client sees exactly that. */
typedef int32_t ecp_status;

#define ECP_OK 0
#define ECP_ERR_INVALID_ARGUMENT 1
#define ECP_ERR_NOT_FOUND 2
#define ECP_ERR_UNSUPPORTED 3
#define ECP_ERR_BUSY 4
#define ECP_ERR_TIMEOUT 5
/* Returned by a plugin callback: the plugin is broken and must be restarted. */
#define ECP_ERR_CRASHED 6
#define ECP_ERR_WRONG_STATE 7

/* added in 1.1: MQTT 5 enhanced authentication (hook replies) */
#define ECP_RC_CONTINUE_AUTHENTICATION 0x18
#define ECP_RC_REAUTHENTICATE 0x19

#define ECP_RC_UNSPECIFIED_ERROR 0x80
#define ECP_RC_MALFORMED_PACKET 0x81
#define ECP_RC_PROTOCOL_ERROR 0x82
#define ECP_RC_IMPLEMENTATION_SPECIFIC_ERROR 0x83
#define ECP_RC_CLIENT_IDENTIFIER_NOT_VALID 0x85
#define ECP_RC_BAD_USER_NAME_OR_PASSWORD 0x86
#define ECP_RC_NOT_AUTHORIZED 0x87
#define ECP_RC_SERVER_UNAVAILABLE 0x88
#define ECP_RC_SERVER_BUSY 0x89
#define ECP_RC_BANNED 0x8A
#define ECP_RC_BAD_AUTHENTICATION_METHOD 0x8C
#define ECP_RC_TOPIC_FILTER_INVALID 0x8F
#define ECP_RC_TOPIC_NAME_INVALID 0x90
#define ECP_RC_QUOTA_EXCEEDED 0x97
#define ECP_RC_ADMINISTRATIVE_ACTION 0x98
#define ECP_RC_PAYLOAD_FORMAT_INVALID 0x99

/* ---- opaque handles ---------------------------------------------------------- */

/* One loaded instance of a plugin; passed back to every api_* call so the broker can
 * undo what the instance registered when it is unloaded. Owned by the broker. */
typedef struct ecp_plugin ecp_plugin;

/* A message inside a message.* hook. Owned by the broker; valid during the call. */
typedef struct ecp_message ecp_message;

/* ---- hook points (EMQX's names and meanings) ------------------------------------ */

typedef enum ecp_hook_point {
  ECP_HOOK_CLIENT_CONNECT = 1,      /* CONNECT decoded, before authentication */
  ECP_HOOK_CLIENT_CONNACK = 2,      /* CONNACK about to be sent (event.reason = its code) */
  ECP_HOOK_CLIENT_CONNECTED = 3,    /* CONNACK success sent */
  ECP_HOOK_CLIENT_DISCONNECTED = 4, /* connection closed (event.reason: why) */
  ECP_HOOK_CLIENT_AUTHENTICATE = 5, /* credentials check; may answer asynchronously */
  ECP_HOOK_CLIENT_AUTHORIZE = 6,    /* publish/subscribe check; may answer asynchronously */
  ECP_HOOK_CLIENT_SUBSCRIBE = 7,    /* per topic filter of a SUBSCRIBE; may rewrite or deny it */
  ECP_HOOK_CLIENT_UNSUBSCRIBE = 8,  /* per topic filter of an UNSUBSCRIBE; may rewrite it */
  ECP_HOOK_SESSION_CREATED = 9,
  ECP_HOOK_SESSION_SUBSCRIBED = 10,
  ECP_HOOK_SESSION_UNSUBSCRIBED = 11,
  ECP_HOOK_SESSION_RESUMED = 12,
  ECP_HOOK_SESSION_DISCARDED = 13,
  ECP_HOOK_SESSION_TAKENOVER = 14,
  ECP_HOOK_SESSION_TERMINATED = 15,
  ECP_HOOK_MESSAGE_PUBLISH = 16,   /* every message entering the broker; may modify or drop */
  ECP_HOOK_MESSAGE_DELIVERED = 17, /* a message is about to be sent to a subscriber */
  ECP_HOOK_MESSAGE_ACKED = 18,     /* a subscriber acknowledged a QoS 1/2 message */
  ECP_HOOK_MESSAGE_DROPPED = 19,   /* a whole message went nowhere: no subscribers, denied,
                                      dropped by a hook (event.reason_name says which) */
  /* added in 1.1 */
  ECP_HOOK_DELIVERY_DROPPED = 20,    /* one subscriber's copy was dropped: queue_full, expired,
                                        too_large, no_local, qos0_msg (event.reason_name) */
  ECP_HOOK_CLIENT_AUTH_EXCHANGE = 21 /* an AUTH packet in an MQTT 5 enhanced authentication
                                        (event.reason 0x18 continue, 0x19 re-authenticate);
                                        may answer asynchronously */
} ecp_hook_point;

/* The highest hook point this header knows. */
#define ECP_HOOK_POINT_COUNT 21

/* Priorities as EMQX uses them: higher runs first. */
#define ECP_PRIORITY_HIGHEST 1000
#define ECP_PRIORITY_AUTHN 970
#define ECP_PRIORITY_AUTHZ 960
#define ECP_PRIORITY_REWRITE 980
#define ECP_PRIORITY_DEFAULT 500
#define ECP_PRIORITY_LOWEST 0

typedef enum ecp_action { ECP_ACTION_PUBLISH = 1, ECP_ACTION_SUBSCRIBE = 2 } ecp_action;

/* A client as the hooks see it. Strings are NUL-terminated, owned by the broker, and
 * valid during the callback. */
typedef struct ecp_client_info {
  uint32_t size;
  const char* client_id;
  const char* username;     /* NULL when the client gave none */
  const char* peer;         /* "ip:port" or "[ip6]:port" */
  const char* listener;     /* "tcp:default" */
  uint8_t protocol_version; /* 3, 4 or 5 */
  uint8_t is_superuser;
  uint8_t clean_start;
  uint16_t keepalive;
  /* added in 1.1 */
  const char* listener_type;     /* "tcp", "ssl", "ws" or "wss" */
  const char* peer_cert_subject; /* TLS client certificate subject (RFC 4514), NULL if none */
  const char* peer_cert_cn;      /* its common name, NULL if none */
} ecp_client_info;

/* What a hook is told. Which members are set depends on the hook point (see each
 * ECP_HOOK_* above); the others are zero/NULL. */
typedef struct ecp_event {
  uint32_t size;
  int32_t hook;                  /* an ecp_hook_point (an int32_t since 1.1, same layout) */
  const ecp_client_info* client; /* NULL for messages the broker publishes itself */
  ecp_message* message;          /* message.* and delivery.dropped hooks */
  const char* topic;             /* authorize, subscribe, unsubscribe, session.(un)subscribed */
  uint8_t qos;                   /* authorize, subscribe */
  uint8_t retain;                /* authorize (publish) */
  int32_t action;                /* authorize: an ecp_action (an int32_t since 1.1) */
  int32_t reason; /* connack, disconnected, terminated, dropped, auth_exchange: a reason code */
  const char* password; /* authenticate; may contain NUL bytes, see password_len */
  size_t password_len;
  uint64_t token; /* authenticate/authorize/auth_exchange: pass to api_complete to answer later */
  /* added in 1.1 */
  uint32_t worker;         /* index of the I/O worker running the hook (0..N-1) */
  const char* reason_name; /* message.dropped, delivery.dropped: EMQX's reason ("no_subscribers",
                              "queue_full", ...); NULL elsewhere */
  const char* auth_method; /* authenticate, auth_exchange: MQTT 5 Authentication Method, or NULL */
  const void* auth_data;   /* and its Authentication Data (auth_data_len bytes), or NULL */
  size_t auth_data_len;
} ecp_event;

/* What a hook answers, in `reply`, when it returns ECP_HOOK_STOP (or later through
 * api_complete). */
typedef struct ecp_hook_reply {
  uint32_t size;
  /* authenticate: ECP_OK to accept, or a reason code (0x86, 0x87, 0x8A ...) to refuse.
   * authorize: ECP_OK to allow, ECP_RC_NOT_AUTHORIZED to deny.
   * subscribe: ECP_OK, or a reason code for the SUBACK to refuse this filter.
   * message.publish: ECP_OK keeps the message, any other value drops it.
   * authenticate/auth_exchange with an auth_method (1.1): ECP_RC_CONTINUE_AUTHENTICATION
   * sends the client an AUTH carrying auth_data and waits for its answer, which comes
   * to client.auth_exchange. */
  ecp_status code;
  uint8_t is_superuser; /* authenticate */
  /* added in 1.1: Authentication Data for the AUTH (continue) or the CONNACK/AUTH that
   * ends an enhanced authentication. The broker copies it as the callback returns, or
   * inside api_complete: keep the bytes valid until then (in the plugin's state). */
  const void* auth_data;
  size_t auth_data_len;
} ecp_hook_reply;

typedef enum ecp_hook_result {
  ECP_HOOK_CONTINUE = 0, /* no decision (EMQX's ok / ignore): the chain goes on */
  ECP_HOOK_STOP = 1,     /* decision in `reply`; the rest of the chain is skipped */
  ECP_HOOK_ASYNC = 2,    /* authenticate/authorize only: the answer comes via api_complete */
  ECP_HOOK_CRASHED = 3   /* the plugin failed: the chain goes on as for CONTINUE and the
                            broker restarts the plugin (C++ wrappers return it when a hook
                            throws) */
} ecp_hook_result;

/* A hook callback, with the `user_data` given at registration. Runs on an I/O worker.
 * `reply` is never NULL, even for hooks that only notify. */
typedef ecp_hook_result (*ecp_on_hook)(void* user_data, const ecp_event* event,
                                       ecp_hook_reply* reply);

/* ---- providers ---------------------------------------------------------------- */

/* Capabilities larger than a hook. The broker has an in-memory default for each; a
 * registered provider replaces it for as long as its plugin is loaded. */
typedef enum ecp_provider_kind {
  ECP_PROVIDER_RETAINED_STORE = 1,
  ECP_PROVIDER_SESSION_STORE = 2,
  ECP_PROVIDER_CLUSTER_TRANSPORT = 3
} ecp_provider_kind;

/* One retained message, as a provider stores and returns it. */
typedef struct ecp_retained_message {
  uint32_t size;
  const char* topic;
  size_t topic_len;
  const void* payload;
  size_t payload_len;
  uint8_t qos;
  uint64_t expires_at_ms; /* wall clock, 0 = never */
  const void* properties; /* MQTT 5 property block as on the wire (without length), may be NULL */
  size_t properties_len;
} ecp_retained_message;

/* Receives matches from a provider; return non-zero to stop early. */
typedef int (*ecp_on_retained_match)(void* ctx, const ecp_retained_message* message);

/* Threads (since 1.1): the broker calls every member of a provider on a thread it keeps
 * for that provider, never on an I/O worker, one call at a time and in the order the
 * broker made them. A slow provider therefore delays only the clients waiting for it
 * (each wait is bounded by plugins.hook_timeout), never a worker. */
typedef struct ecp_retained_store_provider {
  uint32_t size;
  /* Store or replace the message of its topic. */
  ecp_status (*on_store)(void* provider_state, const ecp_retained_message* message);
  ecp_status (*on_delete)(void* provider_state, const char* topic, size_t topic_len);
  /* Every non-expired message whose topic matches `filter` (MQTT wildcards). */
  ecp_status (*on_match)(void* provider_state, const char* filter, size_t filter_len,
                         uint64_t now_ms, ecp_on_retained_match on_match, void* ctx);
  uint64_t (*on_count)(void* provider_state);
} ecp_retained_store_provider;

/* added in 1.1: one incremental change to a stored session (on_apply). */
typedef enum ecp_session_change_kind {
  ECP_SESSION_SUBSCRIBED = 1,       /* filter and options */
  ECP_SESSION_UNSUBSCRIBED = 2,     /* filter */
  ECP_SESSION_MESSAGE_APPENDED = 3, /* message, with the QoS, retain flag and subscription id
                                       of this delivery: queued for the session */
  ECP_SESSION_MESSAGE_SENT = 4,     /* message_id went out with packet_id (now in flight) */
  ECP_SESSION_MESSAGE_RECEIVED = 5, /* QoS 2: PUBREC came; only the PUBREL is left to send */
  ECP_SESSION_MESSAGE_DONE = 6,     /* PUBACK or PUBCOMP came, or the delivery was dropped:
                                       forget message_id */
  ECP_SESSION_REL_AWAITED = 7,      /* inbound QoS 2 packet_id waits for its PUBREL */
  ECP_SESSION_REL_RELEASED = 8      /* its PUBREL came, or it timed out */
} ecp_session_change_kind;

/* A message as a session store keeps it. */
typedef struct ecp_stored_message {
  uint32_t size;
  const uint8_t* id; /* 16 bytes: the message's global id */
  const char* topic;
  size_t topic_len;
  const void* payload;
  size_t payload_len;
  uint8_t qos;            /* as published */
  uint8_t retain;         /* as published */
  const void* properties; /* MQTT 5 property block (without length), may be NULL */
  size_t properties_len;
  uint64_t expires_at_ms; /* wall clock, 0 = never */
  uint64_t timestamp_ms;
  const char* publisher;
} ecp_stored_message;

typedef struct ecp_session_change {
  uint32_t size;
  int32_t kind; /* an ecp_session_change_kind */
  const char* client_id;
  const uint8_t* message_id;         /* 16 bytes; message kinds */
  uint16_t packet_id;                /* SENT, RECEIVED, REL_* */
  uint8_t qos;                       /* APPENDED: of this delivery; SUBSCRIBED: granted */
  uint8_t retain;                    /* APPENDED: the RETAIN flag to send */
  uint32_t subscription_id;          /* APPENDED, SUBSCRIBED */
  const ecp_stored_message* message; /* APPENDED */
  const char* filter;                /* (UN)SUBSCRIBED, as the client wrote it */
  uint8_t no_local;                  /* SUBSCRIBED */
  uint8_t retain_as_published;
  uint8_t retain_handling;
} ecp_session_change;

/* added in 1.1: receives one stored session from on_list. */
typedef void (*ecp_on_stored_session)(void* ctx, const char* client_id, const void* blob,
                                      size_t blob_len);

typedef struct ecp_session_store_provider {
  uint32_t size;
  /* Save the serialized state of a session that outlives its connection. */
  ecp_status (*on_save)(void* provider_state, const char* client_id, const void* blob,
                        size_t blob_len, uint32_t expiry_interval_s);
  /* Load it into a buffer the provider allocates with `alloc` (given by the broker). */
  ecp_status (*on_load)(void* provider_state, const char* client_id,
                        void* (*alloc)(void* alloc_ctx, size_t len), void* alloc_ctx, void** blob,
                        size_t* blob_len);
  ecp_status (*on_delete)(void* provider_state, const char* client_id);

  /* ---- added in 1.1: completion-style calls. When on_load_async is set, the broker
   * uses these instead of the three above (which may then be NULL). Each returns at
   * once; the answer comes through api_provider_complete(token, ...), from any thread,
   * at once or later. A provider applies calls in the order it receives them. */
  /* Answer with the blob as data, or status ECP_ERR_NOT_FOUND. */
  ecp_status (*on_load_async)(void* provider_state, const char* client_id, uint64_t token);
  ecp_status (*on_save_async)(void* provider_state, const char* client_id, const void* blob,
                              size_t blob_len, uint32_t expiry_interval_s, uint64_t token);
  ecp_status (*on_delete_async)(void* provider_state, const char* client_id, uint64_t token);
  /* Incremental changes to stored sessions, batched per I/O worker per loop iteration,
   * in order. Answer ECP_OK once they are as durable as the store promises: the broker
   * holds the PUBACK/PUBREC of a QoS 1/2 message appended to a stored session until
   * then. May be NULL. */
  ecp_status (*on_apply)(void* provider_state, const ecp_session_change* changes, size_t count,
                         uint64_t token);
  /* Every stored session, once each, before returning (when the provider registers, to
   * rebuild the routes of sessions whose clients are away). May be NULL. */
  ecp_status (*on_list)(void* provider_state, ecp_on_stored_session each, void* ctx);
} ecp_session_store_provider;

/* added in 1.1: a change to the routes of a node. A node has a route for a filter while
 * at least one of its sessions subscribes to it, however many do. */
typedef enum ecp_route_op { ECP_ROUTE_ADD = 1, ECP_ROUTE_DELETE = 2 } ecp_route_op;
typedef struct ecp_route_delta {
  uint32_t size;
  const char* filter; /* without $share/<group>/ */
  int32_t op;         /* an ecp_route_op */
} ecp_route_delta;

/* The cluster transport: how this node's routes and messages reach other nodes. The
 * broker decides what goes where; the transport carries it (and owns membership,
 * reliability and repair). */
typedef struct ecp_cluster_transport_provider {
  uint32_t size;
  /* 1.0 members, not called since 1.1 (the 1.1 members below replace them). */
  ecp_status (*on_send)(void* provider_state, const char* node, const void* frame, size_t len);
  ecp_status (*on_peers)(void* provider_state, char* buffer, size_t buffer_len);

  /* ---- added in 1.1 (required) ---- */
  /* This node's routes changed; every peer must learn it. Batched per I/O loop
   * iteration, in order. */
  ecp_status (*on_routes)(void* provider_state, const ecp_route_delta* deltas, size_t count);
  /* Every route of this node, for `node` (a peer that came up, or one that asked for a
   * repair through api_cluster_peer). */
  ecp_status (*on_sync)(void* provider_state, const char* node, const ecp_route_delta* routes,
                        size_t count);
  /* Messages for subscribers on `node`, batched per node per I/O loop iteration, as the
   * broker serialized them (give them to api_cluster_deliver on that node unchanged).
   * `qos_max` is the highest QoS in the batch: a batch with QoS 1/2 messages should reach
   * its node at least once. */
  ecp_status (*on_forward)(void* provider_state, const char* node, const void* batch, size_t len,
                           uint8_t qos_max);
} ecp_cluster_transport_provider;

/* ---- added in 1.1: types for the services appended to ecp_host_api ---------------- */

typedef struct ecp_user_property {
  const char* key;
  const char* value;
} ecp_user_property;

/* MQTT 5 properties of a message published through api_publish_v5. */
typedef struct ecp_publish_properties {
  uint32_t size;
  uint8_t payload_format_indicator; /* 0 bytes, 1 UTF-8 text */
  uint32_t message_expiry_interval; /* seconds; 0 = none */
  const char* content_type;         /* NULL = none */
  const char* response_topic;       /* NULL = none */
  const void* correlation_data;     /* NULL = none */
  size_t correlation_data_len;
  const ecp_user_property* user_properties;
  size_t user_property_count;
} ecp_publish_properties;

typedef enum ecp_metric_type {
  ECP_METRIC_COUNTER = 1,
  ECP_METRIC_GAUGE = 2,
  ECP_METRIC_HISTOGRAM = 3
} ecp_metric_type;

/* One series of the kernel's metrics, as api_metrics_visit reports it. EMQX's metrics
 * and stats carry EMQX's dotted names ("messages.received", "connections.count"); the
 * kernel's own carry their registry names ("emqx_cpp_process_restarts_total"). */
typedef struct ecp_metric {
  uint32_t size;
  const char* name;
  const char* labels;         /* "key=value,key=value", or "" */
  int32_t type;               /* an ecp_metric_type */
  const char* help;           /* one line, may be "" */
  double value;               /* counter, gauge; for a histogram its sum */
  uint64_t count;             /* histogram: observations */
  const double* bounds;       /* histogram: bucket upper bounds (ascending, +Inf implicit) */
  const uint64_t* cumulative; /* histogram: cumulative counts per bound, then +Inf */
  size_t bucket_count;        /* number of bounds */
} ecp_metric;
typedef void (*ecp_on_metric)(void* ctx, const ecp_metric* metric);

/* The management seam. A plugin registers `emqx-cpp ctl <command> ...` commands and
 * REST routes that the kernel serves (the control socket and the HTTP API of [api]).
 * Callbacks run on the management thread, never on an I/O worker; they may answer at
 * once or later, from any thread, with api_mgmt_reply and the request id they got. */
typedef struct ecp_mgmt_request {
  uint32_t size;
  uint64_t id;             /* pass to api_mgmt_reply */
  const char* method;      /* REST: "GET", "POST", "PUT", "DELETE"; ctl: "CTL" */
  const char* path;        /* REST: "/api/v5/..." without the query; ctl: the command */
  const char* query;       /* REST: the query string without '?', or "" */
  const char* const* args; /* ctl: the words after the command; REST: the path's
                              ":name" parts, in order */
  size_t arg_count;
  const void* body; /* REST: the request body; ctl: NULL */
  size_t body_len;
} ecp_mgmt_request;
/* Return ECP_OK once api_mgmt_reply was or will be called; any other status answers
 * the request with an error at once. */
typedef ecp_status (*ecp_on_mgmt)(void* user_data, const ecp_mgmt_request* request);

/* ---- the broker's services ---------------------------------------------------- */

typedef enum ecp_log_level {
  ECP_LOG_DEBUG = 1,
  ECP_LOG_INFO = 2,
  ECP_LOG_WARNING = 3,
  ECP_LOG_ERROR = 4
} ecp_log_level;

/* A timer callback, with the `arg` given to api_timer_start; runs on the control thread. */
typedef void (*ecp_on_timer)(void* arg);

typedef struct ecp_host_api {
  uint32_t size;
  ecp_abi_version abi; /* what the broker speaks */

  /* Log a line under the plugin's name. */
  void (*api_log)(ecp_plugin* self, ecp_log_level level, const char* message);

  /* Metrics, exported as emqx_cpp_plugin_<plugin>_<name>. `labels` is NULL or a
   * "key=value,key=value" string. */
  void (*api_counter_add)(ecp_plugin* self, const char* name, const char* labels, uint64_t n);
  void (*api_gauge_set)(ecp_plugin* self, const char* name, const char* labels, int64_t value);
  void (*api_histogram_observe)(ecp_plugin* self, const char* name, const char* labels,
                                double value);

  /* Hooks. Returns an id (> 0) for api_unregister_hook, or 0 on error. Control thread. */
  uint64_t (*api_register_hook)(ecp_plugin* self, ecp_hook_point hook, int32_t priority,
                                ecp_on_hook callback, void* user_data);
  ecp_status (*api_unregister_hook)(ecp_plugin* self, uint64_t hook_id);

  /* Providers: `vtable` points to one of the ecp_*_provider structs, kept by the broker
   * until the plugin is unloaded (it must stay valid that long). Control thread. */
  ecp_status (*api_register_provider)(ecp_plugin* self, ecp_provider_kind kind, const void* vtable,
                                      void* provider_state);

  /* Publish a message as the broker (publisher "plugin:<name>"). */
  ecp_status (*api_publish)(ecp_plugin* self, const char* topic, const void* payload,
                            size_t payload_len, uint8_t qos, uint8_t retain);
  /* Disconnect a client (MQTT 5: DISCONNECT 0x98, administrative action). */
  ecp_status (*api_kick)(ecp_plugin* self, const char* client_id);
  /* Subscribe a connected client to `filter` as if it had sent SUBSCRIBE. */
  ecp_status (*api_subscribe)(ecp_plugin* self, const char* client_id, const char* filter,
                              uint8_t qos, uint8_t no_local, uint8_t retain_as_published,
                              uint8_t retain_handling);

  /* Timers on the control thread. `repeat_ms` 0 fires once. Returns an id, 0 on error. */
  uint64_t (*api_timer_start)(ecp_plugin* self, uint64_t delay_ms, uint64_t repeat_ms,
                              ecp_on_timer callback, void* arg);
  ecp_status (*api_timer_cancel)(ecp_plugin* self, uint64_t timer_id);

  /* The plugin's own [plugins.<name>] table, already validated against its manifest.
   * `path` is dotted, array elements by index: "rules.0.action". Strings stay valid
   * until on_stop returns. */
  ecp_status (*api_config_string)(ecp_plugin* self, const char* path, const char** value,
                                  size_t* len);
  ecp_status (*api_config_int)(ecp_plugin* self, const char* path, int64_t* value);
  ecp_status (*api_config_double)(ecp_plugin* self, const char* path, double* value);
  ecp_status (*api_config_bool)(ecp_plugin* self, const char* path, int* value);
  /* Number of elements of an array (or keys of a table) at `path`. */
  ecp_status (*api_config_count)(ecp_plugin* self, const char* path, size_t* count);

  /* Answer an authenticate/authorize hook that returned ECP_HOOK_ASYNC. Any thread.
   * A token answered late (after the broker's timeout) returns ECP_ERR_TIMEOUT. */
  ecp_status (*api_complete)(ecp_plugin* self, uint64_t token, ecp_hook_result result,
                             const ecp_hook_reply* reply);

  /* Facts about a connected client; fills `info` (strings valid until the next call
   * from the same thread). The caller sets info->size to the size it knows and the
   * broker fills no more than that. ECP_ERR_NOT_FOUND if it is not connected. */
  ecp_status (*api_client_info)(ecp_plugin* self, const char* client_id, ecp_client_info* info);

  /* Messages inside message.* hooks. Getters return views valid during the call. */
  const char* (*api_message_topic)(const ecp_message* m, size_t* len);
  const void* (*api_message_payload)(const ecp_message* m, size_t* len);
  uint8_t (*api_message_qos)(const ecp_message* m);
  uint8_t (*api_message_retain)(const ecp_message* m);
  /* The publisher's client id; "" for the broker itself, "plugin:<name>" for api_publish. */
  const char* (*api_message_publisher)(const ecp_message* m);
  /* Setters: only in message.publish (ECP_ERR_WRONG_STATE elsewhere). */
  ecp_status (*api_message_set_topic)(ecp_message* m, const char* topic, size_t len);
  ecp_status (*api_message_set_payload)(ecp_message* m, const void* payload, size_t len);
  ecp_status (*api_message_set_qos)(ecp_message* m, uint8_t qos);
  ecp_status (*api_message_set_retain)(ecp_message* m, uint8_t retain);
  ecp_status (*api_message_add_user_property)(ecp_message* m, const char* key, const char* value);

  /* In client.subscribe / client.unsubscribe: replace the topic filter being handled. */
  ecp_status (*api_event_set_topic)(const ecp_event* event, const char* topic);

  /* ---- added in 1.1 ---- */

  /* api_publish with MQTT 5 properties (`props` may be NULL). */
  ecp_status (*api_publish_v5)(ecp_plugin* self, const char* topic, const void* payload,
                               size_t payload_len, uint8_t qos, uint8_t retain,
                               const ecp_publish_properties* props);
  /* Empties the authorization cache of one client, or of every client when client_id is
   * NULL (after an authorization source changed its rules). */
  ecp_status (*api_authz_cache_clear)(ecp_plugin* self, const char* client_id);
  /* Calls `each` once per series of the kernel's metrics (EMQX's counters and gauges,
   * the runtime's own, every plugin's), on the calling thread, before returning. */
  ecp_status (*api_metrics_visit)(ecp_plugin* self, ecp_on_metric each, void* ctx);
  /* This node's name (node.name), valid while the plugin is loaded. */
  const char* (*api_node_name)(ecp_plugin* self);

  /* Management seam (control thread, in on_init or on_start). `command` is one word;
   * `usage` one line for `emqx-cpp ctl help`. `method` is GET, POST, PUT or DELETE and
   * `path` starts with "/api/v5/"; a segment ":name" matches any one segment. Removed
   * when the plugin unloads. ECP_ERR_BUSY if another plugin has it already. */
  ecp_status (*api_register_ctl)(ecp_plugin* self, const char* command, const char* usage,
                                 ecp_on_mgmt callback, void* user_data);
  ecp_status (*api_register_route)(ecp_plugin* self, const char* method, const char* path,
                                   ecp_on_mgmt callback, void* user_data);
  /* Answers a management request once. REST: `status` is the HTTP status and
   * `content_type` that of `body` (NULL: application/json). ctl: 0 prints `body` and
   * exits 0, anything else prints it as an error and exits 1. Any thread. */
  ecp_status (*api_mgmt_reply)(ecp_plugin* self, uint64_t request_id, int32_t status,
                               const char* content_type, const void* body, size_t body_len);

  /* Completes a completion-style provider call (the 1.1 members of the provider
   * vtables), once, from any thread. `data` is copied (a loaded session, for example). */
  ecp_status (*api_provider_complete)(ecp_plugin* self, uint64_t token, ecp_status status,
                                      const void* data, size_t data_len);

  /* Cluster transport inbound (ECP_PROVIDER_CLUSTER_TRANSPORT), any thread, copied:
   * route changes of `from_node`, and a batch of messages on_forward gave to its
   * transport on `from_node` for this node. A message id seen before is not delivered
   * twice. */
  ecp_status (*api_cluster_routes)(ecp_plugin* self, const char* from_node,
                                   const ecp_route_delta* deltas, size_t count);
  ecp_status (*api_cluster_deliver)(ecp_plugin* self, const char* from_node, const void* batch,
                                    size_t len);
  /* A peer became reachable (up = 1; also to ask for a repair: the broker answers with
   * on_sync) or was lost (up = 0: its routes are forgotten). Any thread. */
  ecp_status (*api_cluster_peer)(ecp_plugin* self, const char* node, int up);
} ecp_host_api;

/* ---- what the plugin provides --------------------------------------------------- */

typedef struct ecp_plugin_descriptor {
  uint32_t size;
  ecp_abi_version abi; /* the version the plugin chose among those offered */
  const char* name;    /* equals the name under [plugins] in broker.toml */
  const char* version; /* the plugin's own version */
  const char* description;

  /* Control thread. Create the instance: store anything in *state. `host` and `self`
   * stay valid until on_destroy returns. Registering hooks and providers belongs here
   * or in on_start. A non-OK status unloads the plugin (what it registered is undone). */
  ecp_status (*on_init)(const ecp_host_api* host, ecp_plugin* self, void** state);
  /* Control thread. Start serving (threads, connections). */
  ecp_status (*on_start)(void* state);
  /* Control thread. Stop serving; after it returns no callback of the plugin runs. */
  ecp_status (*on_stop)(void* state);
  /* Control thread, polled. ECP_OK when healthy. May be NULL. */
  ecp_status (*on_health)(void* state);
  /* Control thread. Free the instance. Not called when on_init failed: a failing on_init
   * frees what it allocated itself. */
  void (*on_destroy)(void* state);
} ecp_plugin_descriptor;

/* The one symbol a plugin exports. The broker offers the ABI versions it speaks; an
 * offer {M, x} covers M.0 to M.x, since minors only append. The plugin returns its
 * descriptor, with `abi` set to its own version M.y (y <= x), or NULL to refuse.
 * The descriptor must stay valid while the plugin is loaded (a static is usual). */
#define ECP_PLUGIN_ENTRY_SYMBOL "emqx_cpp_plugin_entry"
typedef const ecp_plugin_descriptor* (*ecp_plugin_entry_fn)(const ecp_abi_version* offered,
                                                            size_t offered_count);

#if defined(__GNUC__)
#define ECP_EXPORT __attribute__((visibility("default")))
#else
#define ECP_EXPORT
#endif

/* NOLINTEND(modernize-use-using) */

#ifdef __cplusplus
}
#endif

#endif /* EMQX_CPP_PLUGIN_H */
