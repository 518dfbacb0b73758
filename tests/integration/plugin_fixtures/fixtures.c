/* SPDX-License-Identifier: Apache-2.0
 *
 * Small plugins that misbehave on purpose, for the plugin host's integration tests.
 * Each is built as its own .so from this file with one FIXTURE_* macro defined:
 *   FIXTURE_NO_ENTRY     exports no entry symbol
 *   FIXTURE_BAD_ABI      refuses every ABI version offered (wants major 2)
 *   FIXTURE_INIT_FAILS   on_init returns an error
 *   FIXTURE_CRASHY       message.publish reports a crash for topic "crash/now"
 *   FIXTURE_ACCESS       asynchronous client.authenticate / client.authorize; a
 *                        PUBLISH to whois/<client id> is answered on
 *                        whois-reply/<client id> with what api_client_info says
 *   FIXTURE_RETAINED     provides the retained-message store (a small fixed table)
 *   FIXTURE_SESSIONS     provides the session store: one file per session in `dir`, as a
 *                        plugin built for ABI 1.0 does (synchronous calls, 1.0 vtable)
 *   FIXTURE_STORE        a 1.1 session store in `dir`: completion-style calls (loads
 *                        answered from a thread of its own), on_list, and on_apply
 *                        appending each change to `dir`/journal.log, answered after
 *                        `apply_delay_ms`
 *   FIXTURE_INSTANT      asynchronous client.authorize answered by a second thread that
 *                        calls api_complete *before* the hook returns ECP_HOOK_ASYNC (the
 *                        hook waits for it): topics under deny/ are refused
 *   FIXTURE_ENHANCED     MQTT 5 enhanced authentication with method X-TEST: CONNECT data
 *                        "hello" is challenged ("challenge"); the answer "response"
 *                        is accepted from a second thread with "welcome", "more" gets
 *                        another challenge; re-authentication with "again" succeeds
 *   FIXTURE_MGMT         the management seam: `ctl fxecho ...` (answered at once, from a
 *                        second thread for "later", as an error for "fail"), REST
 *                        GET /api/v5/fx/echo/:word, POST /api/v5/fx/body and
 *                        GET /api/v5/fx/metrics (the kernel's metrics, read through
 *                        api_metrics_visit); api_publish_v5 on POST /api/v5/fx/publish
 *   FIXTURE_AUTHZ        a synchronous client.authorize that logs every call it gets and
 *                        refuses topics under deny/; a PUBLISH to clear/all or clear/me
 *                        clears every client's or the publisher's authorization cache
 *   FIXTURE_LOOP         a cluster transport between broker processes on one machine:
 *                        Unix SOCK_SEQPACKET sockets, `listen` (this node's path) and
 *                        `peers` ("node=path,node=path"); frames are R (route changes),
 *                        M (a batch of messages), each naming the sending node
 *   FIXTURE_DROPS        logs every message.dropped, delivery.dropped and
 *                        message.delivered with its reason name and topic
 *   FIXTURE_ORDER        records the order of its lifecycle in the file `journal` and
 *                        writes VIOLATION there if a hook, timer or provider call runs
 *                        after on_stop; a PUBLISH to order/slow holds its hook 300 ms
 * Written in C on purpose: the ABI must serve plain C plugins.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emqx_cpp/plugin.h"

#ifndef FIXTURE_NAME
#error "FIXTURE_NAME must be defined"
#endif

#if defined(FIXTURE_NO_ENTRY)

ECP_EXPORT int fixture_without_entry(void) {
  return 42;
}

#else

static const ecp_host_api* host;
static ecp_plugin* self;

#if defined(FIXTURE_CRASHY)
static ecp_hook_result on_publish(void* user_data, const ecp_event* event, ecp_hook_reply* reply) {
  size_t len = 0;
  const char* topic = host->api_message_topic(event->message, &len);
  (void)user_data;
  (void)reply;
  if (len == 9 && memcmp(topic, "crash/now", 9) == 0) return ECP_HOOK_CRASHED;
  return ECP_HOOK_CONTINUE;
}
#endif

#if defined(FIXTURE_ACCESS)
struct later {
  uint64_t token;
  ecp_hook_result result;
  ecp_status code;
  unsigned delay_ms;
};

static void* answer_later(void* arg) {
  struct later* l = (struct later*)arg;
  struct timespec ts = {(time_t)(l->delay_ms / 1000), (long)(l->delay_ms % 1000) * 1000000L};
  /* The reply as a 1.0 plugin knows it: the broker must read no further. */
  ecp_hook_reply reply = {offsetof(ecp_hook_reply, auth_data), l->code, 0, NULL, 0};
  nanosleep(&ts, NULL);
  host->api_complete(self, l->token, l->result, &reply);
  free(l);
  return NULL;
}

static ecp_hook_result go_async(uint64_t token, ecp_hook_result result, ecp_status code,
                                unsigned delay_ms) {
  pthread_t t;
  struct later* l = (struct later*)malloc(sizeof(struct later));
  l->token = token;
  l->result = result;
  l->code = code;
  l->delay_ms = delay_ms;
  if (pthread_create(&t, NULL, answer_later, l) != 0) {
    free(l);
    return ECP_HOOK_CONTINUE;
  }
  pthread_detach(t);
  return ECP_HOOK_ASYNC;
}

static int named(const char* s, const char* want) {
  return s != NULL && strcmp(s, want) == 0;
}

static ecp_hook_result on_authenticate(void* user_data, const ecp_event* event,
                                       ecp_hook_reply* reply) {
  const char* user = event->client->username;
  (void)user_data;
  (void)reply;
  if (named(user, "slow-ok")) return go_async(event->token, ECP_HOOK_STOP, ECP_OK, 300);
  if (named(user, "slow-deny"))
    return go_async(event->token, ECP_HOOK_STOP, ECP_RC_BAD_USER_NAME_OR_PASSWORD, 300);
  if (named(user, "hang")) return ECP_HOOK_ASYNC; /* never answers: the broker times out */
  return ECP_HOOK_CONTINUE;
}

static void whois(const char* client_id) {
  ecp_client_info info;
  char topic[256];
  char text[512];
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  snprintf(topic, sizeof topic, "whois-reply/%s", client_id);
  if (host->api_client_info(self, client_id, &info) != ECP_OK) {
    snprintf(text, sizeof text, "not connected");
  } else {
    snprintf(text, sizeof text, "id=%s user=%s listener=%s proto=%u keepalive=%u clean=%u",
             info.client_id, info.username != NULL ? info.username : "-", info.listener,
             (unsigned)info.protocol_version, (unsigned)info.keepalive, (unsigned)info.clean_start);
  }
  host->api_publish(self, topic, text, strlen(text), 0, 0);
}

static ecp_hook_result on_authorize(void* user_data, const ecp_event* event,
                                    ecp_hook_reply* reply) {
  (void)user_data;
  if (event->action == ECP_ACTION_PUBLISH && strncmp(event->topic, "whois/", 6) == 0)
    whois(event->topic + 6);
  if (strncmp(event->topic, "deny/", 5) == 0) {
    reply->code = ECP_RC_NOT_AUTHORIZED;
    return ECP_HOOK_STOP;
  }
  if (strncmp(event->topic, "slowdeny/", 9) == 0)
    return go_async(event->token, ECP_HOOK_STOP, ECP_RC_NOT_AUTHORIZED, 200);
  return ECP_HOOK_CONTINUE;
}
#endif

#if defined(FIXTURE_RETAINED)
/* A retained store of 64 slots behind one mutex: enough to prove the broker stores into
 * and matches from a provider instead of its own table. */
#define SLOTS 64
struct slot {
  char topic[128];
  char payload[256];
  size_t payload_len;
  uint8_t qos;
  int used;
};
static struct slot slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* MQTT wildcard matching, enough for the tests ('+' and a trailing '#'). */
static int matches(const char* filter, const char* topic) {
  while (*filter != 0) {
    if (filter[0] == '#') return 1;
    if (filter[0] == '+') {
      while (*topic != 0 && *topic != '/')
        ++topic;
      ++filter;
    } else {
      if (*filter != *topic) return 0;
      ++filter;
      ++topic;
      continue;
    }
  }
  return *topic == 0;
}

static ecp_status on_store(void* state, const ecp_retained_message* m) {
  int i;
  int free_slot = -1;
  (void)state;
  if (m->topic_len >= sizeof(slots[0].topic) || m->payload_len > sizeof(slots[0].payload))
    return ECP_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&slots_lock);
  for (i = 0; i < SLOTS; ++i) {
    if (slots[i].used && strlen(slots[i].topic) == m->topic_len &&
        memcmp(slots[i].topic, m->topic, m->topic_len) == 0)
      break;
    if (!slots[i].used && free_slot < 0) free_slot = i;
  }
  if (i == SLOTS) i = free_slot;
  if (i >= 0) {
    memcpy(slots[i].topic, m->topic, m->topic_len);
    slots[i].topic[m->topic_len] = 0;
    memcpy(slots[i].payload, m->payload, m->payload_len);
    slots[i].payload_len = m->payload_len;
    slots[i].qos = m->qos;
    slots[i].used = 1;
  }
  pthread_mutex_unlock(&slots_lock);
  return i >= 0 ? ECP_OK : ECP_ERR_BUSY;
}

static ecp_status on_delete(void* state, const char* topic, size_t len) {
  int i;
  (void)state;
  pthread_mutex_lock(&slots_lock);
  for (i = 0; i < SLOTS; ++i)
    if (slots[i].used && strlen(slots[i].topic) == len && memcmp(slots[i].topic, topic, len) == 0)
      slots[i].used = 0;
  pthread_mutex_unlock(&slots_lock);
  return ECP_OK;
}

static ecp_status on_match(void* state, const char* filter, size_t filter_len, uint64_t now_ms,
                           ecp_on_retained_match each, void* ctx) {
  char f[128];
  int i;
  (void)state;
  (void)now_ms;
  if (filter_len >= sizeof(f)) return ECP_ERR_INVALID_ARGUMENT;
  memcpy(f, filter, filter_len);
  f[filter_len] = 0;
  pthread_mutex_lock(&slots_lock);
  for (i = 0; i < SLOTS; ++i) {
    ecp_retained_message m;
    if (!slots[i].used || !matches(f, slots[i].topic)) continue;
    memset(&m, 0, sizeof(m));
    m.size = sizeof(m);
    m.topic = slots[i].topic;
    m.topic_len = strlen(slots[i].topic);
    m.payload = slots[i].payload;
    m.payload_len = slots[i].payload_len;
    m.qos = slots[i].qos;
    if (each(ctx, &m) != 0) break;
  }
  pthread_mutex_unlock(&slots_lock);
  return ECP_OK;
}

static uint64_t on_count(void* state) {
  uint64_t n = 0;
  int i;
  (void)state;
  pthread_mutex_lock(&slots_lock);
  for (i = 0; i < SLOTS; ++i)
    n += slots[i].used ? 1 : 0;
  pthread_mutex_unlock(&slots_lock);
  return n;
}

static const ecp_retained_store_provider store = {sizeof(ecp_retained_store_provider), on_store,
                                                  on_delete, on_match, on_count};
#endif

#if defined(FIXTURE_SESSIONS)
#include <stdio.h>
#include <unistd.h>

static char session_dir[512];

/* The file of a client id: hex-encoded, since ids may hold '/' or anything else. */
static void session_path(const char* client_id, char* out, size_t out_len) {
  size_t n = (size_t)snprintf(out, out_len, "%s/", session_dir);
  for (; *client_id != 0 && n + 3 < out_len; ++client_id)
    n += (size_t)snprintf(out + n, out_len - n, "%02x", (unsigned char)*client_id);
}

static ecp_status on_save(void* state, const char* client_id, const void* blob, size_t len,
                          uint32_t expiry_s) {
  char path[1024];
  FILE* f;
  (void)state;
  (void)expiry_s;
  session_path(client_id, path, sizeof(path));
  f = fopen(path, "wb");
  if (f == NULL) return ECP_ERR_UNSUPPORTED;
  fwrite(blob, 1, len, f);
  fclose(f);
  return ECP_OK;
}

static ecp_status on_load(void* state, const char* client_id, void* (*alloc)(void*, size_t),
                          void* alloc_ctx, void** blob, size_t* len) {
  char path[1024];
  FILE* f;
  long size;
  (void)state;
  session_path(client_id, path, sizeof(path));
  f = fopen(path, "rb");
  if (f == NULL) return ECP_ERR_NOT_FOUND;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  *blob = alloc(alloc_ctx, (size_t)size);
  *len = fread(*blob, 1, (size_t)size, f);
  fclose(f);
  return ECP_OK;
}

static ecp_status on_forget(void* state, const char* client_id) {
  char path[1024];
  (void)state;
  session_path(client_id, path, sizeof(path));
  unlink(path);
  return ECP_OK;
}

/* The vtable of a plugin built for 1.0: it ends before the 1.1 members. */
static const ecp_session_store_provider session_store = {
    offsetof(ecp_session_store_provider, on_load_async),
    on_save,
    on_load,
    on_forget,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL};
#endif

#if defined(FIXTURE_STORE)
#include <dirent.h>
#include <unistd.h>

static char store_dir[512];
static int64_t apply_delay_ms;

static void store_path(const char* client_id, char* out, size_t out_len) {
  size_t n = (size_t)snprintf(out, out_len, "%s/s-", store_dir);
  for (; *client_id != 0 && n + 3 < out_len; ++client_id)
    n += (size_t)snprintf(out + n, out_len - n, "%02x", (unsigned char)*client_id);
}

/* Reads a whole file into a malloc'ed buffer; NULL if it is not there. */
static char* read_all(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  long size;
  char* buf;
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (char*)malloc(size > 0 ? (size_t)size : 1);
  *len = fread(buf, 1, (size_t)size, f);
  fclose(f);
  return buf;
}

static ecp_status store_save(void* state, const char* client_id, const void* blob, size_t len,
                             uint32_t expiry_s, uint64_t token) {
  char path[1024];
  FILE* f;
  (void)state;
  (void)expiry_s;
  store_path(client_id, path, sizeof path);
  f = fopen(path, "wb");
  if (f == NULL) return ECP_ERR_UNSUPPORTED;
  fwrite(blob, 1, len, f);
  fclose(f);
  return host->api_provider_complete(self, token, ECP_OK, NULL, 0);
}

struct load_job {
  char path[1024];
  uint64_t token;
};

static void* load_on_thread(void* arg) {
  struct load_job* j = (struct load_job*)arg;
  size_t len = 0;
  char* data = read_all(j->path, &len);
  if (data == NULL) {
    host->api_provider_complete(self, j->token, ECP_ERR_NOT_FOUND, NULL, 0);
  } else {
    host->api_provider_complete(self, j->token, ECP_OK, data, len);
    free(data);
  }
  free(j);
  return NULL;
}

static ecp_status store_load(void* state, const char* client_id, uint64_t token) {
  pthread_t t;
  struct load_job* j = (struct load_job*)malloc(sizeof(struct load_job));
  (void)state;
  store_path(client_id, j->path, sizeof j->path);
  j->token = token;
  if (pthread_create(&t, NULL, load_on_thread, j) != 0) {
    free(j);
    return ECP_ERR_BUSY;
  }
  pthread_detach(t);
  return ECP_OK;
}

static ecp_status store_delete(void* state, const char* client_id, uint64_t token) {
  char path[1024];
  (void)state;
  store_path(client_id, path, sizeof path);
  unlink(path);
  return host->api_provider_complete(self, token, ECP_OK, NULL, 0);
}

static const char* change_name(int32_t kind) {
  switch (kind) {
    case ECP_SESSION_SUBSCRIBED:
      return "subscribed";
    case ECP_SESSION_UNSUBSCRIBED:
      return "unsubscribed";
    case ECP_SESSION_MESSAGE_APPENDED:
      return "appended";
    case ECP_SESSION_MESSAGE_SENT:
      return "sent";
    case ECP_SESSION_MESSAGE_RECEIVED:
      return "received";
    case ECP_SESSION_MESSAGE_DONE:
      return "done";
    case ECP_SESSION_REL_AWAITED:
      return "rel_awaited";
    case ECP_SESSION_REL_RELEASED:
      return "rel_released";
    default:
      return "unknown";
  }
}

struct apply_job {
  uint64_t token;
};

static void* complete_later(void* arg) {
  struct apply_job* j = (struct apply_job*)arg;
  struct timespec ts = {(time_t)(apply_delay_ms / 1000), (long)(apply_delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  host->api_provider_complete(self, j->token, ECP_OK, NULL, 0);
  free(j);
  return NULL;
}

static ecp_status store_apply(void* state, const ecp_session_change* changes, size_t count,
                              uint64_t token) {
  char path[1024];
  FILE* f;
  size_t i;
  (void)state;
  snprintf(path, sizeof path, "%s/journal.log", store_dir);
  f = fopen(path, "a");
  if (f == NULL) return ECP_ERR_UNSUPPORTED;
  for (i = 0; i < count; ++i) {
    const ecp_session_change* c = &changes[i];
    fprintf(f, "%s client=%s pid=%u", change_name(c->kind), c->client_id, (unsigned)c->packet_id);
    if (c->message != NULL)
      fprintf(f, " topic=%.*s payload=%.*s qos=%u", (int)c->message->topic_len, c->message->topic,
              (int)c->message->payload_len, (const char*)c->message->payload, (unsigned)c->qos);
    if (c->filter != NULL) fprintf(f, " filter=%s", c->filter);
    fprintf(f, "\n");
  }
  fclose(f);
  if (apply_delay_ms > 0) {
    pthread_t t;
    struct apply_job* j = (struct apply_job*)malloc(sizeof(struct apply_job));
    j->token = token;
    if (pthread_create(&t, NULL, complete_later, j) == 0) {
      pthread_detach(t);
      return ECP_OK;
    }
    free(j);
  }
  return host->api_provider_complete(self, token, ECP_OK, NULL, 0);
}

static ecp_status store_list(void* state, ecp_on_stored_session each, void* ctx) {
  DIR* d = opendir(store_dir);
  struct dirent* e;
  (void)state;
  if (d == NULL) return ECP_ERR_NOT_FOUND;
  while ((e = readdir(d)) != NULL) {
    char path[1024];
    char id[512];
    size_t n = 0;
    size_t len = 0;
    const char* hex = e->d_name + 2;
    char* blob;
    if (strncmp(e->d_name, "s-", 2) != 0) continue;
    for (; hex[0] != 0 && hex[1] != 0 && n + 1 < sizeof id; hex += 2) {
      unsigned v = 0;
      sscanf(hex, "%2x", &v);
      id[n++] = (char)v;
    }
    id[n] = 0;
    snprintf(path, sizeof path, "%s/%s", store_dir, e->d_name);
    blob = read_all(path, &len);
    if (blob != NULL) {
      each(ctx, id, blob, len);
      free(blob);
    }
  }
  closedir(d);
  return ECP_OK;
}

static const ecp_session_store_provider store_vtable = {sizeof(ecp_session_store_provider),
                                                        NULL,
                                                        NULL,
                                                        NULL,
                                                        store_load,
                                                        store_save,
                                                        store_delete,
                                                        store_apply,
                                                        store_list};
#endif

#if defined(FIXTURE_INSTANT)
/* One answering thread; the hook hands it a token and waits until api_complete has
 * returned, so the answer always arrives before the hook says ECP_HOOK_ASYNC. */
static pthread_mutex_t instant_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t instant_cond = PTHREAD_COND_INITIALIZER;
static uint64_t instant_token;
static ecp_status instant_code;
static int instant_state; /* 0 idle, 1 asked, 2 answered, 3 stopping */
static pthread_t instant_thread;

static void* instant_answerer(void* arg) {
  (void)arg;
  pthread_mutex_lock(&instant_lock);
  for (;;) {
    while (instant_state != 1 && instant_state != 3)
      pthread_cond_wait(&instant_cond, &instant_lock);
    if (instant_state == 3) break;
    {
      ecp_hook_reply reply = {sizeof(ecp_hook_reply), instant_code, 0, NULL, 0};
      host->api_complete(self, instant_token, ECP_HOOK_STOP, &reply);
    }
    instant_state = 2;
    pthread_cond_broadcast(&instant_cond);
  }
  pthread_mutex_unlock(&instant_lock);
  return NULL;
}

static ecp_hook_result instant_decide(uint64_t token, ecp_status code) {
  pthread_mutex_lock(&instant_lock);
  while (instant_state != 0)
    pthread_cond_wait(&instant_cond, &instant_lock);
  instant_token = token;
  instant_code = code;
  instant_state = 1;
  pthread_cond_broadcast(&instant_cond);
  while (instant_state != 2)
    pthread_cond_wait(&instant_cond, &instant_lock);
  instant_state = 0;
  pthread_cond_broadcast(&instant_cond);
  pthread_mutex_unlock(&instant_lock);
  return ECP_HOOK_ASYNC;
}

static ecp_hook_result on_instant_authorize(void* user_data, const ecp_event* event,
                                            ecp_hook_reply* reply) {
  (void)user_data;
  (void)reply;
  return instant_decide(event->token,
                        strncmp(event->topic, "deny/", 5) == 0 ? ECP_RC_NOT_AUTHORIZED : ECP_OK);
}

static ecp_status instant_stop(void* state) {
  (void)state;
  pthread_mutex_lock(&instant_lock);
  instant_state = 3;
  pthread_cond_broadcast(&instant_cond);
  pthread_mutex_unlock(&instant_lock);
  pthread_join(instant_thread, NULL);
  instant_state = 0;
  return ECP_OK;
}
#endif

#if defined(FIXTURE_ORDER)
static char journal_path[512];
static volatile int order_stopped;
static volatile int order_destroyed;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;

static void journal(const char* line) {
  FILE* f;
  pthread_mutex_lock(&journal_lock);
  f = fopen(journal_path, "a");
  if (f != NULL) {
    fprintf(f, "%s\n", line);
    fclose(f);
  }
  pthread_mutex_unlock(&journal_lock);
}

static void check_running(const char* what) {
  char line[128];
  if (!order_stopped) return;
  snprintf(line, sizeof line, "VIOLATION %s after on_stop", what);
  journal(line);
}

static ecp_hook_result on_order_publish(void* user_data, const ecp_event* event,
                                        ecp_hook_reply* reply) {
  size_t len = 0;
  const char* topic = host->api_message_topic(event->message, &len);
  (void)user_data;
  (void)reply;
  check_running("hook");
  if (len == 10 && memcmp(topic, "order/slow", 10) == 0) {
    struct timespec ts = {0, 300L * 1000000L};
    journal("hook slow begins");
    nanosleep(&ts, NULL);
    check_running("hook (slow, at its end)");
    journal("hook slow ends");
  }
  return ECP_HOOK_CONTINUE;
}

static void on_order_tick(void* arg) {
  (void)arg;
  check_running("timer");
}

static ecp_status order_store(void* state, const ecp_retained_message* m) {
  (void)state;
  (void)m;
  check_running("provider");
  return ECP_OK;
}
static ecp_status order_delete(void* state, const char* topic, size_t len) {
  (void)state;
  (void)topic;
  (void)len;
  check_running("provider");
  return ECP_OK;
}
static ecp_status order_match(void* state, const char* filter, size_t filter_len, uint64_t now_ms,
                              ecp_on_retained_match each, void* ctx) {
  (void)state;
  (void)filter;
  (void)filter_len;
  (void)now_ms;
  (void)each;
  (void)ctx;
  check_running("provider");
  return ECP_OK;
}
static uint64_t order_count(void* state) {
  (void)state;
  check_running("provider");
  return 0;
}
static const ecp_retained_store_provider order_provider = {
    sizeof(ecp_retained_store_provider), order_store, order_delete, order_match, order_count};

static ecp_status order_stop(void* state) {
  (void)state;
  order_stopped = 1;
  journal("on_stop");
  return ECP_OK;
}

static void order_destroy(void* state) {
  (void)state;
  if (!order_stopped) journal("VIOLATION on_destroy before on_stop");
  order_destroyed = 1;
  journal("on_destroy");
}
#endif

#if defined(FIXTURE_DROPS)
static ecp_hook_result on_drop_event(void* user_data, const ecp_event* event,
                                     ecp_hook_reply* reply) {
  char line[512];
  size_t len = 0;
  const char* topic = host->api_message_topic(event->message, &len);
  (void)reply;
  if (len >= 4 && memcmp(topic, "$SYS", 4) == 0) return ECP_HOOK_CONTINUE;
  snprintf(
      line, sizeof line, "seen hook=%s reason=%s topic=%.*s client=%s worker=%u listener_type=%s",
      (const char*)user_data, event->reason_name != NULL ? event->reason_name : "-", (int)len,
      topic,
      event->client != NULL && event->client->client_id != NULL ? event->client->client_id : "-",
      (unsigned)event->worker,
      event->client != NULL && event->client->listener_type != NULL ? event->client->listener_type
                                                                    : "-");
  host->api_log(self, ECP_LOG_INFO, line);
  return ECP_HOOK_CONTINUE;
}
#endif

#if defined(FIXTURE_ENHANCED)
static int data_is(const ecp_event* event, const char* want) {
  return event->auth_data != NULL && event->auth_data_len == strlen(want) &&
         memcmp(event->auth_data, want, event->auth_data_len) == 0;
}

static ecp_hook_result decide(ecp_hook_reply* reply, ecp_status code, const char* data) {
  reply->code = code;
  if (data != NULL) {
    reply->auth_data = data; /* a string literal: valid for as long as needed */
    reply->auth_data_len = strlen(data);
  }
  return ECP_HOOK_STOP;
}

struct accept_later {
  uint64_t token;
};

static void* accept_from_thread(void* arg) {
  struct accept_later* l = (struct accept_later*)arg;
  ecp_hook_reply reply = {sizeof(ecp_hook_reply), ECP_OK, 0, "welcome", 7};
  struct timespec ts = {0, 50L * 1000000L};
  nanosleep(&ts, NULL);
  host->api_complete(self, l->token, ECP_HOOK_STOP, &reply);
  free(l);
  return NULL;
}

static ecp_hook_result on_enhanced_authenticate(void* user_data, const ecp_event* event,
                                                ecp_hook_reply* reply) {
  (void)user_data;
  if (event->auth_method == NULL || strcmp(event->auth_method, "X-TEST") != 0)
    return ECP_HOOK_CONTINUE;
  if (data_is(event, "hello")) return decide(reply, ECP_RC_CONTINUE_AUTHENTICATION, "challenge");
  return decide(reply, ECP_RC_BAD_USER_NAME_OR_PASSWORD, NULL);
}

static ecp_hook_result on_auth_exchange(void* user_data, const ecp_event* event,
                                        ecp_hook_reply* reply) {
  (void)user_data;
  if (event->auth_method == NULL || strcmp(event->auth_method, "X-TEST") != 0)
    return ECP_HOOK_CONTINUE;
  if (event->reason == ECP_RC_CONTINUE_AUTHENTICATION && data_is(event, "response")) {
    pthread_t t;
    struct accept_later* l = (struct accept_later*)malloc(sizeof(struct accept_later));
    l->token = event->token;
    if (pthread_create(&t, NULL, accept_from_thread, l) != 0) {
      free(l);
      return ECP_HOOK_CONTINUE;
    }
    pthread_detach(t);
    return ECP_HOOK_ASYNC;
  }
  if (event->reason == ECP_RC_CONTINUE_AUTHENTICATION && data_is(event, "more"))
    return decide(reply, ECP_RC_CONTINUE_AUTHENTICATION, "again?");
  if (event->reason == ECP_RC_REAUTHENTICATE && data_is(event, "again"))
    return decide(reply, ECP_OK, "ok");
  return decide(reply, ECP_RC_NOT_AUTHORIZED, NULL);
}
#endif

#if defined(FIXTURE_MGMT)
static void reply_text(uint64_t id, int32_t status, const char* type, const char* text) {
  host->api_mgmt_reply(self, id, status, type, text, strlen(text));
}

struct later_reply {
  uint64_t id;
};

static void* reply_from_thread(void* arg) {
  struct later_reply* l = (struct later_reply*)arg;
  struct timespec ts = {0, 100L * 1000000L};
  nanosleep(&ts, NULL);
  reply_text(l->id, 0, "text/plain", "answered later");
  free(l);
  return NULL;
}

static ecp_status on_fxecho(void* user_data, const ecp_mgmt_request* r) {
  char text[512] = "echo:";
  size_t i;
  (void)user_data;
  if (r->arg_count > 0 && strcmp(r->args[0], "later") == 0) {
    pthread_t t;
    struct later_reply* l = (struct later_reply*)malloc(sizeof(struct later_reply));
    l->id = r->id;
    if (pthread_create(&t, NULL, reply_from_thread, l) != 0) {
      free(l);
      return ECP_ERR_BUSY;
    }
    pthread_detach(t);
    return ECP_OK;
  }
  if (r->arg_count > 0 && strcmp(r->args[0], "fail") == 0) {
    reply_text(r->id, 1, "text/plain", "it failed, as asked");
    return ECP_OK;
  }
  for (i = 0; i < r->arg_count; ++i) {
    strncat(text, " ", sizeof text - strlen(text) - 1);
    strncat(text, r->args[i], sizeof text - strlen(text) - 1);
  }
  reply_text(r->id, 0, "text/plain", text);
  return ECP_OK;
}

static ecp_status on_echo_route(void* user_data, const ecp_mgmt_request* r) {
  char json[512];
  (void)user_data;
  snprintf(json, sizeof json, "{\"word\":\"%s\",\"query\":\"%s\"}",
           r->arg_count > 0 ? r->args[0] : "", r->query);
  reply_text(r->id, 200, NULL, json);
  return ECP_OK;
}

static ecp_status on_body_route(void* user_data, const ecp_mgmt_request* r) {
  (void)user_data;
  host->api_mgmt_reply(self, r->id, 201, "application/octet-stream", r->body, r->body_len);
  return ECP_OK;
}

struct metric_text {
  char buf[16384];
  size_t len;
};

static void add_metric(void* ctx, const ecp_metric* m) {
  struct metric_text* t = (struct metric_text*)ctx;
  if (t->len + 200 >= sizeof t->buf) return;
  t->len += (size_t)snprintf(t->buf + t->len, sizeof t->buf - t->len, "%s %s %.0f\n", m->name,
                             m->type == ECP_METRIC_COUNTER ? "counter" : "gauge", m->value);
}

static ecp_status on_metrics_route(void* user_data, const ecp_mgmt_request* r) {
  static struct metric_text t; /* routes run on the one management thread */
  (void)user_data;
  t.len = 0;
  t.buf[0] = 0;
  host->api_metrics_visit(self, add_metric, &t);
  host->api_mgmt_reply(self, r->id, 200, "text/plain", t.buf, t.len);
  return ECP_OK;
}

static ecp_status on_publish_route(void* user_data, const ecp_mgmt_request* r) {
  ecp_user_property up = {"origin", "fx_mgmt"};
  ecp_publish_properties props;
  ecp_status st;
  (void)user_data;
  memset(&props, 0, sizeof props);
  props.size = sizeof props;
  props.content_type = "text/plain";
  props.response_topic = "fx/replies";
  props.correlation_data = "c-1";
  props.correlation_data_len = 3;
  props.message_expiry_interval = 60;
  props.user_properties = &up;
  props.user_property_count = 1;
  st = host->api_publish_v5(self, "fx/published", r->body, r->body_len, 1, 0, &props);
  reply_text(r->id, st == ECP_OK ? 200 : 400, NULL, st == ECP_OK ? "{}" : "{\"error\":1}");
  return ECP_OK;
}
#endif

#if defined(FIXTURE_AUTHZ)
static ecp_hook_result on_counted_authorize(void* user_data, const ecp_event* event,
                                            ecp_hook_reply* reply) {
  char line[512];
  (void)user_data;
  snprintf(line, sizeof line, "authorize client=%s action=%d topic=%s end",
           event->client->client_id, (int)event->action, event->topic);
  host->api_log(self, ECP_LOG_INFO, line);
  if (strcmp(event->topic, "clear/all") == 0) host->api_authz_cache_clear(self, NULL);
  if (strcmp(event->topic, "clear/me") == 0)
    host->api_authz_cache_clear(self, event->client->client_id);
  if (strncmp(event->topic, "deny/", 5) == 0) {
    reply->code = ECP_RC_NOT_AUTHORIZED;
    return ECP_HOOK_STOP;
  }
  return ECP_HOOK_CONTINUE;
}
#endif

#if defined(FIXTURE_LOOP)
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOOP_MAX_PEERS 8
#define LOOP_MAX_FRAME (4 * 1024 * 1024)

struct loop_peer {
  char name[128];
  char path[256];
  int fd; /* outgoing connection, -1 until connected */
};

static char loop_listen[256];
static struct loop_peer loop_peers[LOOP_MAX_PEERS];
static int loop_peer_count;
static int loop_listen_fd = -1;
static volatile int loop_stopping;
static pthread_t loop_acceptor;
static pthread_t loop_connector;
static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static int loop_readers[16];
static int loop_reader_count;

/* [type][node]\0[payload] in one datagram. */
static int loop_send(struct loop_peer* p, char type, const void* payload, size_t len) {
  const char* self_name = host->api_node_name(self);
  size_t name_len = strlen(self_name) + 1;
  char* frame = (char*)malloc(1 + name_len + len);
  ssize_t n;
  frame[0] = type;
  memcpy(frame + 1, self_name, name_len);
  if (len > 0) memcpy(frame + 1 + name_len, payload, len);
  n = send(p->fd, frame, 1 + name_len + len, MSG_NOSIGNAL);
  free(frame);
  return n == (ssize_t)(1 + name_len + len) ? 0 : -1;
}

static struct loop_peer* loop_find(const char* node) {
  int i;
  for (i = 0; i < loop_peer_count; ++i)
    if (strcmp(loop_peers[i].name, node) == 0) return &loop_peers[i];
  return NULL;
}

/* Route deltas as [op][filter]\0 ... */
static char* encode_routes(const ecp_route_delta* d, size_t count, size_t* len) {
  size_t i;
  size_t total = 0;
  char* out;
  char* at;
  for (i = 0; i < count; ++i)
    total += 2 + strlen(d[i].filter);
  out = (char*)malloc(total > 0 ? total : 1);
  at = out;
  for (i = 0; i < count; ++i) {
    size_t fl = strlen(d[i].filter) + 1;
    *at++ = (char)d[i].op;
    memcpy(at, d[i].filter, fl);
    at += fl;
  }
  *len = total;
  return out;
}

static void loop_lost(struct loop_peer* p) {
  /* Called with loop_lock held. */
  if (p->fd < 0) return;
  close(p->fd);
  p->fd = -1;
  host->api_cluster_peer(self, p->name, 0);
}

static ecp_status loop_routes(void* state, const ecp_route_delta* deltas, size_t count) {
  size_t len = 0;
  char* payload = encode_routes(deltas, count, &len);
  int i;
  (void)state;
  pthread_mutex_lock(&loop_lock);
  for (i = 0; i < loop_peer_count; ++i)
    if (loop_peers[i].fd >= 0 && loop_send(&loop_peers[i], 'R', payload, len) != 0)
      loop_lost(&loop_peers[i]);
  pthread_mutex_unlock(&loop_lock);
  free(payload);
  return ECP_OK;
}

static ecp_status loop_sync(void* state, const char* node, const ecp_route_delta* routes,
                            size_t count) {
  size_t len = 0;
  char* payload = encode_routes(routes, count, &len);
  struct loop_peer* p;
  (void)state;
  pthread_mutex_lock(&loop_lock);
  p = loop_find(node);
  if (p != NULL && p->fd >= 0 && loop_send(p, 'R', payload, len) != 0) loop_lost(p);
  pthread_mutex_unlock(&loop_lock);
  free(payload);
  return ECP_OK;
}

static ecp_status loop_forward(void* state, const char* node, const void* batch, size_t len,
                               uint8_t qos_max) {
  struct loop_peer* p;
  ecp_status st = ECP_ERR_NOT_FOUND;
  (void)state;
  (void)qos_max;
  pthread_mutex_lock(&loop_lock);
  p = loop_find(node);
  if (p != NULL && p->fd >= 0) {
    st = loop_send(p, 'M', batch, len) == 0 ? ECP_OK : ECP_ERR_BUSY;
    if (st != ECP_OK) loop_lost(p);
  }
  pthread_mutex_unlock(&loop_lock);
  return st;
}

static void loop_receive(const char* frame, size_t len) {
  const char* from = frame + 1;
  size_t from_len = strnlen(from, len - 1);
  const char* payload = from + from_len + 1;
  size_t payload_len;
  if (from_len + 1 >= len) return;
  payload_len = len - 1 - from_len - 1;
  if (frame[0] == 'M') {
    host->api_cluster_deliver(self, from, payload, payload_len);
  } else if (frame[0] == 'R') {
    ecp_route_delta deltas[256];
    size_t n = 0;
    const char* at = payload;
    const char* end = payload + payload_len;
    while (at < end) {
      size_t fl = strnlen(at + 1, (size_t)(end - at - 1));
      if (at + 1 + fl >= end) break;
      deltas[n].size = sizeof(ecp_route_delta);
      deltas[n].op = at[0];
      deltas[n].filter = at + 1;
      ++n;
      at += 2 + fl;
      if (n == 256) {
        host->api_cluster_routes(self, from, deltas, n);
        n = 0;
      }
    }
    if (n > 0) host->api_cluster_routes(self, from, deltas, n);
  }
}

static void* loop_read(void* arg) {
  int fd = (int)(intptr_t)arg;
  char* buf = (char*)malloc(LOOP_MAX_FRAME);
  char from[128] = "";
  for (;;) {
    ssize_t n = recv(fd, buf, LOOP_MAX_FRAME, 0);
    if (n <= 1) break;
    snprintf(from, sizeof from, "%.*s", (int)strnlen(buf + 1, (size_t)n - 1), buf + 1);
    loop_receive(buf, (size_t)n);
  }
  /* The peer's end closed: it is gone (its restart connects again). */
  if (from[0] != 0 && !loop_stopping) {
    struct loop_peer* p;
    pthread_mutex_lock(&loop_lock);
    p = loop_find(from);
    if (p != NULL) loop_lost(p);
    pthread_mutex_unlock(&loop_lock);
  }
  free(buf);
  close(fd);
  return NULL;
}

static void* loop_accept(void* arg) {
  (void)arg;
  for (;;) {
    pthread_t t;
    int fd = accept(loop_listen_fd, NULL, NULL);
    if (fd < 0) {
      if (loop_stopping) break;
      continue;
    }
    pthread_mutex_lock(&loop_lock);
    if (loop_reader_count < 16) loop_readers[loop_reader_count++] = fd;
    pthread_mutex_unlock(&loop_lock);
    if (pthread_create(&t, NULL, loop_read, (void*)(intptr_t)fd) == 0) pthread_detach(t);
  }
  return NULL;
}

static void* loop_connect(void* arg) {
  (void)arg;
  while (!loop_stopping) {
    int i;
    for (i = 0; i < loop_peer_count; ++i) {
      struct loop_peer* p = &loop_peers[i];
      struct sockaddr_un addr;
      int fd;
      int size = LOOP_MAX_FRAME;
      pthread_mutex_lock(&loop_lock);
      if (p->fd >= 0) {
        pthread_mutex_unlock(&loop_lock);
        continue;
      }
      pthread_mutex_unlock(&loop_lock);
      fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
      memset(&addr, 0, sizeof addr);
      addr.sun_family = AF_UNIX;
      strncpy(addr.sun_path, p->path, sizeof addr.sun_path - 1);
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
        close(fd);
        continue;
      }
      pthread_mutex_lock(&loop_lock);
      p->fd = fd;
      pthread_mutex_unlock(&loop_lock);
      /* The kernel answers with on_sync: every local route, for this peer. */
      host->api_cluster_peer(self, p->name, 1);
    }
    {
      struct timespec ts = {0, 50L * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

static ecp_status loop_start(void* state) {
  struct sockaddr_un addr;
  int size = LOOP_MAX_FRAME;
  (void)state;
  loop_stopping = 0;
  loop_listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, loop_listen, sizeof addr.sun_path - 1);
  unlink(loop_listen);
  setsockopt(loop_listen_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind(loop_listen_fd, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      listen(loop_listen_fd, 8) != 0)
    return ECP_ERR_UNSUPPORTED;
  if (pthread_create(&loop_acceptor, NULL, loop_accept, NULL) != 0) return ECP_ERR_BUSY;
  if (pthread_create(&loop_connector, NULL, loop_connect, NULL) != 0) return ECP_ERR_BUSY;
  return ECP_OK;
}

static ecp_status loop_stop(void* state) {
  int i;
  (void)state;
  loop_stopping = 1;
  shutdown(loop_listen_fd, SHUT_RDWR);
  close(loop_listen_fd);
  pthread_join(loop_acceptor, NULL);
  pthread_join(loop_connector, NULL);
  pthread_mutex_lock(&loop_lock);
  for (i = 0; i < loop_peer_count; ++i)
    if (loop_peers[i].fd >= 0) {
      close(loop_peers[i].fd);
      loop_peers[i].fd = -1;
    }
  for (i = 0; i < loop_reader_count; ++i)
    shutdown(loop_readers[i], SHUT_RDWR);
  loop_reader_count = 0;
  pthread_mutex_unlock(&loop_lock);
  unlink(loop_listen);
  return ECP_OK;
}

static const ecp_cluster_transport_provider loop_transport = {
    sizeof(ecp_cluster_transport_provider), NULL, NULL, loop_routes, loop_sync, loop_forward};
#endif

static ecp_status on_init(const ecp_host_api* api, ecp_plugin* plugin, void** state) {
  host = api;
  self = plugin;
  *state = NULL;
#if defined(FIXTURE_INIT_FAILS)
  api->api_log(plugin, ECP_LOG_ERROR, "refusing to start, as asked");
  return ECP_ERR_INVALID_ARGUMENT;
#else
#if defined(FIXTURE_CRASHY)
  api->api_register_hook(plugin, ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_DEFAULT, on_publish, NULL);
#endif
#if defined(FIXTURE_STORE)
  {
    const char* dir = NULL;
    size_t len = 0;
    if (api->api_config_string(plugin, "dir", &dir, &len) != ECP_OK || len >= sizeof(store_dir))
      return ECP_ERR_INVALID_ARGUMENT;
    memcpy(store_dir, dir, len);
    store_dir[len] = 0;
    if (api->api_config_int(plugin, "apply_delay_ms", &apply_delay_ms) != ECP_OK)
      apply_delay_ms = 0;
    return api->api_register_provider(plugin, ECP_PROVIDER_SESSION_STORE, &store_vtable, NULL);
  }
#endif
#if defined(FIXTURE_SESSIONS)
  {
    const char* dir = NULL;
    size_t len = 0;
    if (api->api_config_string(plugin, "dir", &dir, &len) != ECP_OK || len >= sizeof(session_dir))
      return ECP_ERR_INVALID_ARGUMENT;
    memcpy(session_dir, dir, len);
    session_dir[len] = 0;
    return api->api_register_provider(plugin, ECP_PROVIDER_SESSION_STORE, &session_store, NULL);
  }
#endif
#if defined(FIXTURE_RETAINED)
  {
    const ecp_status st =
        api->api_register_provider(plugin, ECP_PROVIDER_RETAINED_STORE, &store, NULL);
    if (st != ECP_OK) return st;
  }
#endif
#if defined(FIXTURE_AUTHZ)
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTHORIZE, ECP_PRIORITY_AUTHZ,
                         on_counted_authorize, NULL);
#endif
#if defined(FIXTURE_LOOP)
  {
    const char* v = NULL;
    size_t len = 0;
    char peers[1024];
    char* save = NULL;
    char* item;
    if (api->api_config_string(plugin, "listen", &v, &len) != ECP_OK || len >= sizeof loop_listen)
      return ECP_ERR_INVALID_ARGUMENT;
    memcpy(loop_listen, v, len);
    loop_listen[len] = 0;
    if (api->api_config_string(plugin, "peers", &v, &len) != ECP_OK || len >= sizeof peers)
      return ECP_ERR_INVALID_ARGUMENT;
    memcpy(peers, v, len);
    peers[len] = 0;
    loop_peer_count = 0;
    for (item = strtok_r(peers, ",", &save); item != NULL && loop_peer_count < LOOP_MAX_PEERS;
         item = strtok_r(NULL, ",", &save)) {
      char* eq = strchr(item, '=');
      if (eq == NULL) return ECP_ERR_INVALID_ARGUMENT;
      *eq = 0;
      snprintf(loop_peers[loop_peer_count].name, sizeof loop_peers[0].name, "%s", item);
      snprintf(loop_peers[loop_peer_count].path, sizeof loop_peers[0].path, "%s", eq + 1);
      loop_peers[loop_peer_count].fd = -1;
      ++loop_peer_count;
    }
    return api->api_register_provider(plugin, ECP_PROVIDER_CLUSTER_TRANSPORT, &loop_transport,
                                      NULL);
  }
#endif
#if defined(FIXTURE_MGMT)
  if (api->api_register_ctl(plugin, "fxecho", "fxecho WORD... | later | fail", on_fxecho, NULL) !=
          ECP_OK ||
      api->api_register_route(plugin, "GET", "/api/v5/fx/echo/:word", on_echo_route, NULL) !=
          ECP_OK ||
      api->api_register_route(plugin, "POST", "/api/v5/fx/body", on_body_route, NULL) != ECP_OK ||
      api->api_register_route(plugin, "GET", "/api/v5/fx/metrics", on_metrics_route, NULL) !=
          ECP_OK ||
      api->api_register_route(plugin, "POST", "/api/v5/fx/publish", on_publish_route, NULL) !=
          ECP_OK)
    return ECP_ERR_BUSY;
#endif
#if defined(FIXTURE_ENHANCED)
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN,
                         on_enhanced_authenticate, NULL);
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTH_EXCHANGE, ECP_PRIORITY_AUTHN,
                         on_auth_exchange, NULL);
#endif
#if defined(FIXTURE_DROPS)
  api->api_register_hook(plugin, ECP_HOOK_MESSAGE_DROPPED, ECP_PRIORITY_DEFAULT, on_drop_event,
                         (void*)"message.dropped");
  api->api_register_hook(plugin, ECP_HOOK_DELIVERY_DROPPED, ECP_PRIORITY_DEFAULT, on_drop_event,
                         (void*)"delivery.dropped");
  api->api_register_hook(plugin, ECP_HOOK_MESSAGE_DELIVERED, ECP_PRIORITY_DEFAULT, on_drop_event,
                         (void*)"message.delivered");
#endif
#if defined(FIXTURE_INSTANT)
  instant_state = 0;
  if (pthread_create(&instant_thread, NULL, instant_answerer, NULL) != 0) return ECP_ERR_BUSY;
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTHORIZE, ECP_PRIORITY_AUTHZ,
                         on_instant_authorize, NULL);
#endif
#if defined(FIXTURE_ORDER)
  {
    const char* path = NULL;
    size_t len = 0;
    if (api->api_config_string(plugin, "journal", &path, &len) != ECP_OK ||
        len >= sizeof(journal_path))
      return ECP_ERR_INVALID_ARGUMENT;
    memcpy(journal_path, path, len);
    journal_path[len] = 0;
    order_stopped = 0;
    order_destroyed = 0;
    journal("on_init");
    api->api_register_hook(plugin, ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_DEFAULT, on_order_publish,
                           NULL);
    api->api_timer_start(plugin, 1, 1, on_order_tick, NULL);
    api->api_register_provider(plugin, ECP_PROVIDER_RETAINED_STORE, &order_provider, NULL);
  }
#endif
#if defined(FIXTURE_ACCESS)
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN, on_authenticate,
                         NULL);
  api->api_register_hook(plugin, ECP_HOOK_CLIENT_AUTHORIZE, ECP_PRIORITY_AUTHZ, on_authorize, NULL);
#endif
  return ECP_OK;
#endif
}

#if defined(FIXTURE_ACCESS) || defined(FIXTURE_SESSIONS)
/* Declares ABI 1.0, as a plugin built before 1.1 does: older plugins must still load. */
#define FIXTURE_ABI_MINOR 0
#else
#define FIXTURE_ABI_MINOR ECP_ABI_MINOR
#endif

#if defined(FIXTURE_LOOP)
#define FIXTURE_START loop_start
#define FIXTURE_STOP loop_stop
#elif defined(FIXTURE_INSTANT)
#define FIXTURE_STOP instant_stop
#elif defined(FIXTURE_ORDER)
#define FIXTURE_STOP order_stop
#define FIXTURE_DESTROY order_destroy
#endif
#ifndef FIXTURE_START
#define FIXTURE_START NULL
#endif
#ifndef FIXTURE_STOP
#define FIXTURE_STOP NULL
#endif
#ifndef FIXTURE_DESTROY
#define FIXTURE_DESTROY NULL
#endif

static const ecp_plugin_descriptor descriptor = {
    sizeof(ecp_plugin_descriptor),
    {ECP_ABI_MAJOR, FIXTURE_ABI_MINOR},
    FIXTURE_NAME,
    "0.0.1",
    "test fixture",
    on_init,
    FIXTURE_START,
    FIXTURE_STOP,
    NULL,
    FIXTURE_DESTROY,
};

ECP_EXPORT const ecp_plugin_descriptor* emqx_cpp_plugin_entry(const ecp_abi_version* offered,
                                                              size_t count) {
  size_t i;
  for (i = 0; i < count; ++i) {
#if defined(FIXTURE_BAD_ABI)
    if (offered[i].major == 2) return &descriptor;
#else
    if (offered[i].major == ECP_ABI_MAJOR) return &descriptor;
#endif
  }
  return NULL;
}

#endif
