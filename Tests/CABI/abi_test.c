/*
 * Tests of libhookwire.so through its C interface only, as a C host uses it.
 *
 *   usage: abi_test WORK_DIRECTORY
 *
 * Every check prints its expression when it fails; the program exits 1 if any check failed.
 * Deliveries are observed through plugins written here, so no test needs an HTTP receiver.
 *
 * Where each hw_status code is produced: MISUSE (null_arguments, webhook_object and others),
 * INVALID_ARGUMENT (webhook_object, registry, publish_and_plugins), NOT_FOUND and
 * PERMISSION_DENIED (registry), TOO_LARGE, STORAGE, CORRUPT_DATABASE, UNSUPPORTED_SCHEMA and
 * READ_ONLY (engine_open_failures; READ_ONLY only when not run as root, because root may write a
 * read-only file), FAILED_PRECONDITION (publish_and_plugins), UNAVAILABLE (server_and_client),
 * UNAUTHENTICATED (server_tokens), TIMED_OUT (client_timeout), CANCELLED (client_cancel),
 * SIGNATURE_INVALID (signatures). INTERNAL marks a bug and DELIVERY_FAILED is returned by no
 * function of this version, so neither can be produced on purpose.
 */
#define _POSIX_C_SOURCE 200809L
#include <hookwire.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Sleeps for the given number of milliseconds. */
static void sleep_ms(long milliseconds) {
    struct timespec delay = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

static int failures = 0;
static int checks = 0;
static const char *work_directory;

#define CHECK(condition)                                                                          \
    do {                                                                                          \
        checks++;                                                                                 \
        if (!(condition)) {                                                                       \
            failures++;                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);         \
        }                                                                                         \
    } while (0)

#define CHECK_STATUS(expected, call)                                                              \
    do {                                                                                          \
        hw_status status_ = (call);                                                               \
        checks++;                                                                                 \
        if (status_ != (expected)) {                                                              \
            failures++;                                                                           \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); last error: %s\n",      \
                    __FILE__, __LINE__, #call, (int)status_, hw_status_message(status_),          \
                    (int)(expected), hw_status_message(expected),                                 \
                    hw_last_error_message() ? hw_last_error_message() : "(none)");                \
        }                                                                                         \
    } while (0)

#define CHECK_STRING(expected, actual)                                                            \
    do {                                                                                          \
        const char *actual_ = (actual);                                                           \
        checks++;                                                                                 \
        if (actual_ == NULL || strcmp(actual_, (expected)) != 0) {                                \
            failures++;                                                                           \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
                    actual_ ? actual_ : "(NULL)", (expected));                                    \
        }                                                                                         \
    } while (0)

/* True when the thread's last error message contains fragment. */
static bool last_error_mentions(const char *fragment) {
    const char *message = hw_last_error_message();
    return message != NULL && strstr(message, fragment) != NULL;
}

static void path_in_work(char *buffer, size_t size, const char *name) {
    snprintf(buffer, size, "%s/%s", work_directory, name);
}

/* Writes an empty SQLite database of one 4096-byte page whose user_version is the given
   number, following the file format at https://www.sqlite.org/fileformat.html. */
static bool write_empty_database(const char *path, uint32_t user_version) {
    unsigned char page[4096] = {0};
    memcpy(page, "SQLite format 3", 16);
    page[16] = 0x10; /* page size 4096, big-endian */
    page[17] = 0x00;
    page[18] = 1; /* legacy journal write and read versions */
    page[19] = 1;
    page[21] = 64; /* maximum, minimum and leaf payload fractions */
    page[22] = 32;
    page[23] = 32;
    page[27] = 1; /* file change counter */
    page[31] = 1; /* database size in pages */
    page[47] = 4; /* schema format number */
    page[56 + 3] = 1; /* text encoding UTF-8 */
    page[60] = (unsigned char)(user_version >> 24);
    page[61] = (unsigned char)(user_version >> 16);
    page[62] = (unsigned char)(user_version >> 8);
    page[63] = (unsigned char)user_version;
    page[95] = 1; /* version-valid-for, equal to the change counter */
    page[100] = 0x0d; /* page 1: an empty table b-tree leaf */
    page[105] = 0x10; /* cell content area starts at 4096 */
    FILE *file = fopen(path, "wb");
    if (file == NULL) return false;
    bool written = fwrite(page, 1, sizeof page, file) == sizeof page;
    return fclose(file) == 0 && written;
}

static hw_engine *open_engine(const char *name) {
    char path[1024];
    path_in_work(path, sizeof path, name);
    hw_engine *engine = NULL;
    hw_status status = hw_engine_open(path, NULL, &engine);
    checks++;
    if (status != HW_OK) {
        /* Counted as a failure; the calling test stops, and the others still run. */
        failures++;
        fprintf(stderr, "cannot open an engine on %s: %s\n", path, hw_last_error_message());
    }
    return engine;
}

static hw_webhook *new_hook(const char *name, const char *event, const char *type, const char *target) {
    hw_webhook *hook = NULL;
    CHECK_STATUS(HW_OK, hw_webhook_create(&hook));
    CHECK_STATUS(HW_OK, hw_webhook_set_name(hook, name));
    CHECK_STATUS(HW_OK, hw_webhook_add_event(hook, event));
    CHECK_STATUS(HW_OK, hw_webhook_set_type(hook, type));
    CHECK_STATUS(HW_OK, hw_webhook_set_target_url(hook, target));
    return hook;
}

/* ---------------------------------------------------------------------------------------- */
/* A plugin that records each delivery and returns the outcome stored in its state.         */
/* ---------------------------------------------------------------------------------------- */

typedef struct recorder {
    pthread_mutex_t lock;
    int calls;
    int freed;
    hw_plugin_outcome answer;
    char last_body[4096];
    char last_event[128];
    char last_hook_name[128];
    char last_message_id[128];
    bool saw_test;
} recorder;

static hw_plugin_outcome recorder_deliver(void *user_data, const hw_plugin_delivery *delivery, char *message,
                                          size_t capacity) {
    recorder *state = user_data;
    pthread_mutex_lock(&state->lock);
    state->calls++;
    size_t length = delivery->body_length < sizeof state->last_body - 1 ? delivery->body_length
                                                                         : sizeof state->last_body - 1;
    memcpy(state->last_body, delivery->body, length);
    state->last_body[length] = '\0';
    snprintf(state->last_event, sizeof state->last_event, "%s", delivery->event);
    snprintf(state->last_message_id, sizeof state->last_message_id, "%s", delivery->message_id);
    const char *hook_name = hw_webhook_name(delivery->webhook);
    snprintf(state->last_hook_name, sizeof state->last_hook_name, "%s", hook_name ? hook_name : "(NULL)");
    if (delivery->is_test) state->saw_test = true;
    hw_plugin_outcome answer = state->answer;
    pthread_mutex_unlock(&state->lock);
    if (answer == HW_PLUGIN_SUCCEEDED) {
        snprintf(message, capacity, "stored %zu bytes", delivery->body_length);
    } else {
        snprintf(message, capacity, "recorder refused attempt %d", (int)delivery->attempt);
    }
    return answer;
}

static void recorder_free(void *user_data) {
    recorder *state = user_data;
    pthread_mutex_lock(&state->lock);
    state->freed++;
    pthread_mutex_unlock(&state->lock);
}

static void recorder_init(recorder *state, hw_plugin_outcome answer) {
    memset(state, 0, sizeof *state);
    pthread_mutex_init(&state->lock, NULL);
    state->answer = answer;
}

static int recorder_calls(recorder *state) {
    pthread_mutex_lock(&state->lock);
    int calls = state->calls;
    pthread_mutex_unlock(&state->lock);
    return calls;
}

/* Waits up to 10 s for the recorder to reach count calls. */
static bool wait_for_calls(recorder *state, int count) {
    for (int i = 0; i < 1000; i++) {
        if (recorder_calls(state) >= count) return true;
        sleep_ms(10);
    }
    return false;
}

/* ---------------------------------------------------------------------------------------- */

static void test_version_and_messages(void) {
    CHECK_STRING(HW_VERSION_STRING, hw_version());
    CHECK(hw_version_number() == HW_VERSION_NUMBER);
    /* Every code up to the last has its own message; an unknown one gets the fallback. */
    for (int code = HW_OK; code <= HW_ERROR_SIGNATURE_INVALID; code++) {
        const char *message = hw_status_message((hw_status)code);
        CHECK(message != NULL);
        CHECK(message == NULL || strcmp(message, "unknown status") != 0);
    }
    CHECK_STRING("ok", hw_status_message(HW_OK));
    CHECK_STRING("not found", hw_status_message(HW_ERROR_NOT_FOUND));
    CHECK_STRING("unknown status", hw_status_message((hw_status)9999));
    hw_free(NULL);
}

static void test_null_arguments(void) {
    hw_webhook *hook = NULL;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_create(NULL));
    CHECK(last_error_mentions("out_webhook is NULL"));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_open(NULL, NULL, NULL));
    CHECK(last_error_mentions("database_path is NULL"));
    hw_engine *engine = NULL;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_open("x.db", NULL, NULL));
    CHECK(engine == NULL);
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_save_webhook(NULL, NULL, NULL));
    CHECK(last_error_mentions("engine is NULL"));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_get_webhook(NULL, 1, &hook));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_list_webhooks(NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_delete_webhook(NULL, NULL, 1));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_webhook_last_error(NULL, 1, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_record_result(NULL, 1, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_test_webhook(NULL, NULL, 1, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_publish(NULL, NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_publish_batch(NULL, NULL, NULL, 0, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_register_plugin(NULL, "x", NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_server_start(NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_connect(NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_save_webhook(NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_get_webhook(NULL, 1, &hook));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_list_webhooks(NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_delete_webhook(NULL, 1));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_webhook_last_error(NULL, 1, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_test_webhook(NULL, 1, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_record_result(NULL, 1, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_publish(NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_publish_batch(NULL, NULL, 0, NULL));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_sign(NULL, "id", 1, NULL, 0, NULL));
    CHECK(last_error_mentions("secret is NULL"));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_verify(NULL, NULL, 0, NULL, 0, NULL, NULL, NULL));

    /* Release functions accept NULL; getters return 0 or NULL and record a misuse. */
    hw_webhook_destroy(NULL);
    hw_webhook_list_destroy(NULL);
    hw_engine_close(NULL);
    hw_server_stop(NULL);
    hw_client_close(NULL);
    CHECK(hw_webhook_id(NULL) == 0);
    CHECK(hw_webhook_name(NULL) == NULL);
    CHECK(last_error_mentions("webhook is NULL"));
    CHECK(hw_webhook_event_count(NULL) == 0);
    CHECK(hw_webhook_list_count(NULL) == 0);
    CHECK(hw_webhook_list_at(NULL, 0) == NULL);
    CHECK(hw_server_port(NULL) == 0);
    CHECK(hw_engine_last_error_message(NULL) == NULL);
    CHECK(hw_client_last_error_message(NULL) == NULL);
}

static void test_webhook_object(void) {
    hw_webhook *hook = NULL;
    CHECK_STATUS(HW_OK, hw_webhook_create(&hook));
    CHECK(hw_webhook_id(hook) == 0);
    CHECK_STRING("webhook", hw_webhook_type(hook));
    CHECK(hw_webhook_get_state(hook) == HW_WEBHOOK_STATE_ACTIVE);
    CHECK(hw_webhook_secret(hook) == NULL);
    CHECK(hw_webhook_application_token(hook) == NULL);
    CHECK_STRING("{}", hw_webhook_properties_json(hook));

    const char *events[] = {"contact.created", "sale.*"};
    CHECK_STATUS(HW_OK, hw_webhook_set_events(hook, events, 2));
    CHECK_STATUS(HW_OK, hw_webhook_add_event(hook, "person.changed"));
    CHECK(hw_webhook_event_count(hook) == 3);
    CHECK_STRING("sale.*", hw_webhook_event(hook, 1));
    CHECK_STRING("person.changed", hw_webhook_event(hook, 2));
    CHECK(hw_webhook_event(hook, 3) == NULL);
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_set_events(hook, NULL, 2));
    CHECK(hw_webhook_event_count(hook) == 3);

    CHECK_STATUS(HW_OK, hw_webhook_set_header(hook, "X-Zeta", "z"));
    CHECK_STATUS(HW_OK, hw_webhook_set_header(hook, "X-Alpha", "a"));
    CHECK_STATUS(HW_OK, hw_webhook_set_header(hook, "X-Gone", "g"));
    CHECK_STATUS(HW_OK, hw_webhook_set_header(hook, "X-Gone", NULL));
    CHECK(hw_webhook_header_count(hook) == 2);
    CHECK_STRING("X-Alpha", hw_webhook_header_name(hook, 0));
    CHECK_STRING("a", hw_webhook_header_value(hook, 0));
    CHECK_STRING("X-Zeta", hw_webhook_header_name(hook, 1));
    CHECK(hw_webhook_header_name(hook, 2) == NULL);

    CHECK_STATUS(HW_OK, hw_webhook_set_properties_json(hook, "{\"b\": [1, 2.5, null], \"a\": \"\xc3\xa9\"}"));
    CHECK_STRING("{\"a\":\"\xc3\xa9\",\"b\":[1,2.5,null]}", hw_webhook_properties_json(hook));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_webhook_set_properties_json(hook, "[1, 2]"));
    CHECK(last_error_mentions("not a JSON object"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_webhook_set_properties_json(hook, "{\"a\":"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_webhook_set_state(hook, (hw_webhook_state)99));
    CHECK(last_error_mentions("99"));
    CHECK_STATUS(HW_OK, hw_webhook_set_state(hook, HW_WEBHOOK_STATE_STOPPED));
    CHECK(hw_webhook_get_state(hook) == HW_WEBHOOK_STATE_STOPPED);

    /* Bad UTF-8 is a misuse and leaves the field unchanged. */
    CHECK_STATUS(HW_OK, hw_webhook_set_name(hook, "caf\xc3\xa9"));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_set_name(hook, "bad \xff\xfe"));
    CHECK(last_error_mentions("not valid UTF-8"));
    CHECK_STRING("caf\xc3\xa9", hw_webhook_name(hook));
    CHECK_STATUS(HW_OK, hw_webhook_set_secret(hook, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    CHECK_STRING("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hw_webhook_secret(hook));
    CHECK_STATUS(HW_OK, hw_webhook_set_secret(hook, NULL));
    CHECK(hw_webhook_secret(hook) == NULL);
    CHECK_STATUS(HW_OK, hw_webhook_set_application_token(hook, "app-one"));
    CHECK_STRING("app-one", hw_webhook_application_token(hook));

    hw_webhook *copy = NULL;
    CHECK_STATUS(HW_OK, hw_webhook_clone(hook, &copy));
    CHECK_STATUS(HW_OK, hw_webhook_set_name(hook, "changed"));
    CHECK_STRING("caf\xc3\xa9", hw_webhook_name(copy));
    CHECK(hw_webhook_event_count(copy) == 3);

    /* A released handle is reported, not dereferenced. */
    hw_webhook_destroy(copy);
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_set_name(copy, "after release"));
    CHECK(last_error_mentions("not a live handle"));
    CHECK(hw_webhook_name(copy) == NULL);
    hw_webhook_destroy(copy); /* a second release is reported and ignored */
    CHECK(last_error_mentions("not a live handle"));
    /* A pointer that never was a handle is reported too. */
    int not_a_handle = 0;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_set_id((hw_webhook *)&not_a_handle, 1));
    hw_webhook_destroy(hook);
}

static void test_engine_open_failures(void) {
    hw_engine *engine = NULL;
    char path[1024];

    /* A file that is not a database. */
    path_in_work(path, sizeof path, "garbage.db");
    FILE *file = fopen(path, "w");
    CHECK(file != NULL);
    if (file == NULL) return;
    for (int i = 0; i < 512; i++) fputs("not a database ", file);
    fclose(file);
    CHECK_STATUS(HW_ERROR_CORRUPT_DATABASE, hw_engine_open(path, NULL, &engine));
    CHECK(engine == NULL);
    CHECK(last_error_mentions("garbage.db"));

    /* An in-memory database, which the engine's several connections cannot share. */
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_open(":memory:", NULL, &engine));
    CHECK(last_error_mentions(":memory:"));

    /* A directory that does not exist. */
    path_in_work(path, sizeof path, "missing-directory/hooks.db");
    CHECK_STATUS(HW_ERROR_STORAGE, hw_engine_open(path, NULL, &engine));

    /* A database whose schema version (PRAGMA user_version) is newer than this library's. */
    path_in_work(path, sizeof path, "newer.db");
    CHECK(write_empty_database(path, 999));
    CHECK_STATUS(HW_ERROR_UNSUPPORTED_SCHEMA, hw_engine_open(path, NULL, &engine));
    CHECK(engine == NULL);
    CHECK(last_error_mentions("999"));

    /* A write-protected file; root may write it anyway, so the check needs another user. */
    if (geteuid() != 0) {
        path_in_work(path, sizeof path, "protected.db");
        CHECK_STATUS(HW_OK, hw_engine_open(path, NULL, &engine));
        hw_engine_close(engine);
        engine = NULL;
        CHECK(chmod(path, 0444) == 0);
        CHECK_STATUS(HW_ERROR_READ_ONLY, hw_engine_open(path, NULL, &engine));
    } else {
        printf("engine_open_failures: READ_ONLY not checked, because root may write a read-only file\n");
    }

    /* Options: a negative value, and a struct_size from no known version. */
    path_in_work(path, sizeof path, "options.db");
    hw_engine_options options = HW_ENGINE_OPTIONS_INIT;
    options.request_timeout_ms = -5;
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_open(path, &options, &engine));
    CHECK(last_error_mentions("request_timeout_ms is -5"));
    options.request_timeout_ms = 0;
    options.struct_size = 4;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_open(path, &options, &engine));
    CHECK(last_error_mentions("struct_size is 4"));
    options.struct_size = sizeof options;
    options.max_payload_bytes = 2048;
    CHECK_STATUS(HW_OK, hw_engine_open(path, &options, &engine));

    /* The payload limit from the options applies. */
    char big[4096];
    memset(big, 'x', sizeof big - 3);
    big[0] = '"';
    big[sizeof big - 3] = '"';
    big[sizeof big - 2] = '\0';
    hw_event event = HW_EVENT_INIT;
    event.event = "contact.created";
    event.data_json = big;
    CHECK_STATUS(HW_ERROR_TOO_LARGE, hw_engine_publish(engine, NULL, &event, NULL));
    CHECK(hw_engine_last_error_message(engine) != NULL);
    hw_engine_close(engine);

    /* Use after close is reported. */
    hw_webhook *hook = NULL;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_get_webhook(engine, 1, &hook));
    CHECK(last_error_mentions("not a live handle"));
}

static void test_registry(void) {
    hw_engine *engine = open_engine("registry.db");
    if (engine == NULL) return;
    hw_webhook *hook = new_hook("crm sync", "contact.created", "webhook", "https://example.com/hooks");

    /* Invalid hooks are rejected with the value at fault. */
    hw_webhook *no_events = NULL;
    CHECK_STATUS(HW_OK, hw_webhook_create(&no_events));
    CHECK_STATUS(HW_OK, hw_webhook_set_name(no_events, "empty"));
    CHECK_STATUS(HW_OK, hw_webhook_set_target_url(no_events, "https://example.com/"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_save_webhook(engine, NULL, no_events));
    CHECK_STATUS(HW_OK, hw_webhook_add_event(no_events, "contact.created"));
    CHECK_STATUS(HW_OK, hw_webhook_set_target_url(no_events, "ftp://example.com/"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_save_webhook(engine, NULL, no_events));
    CHECK(last_error_mentions("ftp://example.com/"));
    CHECK_STRING(hw_last_error_message(), hw_engine_last_error_message(engine));
    CHECK_STATUS(HW_OK, hw_webhook_set_target_url(no_events, "https://example.com/"));
    CHECK_STATUS(HW_OK, hw_webhook_set_type(no_events, "no-such-plugin"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_save_webhook(engine, NULL, no_events));
    CHECK(last_error_mentions("no-such-plugin"));
    hw_webhook_destroy(no_events);

    /* Create: the object receives the id, the times and a generated secret. */
    hw_caller owner = HW_CALLER_INIT;
    owner.application_token = "app-one";
    owner.associate_id = 7;
    CHECK_STATUS(HW_OK, hw_webhook_set_application_token(hook, "app-one"));
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, &owner, hook));
    int64_t id = hw_webhook_id(hook);
    CHECK(id > 0);
    CHECK(hw_webhook_registered_ms(hook) > 1600000000000LL);
    CHECK(hw_webhook_registered_associate_id(hook) == 7);
    CHECK(hw_webhook_secret(hook) != NULL);
    CHECK(hw_webhook_secret(hook) == NULL || strncmp(hw_webhook_secret(hook), "whsec_", 6) == 0);

    /* Ownership: another application may not change or delete it. */
    hw_caller other = HW_CALLER_INIT;
    other.application_token = "app-two";
    CHECK_STATUS(HW_OK, hw_webhook_set_name(hook, "renamed"));
    CHECK_STATUS(HW_ERROR_PERMISSION_DENIED, hw_engine_save_webhook(engine, &other, hook));
    CHECK_STATUS(HW_ERROR_PERMISSION_DENIED, hw_engine_delete_webhook(engine, &other, id));
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, &owner, hook));

    /* Get, and a missing id. */
    hw_webhook *read = NULL;
    CHECK_STATUS(HW_OK, hw_engine_get_webhook(engine, id, &read));
    CHECK_STRING("renamed", hw_webhook_name(read));
    CHECK_STRING("https://example.com/hooks", hw_webhook_target_url(read));
    CHECK_STRING("app-one", hw_webhook_application_token(read));
    hw_webhook_destroy(read);
    read = NULL;
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_get_webhook(engine, 999999, &read));
    CHECK(read == NULL);
    CHECK(last_error_mentions("999999"));
    CHECK_STATUS(HW_OK, hw_webhook_set_id(hook, 999999));
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_save_webhook(engine, NULL, hook));
    CHECK_STATUS(HW_OK, hw_webhook_set_id(hook, id));

    /* More hooks for the filters: names, events, tokens, states. */
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "batch-%d", i);
        hw_webhook *extra = new_hook(name, i % 2 ? "sale.*" : "person.created", "webhook", "https://example.com/b");
        if (i == 4) CHECK_STATUS(HW_OK, hw_webhook_set_state(extra, HW_WEBHOOK_STATE_STOPPED));
        CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, extra));
        hw_webhook_destroy(extra);
    }

    hw_webhook_list *list = NULL;
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, NULL, &list));
    CHECK(hw_webhook_list_count(list) == 6);
    const hw_webhook *first = hw_webhook_list_at(list, 0);
    CHECK(hw_webhook_id(first) == id);
    CHECK(hw_webhook_list_at(list, 6) == NULL);
    /* Hooks in a list are read-only: changes and releases are refused. */
    CHECK_STATUS(HW_ERROR_MISUSE, hw_webhook_set_name((hw_webhook *)first, "x"));
    hw_webhook_destroy((hw_webhook *)first);
    CHECK(last_error_mentions("belongs to a list"));
    CHECK_STRING("renamed", hw_webhook_name(first));
    hw_webhook *kept = NULL;
    CHECK_STATUS(HW_OK, hw_webhook_clone(first, &kept));
    hw_webhook_list_destroy(list);
    CHECK(hw_webhook_name(first) == NULL); /* released with its list */
    CHECK_STRING("renamed", hw_webhook_name(kept));
    hw_webhook_destroy(kept);

    hw_webhook_filter filter = HW_WEBHOOK_FILTER_INIT;
    filter.name = "batch-3";
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
    CHECK(hw_webhook_list_count(list) == 1);
    CHECK_STRING("batch-3", hw_webhook_name(hw_webhook_list_at(list, 0)));
    hw_webhook_list_destroy(list);

    filter = (hw_webhook_filter)HW_WEBHOOK_FILTER_INIT;
    filter.event = "sale.done";
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
    CHECK(hw_webhook_list_count(list) == 2); /* batch-1 and batch-3 listen to sale.* */
    hw_webhook_list_destroy(list);

    filter = (hw_webhook_filter)HW_WEBHOOK_FILTER_INIT;
    filter.application_token = "app-one";
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
    CHECK(hw_webhook_list_count(list) == 1);
    hw_webhook_list_destroy(list);

    filter = (hw_webhook_filter)HW_WEBHOOK_FILTER_INIT;
    filter.state = HW_WEBHOOK_STATE_STOPPED;
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
    CHECK(hw_webhook_list_count(list) == 1);
    CHECK_STRING("batch-4", hw_webhook_name(hw_webhook_list_at(list, 0)));
    hw_webhook_list_destroy(list);

    filter.state = (hw_webhook_state)42;
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_list_webhooks(engine, &filter, &list));

    /* Paging: two at a time, continuing after the last id of each page. */
    filter = (hw_webhook_filter)HW_WEBHOOK_FILTER_INIT;
    filter.limit = 2;
    int pages = 0;
    size_t seen = 0;
    for (;;) {
        CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
        size_t count = hw_webhook_list_count(list);
        if (count == 0) {
            hw_webhook_list_destroy(list);
            break;
        }
        CHECK(count <= 2);
        CHECK(hw_webhook_id(hw_webhook_list_at(list, 0)) > filter.after_id);
        filter.after_id = hw_webhook_id(hw_webhook_list_at(list, count - 1));
        seen += count;
        pages++;
        hw_webhook_list_destroy(list);
        if (pages > 10) break;
    }
    CHECK(seen == 6);
    CHECK(pages == 3);

    /* Record result: a failure becomes the last error; a permanent one disables the hook. */
    char *message = (char *)1;
    CHECK_STATUS(HW_OK, hw_engine_webhook_last_error(engine, id, &message));
    CHECK(message == NULL);
    hw_webhook_result result = HW_WEBHOOK_RESULT_INIT;
    result.succeeded = false;
    result.message = "HTTP 500 from the host's own call";
    hw_webhook_state state = HW_WEBHOOK_STATE_UNKNOWN;
    CHECK_STATUS(HW_OK, hw_engine_record_result(engine, id, &result, &state));
    CHECK(state == HW_WEBHOOK_STATE_ACTIVE);
    CHECK_STATUS(HW_OK, hw_engine_webhook_last_error(engine, id, &message));
    CHECK_STRING("HTTP 500 from the host's own call", message);
    hw_free(message);
    result.permanent_failure = true;
    result.message = "HTTP 410 Gone";
    CHECK_STATUS(HW_OK, hw_engine_record_result(engine, id, &result, &state));
    CHECK(state == HW_WEBHOOK_STATE_TOO_MANY_ERRORS);
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_record_result(engine, 999999, &result, NULL));
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_webhook_last_error(engine, 999999, &message));

    /* Delete. */
    CHECK_STATUS(HW_OK, hw_engine_delete_webhook(engine, &owner, id));
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_delete_webhook(engine, &owner, id));
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_get_webhook(engine, id, &read));

    hw_webhook_destroy(hook);
    hw_engine_close(engine);
}

static void test_publish_and_plugins(void) {
    hw_engine *engine = open_engine("plugins.db");
    if (engine == NULL) return;
    static recorder accepting, refusing, permanent, invalid;
    recorder_init(&accepting, HW_PLUGIN_SUCCEEDED);
    recorder_init(&refusing, HW_PLUGIN_FAILED);
    recorder_init(&permanent, HW_PLUGIN_PERMANENT_FAILURE);
    recorder_init(&invalid, (hw_plugin_outcome)77);

    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "accepting", recorder_deliver, &accepting, recorder_free));
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "refusing", recorder_deliver, &refusing, recorder_free));
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "permanent", recorder_deliver, &permanent, recorder_free));
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "invalid", recorder_deliver, &invalid, recorder_free));
    /* A second plugin for a type, or one for the built-in type, is refused and not kept. */
    static recorder duplicate;
    recorder_init(&duplicate, HW_PLUGIN_SUCCEEDED);
    CHECK_STATUS(HW_ERROR_FAILED_PRECONDITION,
                 hw_engine_register_plugin(engine, "ACCEPTING", recorder_deliver, &duplicate, recorder_free));
    CHECK_STATUS(HW_ERROR_FAILED_PRECONDITION,
                 hw_engine_register_plugin(engine, "webhook", recorder_deliver, &duplicate, recorder_free));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_register_plugin(engine, "nocallback", NULL, NULL, NULL));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_register_plugin(engine, "", recorder_deliver, &duplicate, NULL));

    hw_webhook *good = new_hook("good", "contact.*", "accepting", "queue://good");
    hw_webhook *bad = new_hook("bad", "contact.created", "refusing", "queue://bad");
    hw_webhook *gone = new_hook("gone", "contact.created", "permanent", "queue://gone");
    hw_webhook *odd = new_hook("odd", "contact.created", "invalid", "queue://odd");
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, good));
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, bad));
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, gone));
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, odd));

    /* Publish: the matched count, the event id, and the body the plugin receives. */
    const char *changes[] = {"name", "email"};
    hw_event event = HW_EVENT_INIT;
    event.event = "contact.created";
    event.primary_key = 4711;
    event.changes = changes;
    event.change_count = 2;
    event.field_values_json = "{\"name\": \"Ada\"}";
    event.changed_by_associate_id = 12;
    event.context_identifier = "Cust1234";
    event.data_json = "{\"source\": \"c-test\"}";
    hw_publish_result result = HW_PUBLISH_RESULT_INIT;
    CHECK_STATUS(HW_OK, hw_engine_publish(engine, NULL, &event, &result));
    CHECK(result.matched_webhooks == 4);
    CHECK(strlen(result.event_id) == 36);

    CHECK(wait_for_calls(&accepting, 1));
    pthread_mutex_lock(&accepting.lock);
    CHECK(strstr(accepting.last_body, result.event_id) != NULL);
    CHECK(strstr(accepting.last_body, "4711") != NULL);
    CHECK(strstr(accepting.last_body, "Cust1234") != NULL);
    CHECK(strstr(accepting.last_body, "c-test") != NULL);
    CHECK_STRING("contact.created", accepting.last_event);
    CHECK_STRING("good", accepting.last_hook_name);
    pthread_mutex_unlock(&accepting.lock);

    /* Failures raised by callbacks become the hook's last error; a permanent one disables. */
    CHECK(wait_for_calls(&refusing, 1));
    CHECK(wait_for_calls(&permanent, 1));
    CHECK(wait_for_calls(&invalid, 1));
    char *message = NULL;
    for (int i = 0; i < 500 && message == NULL; i++) {
        CHECK_STATUS(HW_OK, hw_engine_webhook_last_error(engine, hw_webhook_id(bad), &message));
        if (message == NULL) sleep_ms(10);
    }
    CHECK(message != NULL);
    CHECK(message == NULL || strstr(message, "recorder refused attempt 0") != NULL);
    hw_free(message);
    message = NULL;
    for (int i = 0; i < 500 && message == NULL; i++) {
        CHECK_STATUS(HW_OK, hw_engine_webhook_last_error(engine, hw_webhook_id(odd), &message));
        if (message == NULL) sleep_ms(10);
    }
    CHECK(message != NULL);
    CHECK(message == NULL || strstr(message, "77") != NULL);
    hw_free(message);
    hw_webhook *read = NULL;
    hw_webhook_state state = HW_WEBHOOK_STATE_UNKNOWN;
    for (int i = 0; i < 500 && state != HW_WEBHOOK_STATE_TOO_MANY_ERRORS; i++) {
        CHECK_STATUS(HW_OK, hw_engine_get_webhook(engine, hw_webhook_id(gone), &read));
        state = hw_webhook_get_state(read);
        hw_webhook_destroy(read);
        if (state != HW_WEBHOOK_STATE_TOO_MANY_ERRORS) sleep_ms(10);
    }
    CHECK(state == HW_WEBHOOK_STATE_TOO_MANY_ERRORS);

    /* Test (PING) through a plugin, at once and with the test flag. */
    bool succeeded = false;
    char *test_message = NULL;
    CHECK_STATUS(HW_OK, hw_engine_test_webhook(engine, NULL, hw_webhook_id(good), &succeeded, &test_message));
    CHECK(succeeded);
    CHECK(test_message != NULL);
    CHECK(test_message == NULL || strstr(test_message, "stored") != NULL);
    hw_free(test_message);
    CHECK(accepting.saw_test);
    CHECK_STATUS(HW_OK, hw_engine_test_webhook(engine, NULL, hw_webhook_id(bad), &succeeded, NULL));
    CHECK(!succeeded);
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_engine_test_webhook(engine, NULL, 999999, &succeeded, NULL));

    /* Invalid events. */
    hw_event invalid_event = HW_EVENT_INIT;
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_publish(engine, NULL, &invalid_event, NULL));
    invalid_event.event = "contact.created";
    invalid_event.data_json = "{not json";
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_publish(engine, NULL, &invalid_event, NULL));
    CHECK(last_error_mentions("data_json"));
    invalid_event.data_json = NULL;
    invalid_event.field_values_json = "[1]";
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_publish(engine, NULL, &invalid_event, NULL));
    invalid_event.field_values_json = NULL;
    invalid_event.event = "";
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_publish(engine, NULL, &invalid_event, NULL));
    invalid_event.event = "contact.created";
    invalid_event.change_count = 3; /* with changes NULL */
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_publish(engine, NULL, &invalid_event, NULL));

    /* Batch publish: one result per event; a bad event fails the whole batch by index. */
    int before = recorder_calls(&accepting);
    hw_event batch[3] = {HW_EVENT_INIT, HW_EVENT_INIT, HW_EVENT_INIT};
    batch[0].event = "contact.updated";
    batch[1].event = "contact.deleted";
    batch[2].event = "sale.created"; /* matches no hook */
    hw_publish_result results[3] = {HW_PUBLISH_RESULT_INIT, HW_PUBLISH_RESULT_INIT, HW_PUBLISH_RESULT_INIT};
    CHECK_STATUS(HW_OK, hw_engine_publish_batch(engine, NULL, batch, 3, results));
    CHECK(results[0].matched_webhooks == 1);
    CHECK(results[1].matched_webhooks == 1);
    CHECK(results[2].matched_webhooks == 0);
    CHECK(strcmp(results[0].event_id, results[1].event_id) != 0);
    CHECK(wait_for_calls(&accepting, before + 2));
    batch[1].data_json = "nope";
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_engine_publish_batch(engine, NULL, batch, 3, results));
    CHECK(last_error_mentions("events[1]"));
    CHECK_STATUS(HW_ERROR_MISUSE, hw_engine_publish_batch(engine, NULL, batch, 0, results));

    hw_webhook_destroy(good);
    hw_webhook_destroy(bad);
    hw_webhook_destroy(gone);
    hw_webhook_destroy(odd);
    /* Closing releases every plugin's user data once; the refused registrations' never. */
    hw_engine_close(engine);
    CHECK(accepting.freed == 1);
    CHECK(refusing.freed == 1);
    CHECK(permanent.freed == 1);
    CHECK(invalid.freed == 1);
    CHECK(duplicate.freed == 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Several host threads on one engine.                                                      */
/* ---------------------------------------------------------------------------------------- */

enum { THREADS = 8, HOOKS_PER_THREAD = 25 };

typedef struct worker_arguments {
    hw_engine *engine;
    int index;
    int errors;
} worker_arguments;

static void *worker_main(void *raw) {
    worker_arguments *arguments = raw;
    for (int i = 0; i < HOOKS_PER_THREAD; i++) {
        char name[64];
        snprintf(name, sizeof name, "thread-%d-hook-%d", arguments->index, i);
        hw_webhook *hook = NULL;
        if (hw_webhook_create(&hook) != HW_OK) arguments->errors++;
        hw_webhook_set_name(hook, name);
        hw_webhook_add_event(hook, "concurrent.saved");
        hw_webhook_set_type(hook, "accepting");
        hw_webhook_set_target_url(hook, "queue://concurrent");
        if (hw_engine_save_webhook(arguments->engine, NULL, hook) != HW_OK) arguments->errors++;
        hw_webhook *read = NULL;
        if (hw_engine_get_webhook(arguments->engine, hw_webhook_id(hook), &read) != HW_OK) arguments->errors++;
        if (read == NULL || strcmp(hw_webhook_name(read), name) != 0) arguments->errors++;
        hw_webhook_destroy(read);
        hw_webhook_destroy(hook);
        /* A failure on this thread leaves this thread's message alone on the others. */
        if (hw_engine_get_webhook(arguments->engine, -1 - arguments->index, &read) != HW_ERROR_NOT_FOUND) {
            arguments->errors++;
        }
        char expected[32];
        snprintf(expected, sizeof expected, "%d", -1 - arguments->index);
        if (!last_error_mentions(expected)) arguments->errors++;
        /* Only the collector hook listens to the published event: one delivery per publish. */
        hw_event event = HW_EVENT_INIT;
        event.event = "concurrent.published";
        hw_publish_result result = HW_PUBLISH_RESULT_INIT;
        if (hw_engine_publish(arguments->engine, NULL, &event, &result) != HW_OK) arguments->errors++;
        if (result.matched_webhooks != 1) arguments->errors++;
    }
    return NULL;
}

static void test_concurrent_threads(void) {
    hw_engine *engine = open_engine("concurrent.db");
    if (engine == NULL) return;
    static recorder counter;
    recorder_init(&counter, HW_PLUGIN_SUCCEEDED);
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "accepting", recorder_deliver, &counter, recorder_free));
    hw_webhook *collector = new_hook("collector", "concurrent.published", "accepting", "queue://collector");
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, collector));
    hw_webhook_destroy(collector);

    pthread_t threads[THREADS];
    worker_arguments arguments[THREADS];
    for (int i = 0; i < THREADS; i++) {
        arguments[i] = (worker_arguments){engine, i, 0};
        CHECK(pthread_create(&threads[i], NULL, worker_main, &arguments[i]) == 0);
    }
    int errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        errors += arguments[i].errors;
    }
    CHECK(errors == 0);

    hw_webhook_filter filter = HW_WEBHOOK_FILTER_INIT;
    filter.event = "concurrent.saved";
    hw_webhook_list *list = NULL;
    CHECK_STATUS(HW_OK, hw_engine_list_webhooks(engine, &filter, &list));
    CHECK(hw_webhook_list_count(list) == THREADS * HOOKS_PER_THREAD);
    hw_webhook_list_destroy(list);
    CHECK(wait_for_calls(&counter, THREADS * HOOKS_PER_THREAD));
    hw_engine_close(engine);
    CHECK(counter.freed == 1);
}

/* ---------------------------------------------------------------------------------------- */

static void test_signatures(void) {
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const char *body = "{\"test\": 2432232314}";
    char *signature = NULL;
    CHECK_STATUS(HW_OK, hw_sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, (const uint8_t *)body,
                                strlen(body), &signature));
    CHECK_STRING("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);

    hw_header headers[3] = {
        {"Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
        {"webhook-timestamp", "1614265330"},
        {"WEBHOOK-SIGNATURE", signature},
    };
    hw_verify_options options = HW_VERIFY_OPTIONS_INIT;
    options.now = 1614265330 + 10;
    hw_verify_failure failure = HW_VERIFY_NO_MATCHING_SIGNATURE;
    char *reason = (char *)1;
    CHECK_STATUS(HW_OK, hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, &reason));
    CHECK(failure == HW_VERIFY_OK);
    CHECK(reason == NULL);

    /* A changed body. */
    const char *changed = "{\"test\": 2432232315}";
    CHECK_STATUS(HW_ERROR_SIGNATURE_INVALID,
                 hw_verify(secret, headers, 3, (const uint8_t *)changed, strlen(changed), &options, &failure, &reason));
    CHECK(failure == HW_VERIFY_NO_MATCHING_SIGNATURE);
    CHECK(reason != NULL);
    hw_free(reason);

    /* Too old, too new, not a number, missing. */
    options.now = 1614265330 + 301;
    CHECK_STATUS(HW_ERROR_SIGNATURE_INVALID,
                 hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, NULL));
    CHECK(failure == HW_VERIFY_TIMESTAMP_TOO_OLD);
    options.tolerance_seconds = 600;
    CHECK_STATUS(HW_OK, hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, NULL));
    options.tolerance_seconds = 0;
    options.now = 1614265330 - 400;
    CHECK_STATUS(HW_ERROR_SIGNATURE_INVALID,
                 hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, NULL));
    CHECK(failure == HW_VERIFY_TIMESTAMP_TOO_NEW);
    options.now = 1614265330;
    headers[1].value = "soon";
    CHECK_STATUS(HW_ERROR_SIGNATURE_INVALID,
                 hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, &reason));
    CHECK(failure == HW_VERIFY_INVALID_TIMESTAMP);
    CHECK(reason != NULL);
    CHECK(reason == NULL || strstr(reason, "soon") != NULL);
    hw_free(reason);
    headers[1].value = "1614265330";
    CHECK_STATUS(HW_ERROR_SIGNATURE_INVALID,
                 hw_verify(secret, headers, 2, (const uint8_t *)body, strlen(body), &options, &failure, NULL));
    CHECK(failure == HW_VERIFY_MISSING_HEADER);

    /* Rotation: any v1 entry that matches passes. */
    char rotated[256];
    snprintf(rotated, sizeof rotated, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz %s", signature);
    headers[2].value = rotated;
    CHECK_STATUS(HW_OK, hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), &options, &failure, NULL));

    /* Secrets that cannot be used, and bodies without a pointer. */
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_sign("whsec_!!!", "id", 1, NULL, 0, &signature));
    CHECK(last_error_mentions("whsec_"));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT,
                 hw_verify("whsec_c2hvcnQ=", headers, 3, (const uint8_t *)body, strlen(body), NULL, NULL, NULL));
    char *empty_signature = NULL;
    CHECK_STATUS(HW_OK, hw_sign("plain secret", "id", 1, NULL, 0, &empty_signature));
    CHECK(empty_signature != NULL);
    CHECK(empty_signature == NULL || strncmp(empty_signature, "v1,", 3) == 0);
    hw_free(empty_signature);
    CHECK_STATUS(HW_ERROR_MISUSE, hw_sign("plain secret", "id", 1, NULL, 5, &empty_signature));
    hw_free(signature);
}

/* ---------------------------------------------------------------------------------------- */
/* The in-process server and the client handle.                                             */
/* ---------------------------------------------------------------------------------------- */

/* A loopback port that nothing listens on: bind one, read it, close it. */
static uint16_t closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&address, sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    return ntohs(address.sin_port);
}

static void test_server_and_client(void) {
    hw_engine *engine = open_engine("server.db");
    if (engine == NULL) return;
    static recorder receiver;
    recorder_init(&receiver, HW_PLUGIN_SUCCEEDED);
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "accepting", recorder_deliver, &receiver, recorder_free));

    hw_server_options server_options = HW_SERVER_OPTIONS_INIT;
    server_options.listen = "127.0.0.1:0";
    hw_server *server = NULL;
    CHECK_STATUS(HW_OK, hw_server_start(engine, &server_options, &server));
    uint16_t port = hw_server_port(server);
    CHECK(port != 0);

    server_options.listen = "not an address";
    hw_server *second = NULL;
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_server_start(engine, &server_options, &second));
    CHECK(last_error_mentions("not an address"));
    char busy[64];
    snprintf(busy, sizeof busy, "127.0.0.1:%u", (unsigned)port);
    server_options.listen = busy;
    /* SO_REUSEPORT may let a second listener share the port; only a refusal is checked here. */
    hw_status busy_status = hw_server_start(engine, &server_options, &second);
    if (busy_status == HW_OK) {
        hw_server_stop(second);
    } else {
        CHECK(busy_status == HW_ERROR_UNAVAILABLE);
    }

    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%u", (unsigned)port);
    hw_client *client = NULL;
    CHECK_STATUS(HW_OK, hw_client_connect(address, NULL, &client));

    hw_webhook *hook = new_hook("remote", "order.*", "accepting", "queue://remote");
    CHECK_STATUS(HW_OK, hw_client_save_webhook(client, hook));
    int64_t id = hw_webhook_id(hook);
    CHECK(id > 0);
    hw_webhook *read = NULL;
    CHECK_STATUS(HW_OK, hw_client_get_webhook(client, id, &read));
    CHECK_STRING("remote", hw_webhook_name(read));
    hw_webhook_destroy(read);
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_client_get_webhook(client, 424242, &read));
    CHECK(hw_client_last_error_message(client) != NULL);

    hw_webhook_list *list = NULL;
    hw_webhook_filter filter = HW_WEBHOOK_FILTER_INIT;
    filter.event = "order.created";
    CHECK_STATUS(HW_OK, hw_client_list_webhooks(client, &filter, &list));
    CHECK(hw_webhook_list_count(list) == 1);
    hw_webhook_list_destroy(list);

    hw_event event = HW_EVENT_INIT;
    event.event = "order.created";
    event.data_json = "{\"via\": \"client\"}";
    hw_publish_result result = HW_PUBLISH_RESULT_INIT;
    CHECK_STATUS(HW_OK, hw_client_publish(client, &event, &result));
    CHECK(result.matched_webhooks == 1);
    CHECK(wait_for_calls(&receiver, 1));
    pthread_mutex_lock(&receiver.lock);
    CHECK(strstr(receiver.last_body, "\"via\":\"client\"") != NULL);
    pthread_mutex_unlock(&receiver.lock);

    hw_event batch[2] = {HW_EVENT_INIT, HW_EVENT_INIT};
    batch[0].event = "order.paid";
    batch[1].event = "order.shipped";
    hw_publish_result results[2] = {HW_PUBLISH_RESULT_INIT, HW_PUBLISH_RESULT_INIT};
    CHECK_STATUS(HW_OK, hw_client_publish_batch(client, batch, 2, results));
    CHECK(results[0].matched_webhooks == 1);
    CHECK(results[1].matched_webhooks == 1);

    bool succeeded = false;
    CHECK_STATUS(HW_OK, hw_client_test_webhook(client, id, &succeeded, NULL));
    CHECK(succeeded);
    char *message = (char *)1;
    CHECK_STATUS(HW_OK, hw_client_webhook_last_error(client, id, &message));
    CHECK(message == NULL);
    hw_webhook_result outcome = HW_WEBHOOK_RESULT_INIT;
    outcome.message = "remote host call failed";
    hw_webhook_state state = HW_WEBHOOK_STATE_UNKNOWN;
    CHECK_STATUS(HW_OK, hw_client_record_result(client, id, &outcome, &state));
    CHECK(state == HW_WEBHOOK_STATE_ACTIVE);
    CHECK_STATUS(HW_OK, hw_client_webhook_last_error(client, id, &message));
    CHECK_STRING("remote host call failed", message);
    hw_free(message);
    outcome.permanent_failure = true;
    CHECK_STATUS(HW_OK, hw_client_record_result(client, id, &outcome, &state));
    CHECK(state == HW_WEBHOOK_STATE_TOO_MANY_ERRORS);
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_client_record_result(client, 424242, &outcome, NULL));

    CHECK_STATUS(HW_OK, hw_client_delete_webhook(client, id));
    CHECK_STATUS(HW_ERROR_NOT_FOUND, hw_client_delete_webhook(client, id));

    /* Closing the engine while the server runs defers its shutdown to the server's stop. */
    hw_engine_close(engine);
    CHECK_STATUS(HW_OK, hw_webhook_set_id(hook, 0));
    CHECK_STATUS(HW_OK, hw_client_save_webhook(client, hook));
    CHECK(hw_webhook_id(hook) > id);
    hw_webhook_destroy(hook);
    hw_client_close(client);
    CHECK_STATUS(HW_ERROR_MISUSE, hw_client_delete_webhook(client, id));
    hw_server_stop(server);
    CHECK(receiver.freed == 1);

    /* Nothing listens any more. */
    CHECK_STATUS(HW_ERROR_UNAVAILABLE, hw_client_connect(address, NULL, &client));
    snprintf(address, sizeof address, "127.0.0.1:%u", (unsigned)closed_port());
    CHECK_STATUS(HW_ERROR_UNAVAILABLE, hw_client_connect(address, NULL, &client));
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_client_connect("127.0.0.1:notaport", NULL, &client));
}

static void test_server_tokens(void) {
    hw_engine *engine = open_engine("tokens.db");
    if (engine == NULL) return;
    char token_file[1024];
    path_in_work(token_file, sizeof token_file, "tokens.txt");
    FILE *file = fopen(token_file, "w");
    CHECK(file != NULL);
    if (file == NULL) {
        hw_engine_close(engine);
        return;
    }
    fputs("0123456789abcdef0123 app-one\n", file);
    fclose(file);

    hw_server_options options = HW_SERVER_OPTIONS_INIT;
    options.listen = "127.0.0.1:0";
    options.token_file = token_file;
    hw_server *server = NULL;
    CHECK_STATUS(HW_OK, hw_server_start(engine, &options, &server));
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%u", (unsigned)hw_server_port(server));

    hw_client_options client_options = HW_CLIENT_OPTIONS_INIT;
    client_options.token = "wrong-token-wrong-token";
    hw_client *client = NULL;
    CHECK_STATUS(HW_ERROR_UNAUTHENTICATED, hw_client_connect(address, &client_options, &client));

    client_options.token = "0123456789abcdef0123";
    CHECK_STATUS(HW_OK, hw_client_connect(address, &client_options, &client));
    hw_webhook *hook = new_hook("owned", "a.b", "webhook", "https://example.com/owned");
    CHECK_STATUS(HW_OK, hw_client_save_webhook(client, hook));
    hw_webhook *read = NULL;
    CHECK_STATUS(HW_OK, hw_engine_get_webhook(engine, hw_webhook_id(hook), &read));
    CHECK_STRING("app-one", hw_webhook_application_token(read));
    hw_webhook_destroy(read);
    hw_webhook_destroy(hook);
    hw_client_close(client);
    hw_server_stop(server);
    hw_engine_close(engine);

    options.token_file = "/nonexistent/tokens.txt";
    engine = open_engine("tokens2.db");
    if (engine == NULL) return;
    CHECK_STATUS(HW_ERROR_INVALID_ARGUMENT, hw_server_start(engine, &options, &server));
    hw_engine_close(engine);
}

/* A server that accepts a connection and never responds, for the client's timeout. */
static void *silent_server(void *raw) {
    int fd = *(int *)raw;
    int connection = accept(fd, NULL, NULL);
    sleep(2);
    if (connection >= 0) close(connection);
    return NULL;
}

static void test_client_timeout(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&address, sizeof address);
    listen(fd, 4);
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    pthread_t thread;
    pthread_create(&thread, NULL, silent_server, &fd);

    char text[64];
    snprintf(text, sizeof text, "127.0.0.1:%u", (unsigned)ntohs(address.sin_port));
    hw_client_options options = HW_CLIENT_OPTIONS_INIT;
    options.timeout_ms = 300;
    hw_client *client = NULL;
    CHECK_STATUS(HW_ERROR_TIMED_OUT, hw_client_connect(text, &options, &client));
    pthread_join(thread, NULL);
    close(fd);
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP delivery to a receiver on loopback, allowed only by allow_private_targets.          */
/* ---------------------------------------------------------------------------------------- */

/* A one-thread HTTP receiver: answers every request with 200 and keeps the last one. */
typedef struct receiver {
    int listen_fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock;
    int requests;
    char last_request[16384];
    size_t last_length;
} receiver;

static void *receiver_main(void *raw) {
    receiver *state = raw;
    for (;;) {
        int connection = accept(state->listen_fd, NULL, NULL);
        if (connection < 0) return NULL; /* the listening socket was shut down */
        char request[16384];
        size_t length = 0;
        /* Read the head, then as many body bytes as Content-Length says. */
        for (;;) {
            ssize_t received = recv(connection, request + length, sizeof request - 1 - length, 0);
            if (received <= 0) break;
            length += (size_t)received;
            request[length] = '\0';
            char *end_of_head = strstr(request, "\r\n\r\n");
            if (end_of_head == NULL) continue;
            const char *header = strstr(request, "\r\nContent-Length:");
            if (header == NULL) header = strstr(request, "\r\ncontent-length:");
            size_t body_length = header ? (size_t)strtoul(header + 17, NULL, 10) : 0;
            if (length >= (size_t)(end_of_head + 4 - request) + body_length) break;
            if (length >= sizeof request - 1) break;
        }
        pthread_mutex_lock(&state->lock);
        memcpy(state->last_request, request, length);
        state->last_request[length] = '\0';
        state->last_length = length;
        state->requests++;
        pthread_mutex_unlock(&state->lock);
        const char *response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        send(connection, response, strlen(response), MSG_NOSIGNAL);
        close(connection);
    }
}

static void receiver_start(receiver *state) {
    memset(state, 0, sizeof *state);
    pthread_mutex_init(&state->lock, NULL);
    state->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(state->listen_fd, (struct sockaddr *)&address, sizeof address);
    listen(state->listen_fd, 8);
    socklen_t length = sizeof address;
    getsockname(state->listen_fd, (struct sockaddr *)&address, &length);
    state->port = ntohs(address.sin_port);
    pthread_create(&state->thread, NULL, receiver_main, state);
}

static void receiver_stop(receiver *state) {
    shutdown(state->listen_fd, SHUT_RDWR);
    close(state->listen_fd);
    pthread_join(state->thread, NULL);
}

/* Copies the value of the named header (matched case-insensitively) from a raw request. */
static bool request_header(const char *request, const char *name, char *value, size_t capacity) {
    size_t name_length = strlen(name);
    for (const char *line = strstr(request, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        const char *start = line + 2;
        if (strncasecmp(start, name, name_length) == 0 && start[name_length] == ':') {
            const char *text = start + name_length + 1;
            while (*text == ' ') text++;
            const char *end = strstr(text, "\r\n");
            size_t length = end ? (size_t)(end - text) : strlen(text);
            if (length >= capacity) return false;
            memcpy(value, text, length);
            value[length] = '\0';
            return true;
        }
    }
    return false;
}

static void test_http_private_targets(void) {
    receiver http;
    receiver_start(&http);
    char target[64];
    snprintf(target, sizeof target, "http://127.0.0.1:%u/hooks", (unsigned)http.port);

    /* By default a loopback target is refused when the connection is made. */
    hw_engine *engine = open_engine("private-default.db");
    if (engine == NULL) {
        receiver_stop(&http);
        return;
    }
    hw_webhook *hook = new_hook("loopback", "ping.*", "webhook", target);
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, hook));
    bool succeeded = true;
    char *message = NULL;
    CHECK_STATUS(HW_OK, hw_engine_test_webhook(engine, NULL, hw_webhook_id(hook), &succeeded, &message));
    CHECK(!succeeded);
    CHECK(message != NULL);
    CHECK(message == NULL || strstr(message, "127.0.0.1") != NULL);
    hw_free(message);
    CHECK(http.requests == 0);
    hw_webhook_destroy(hook);
    hw_engine_close(engine);

    /* With allow_private_targets the request arrives, signed so that hw_verify accepts it. */
    char path[1024];
    path_in_work(path, sizeof path, "private-allowed.db");
    hw_engine_options options = HW_ENGINE_OPTIONS_INIT;
    options.allow_private_targets = true;
    options.request_timeout_ms = 5000;
    engine = NULL;
    CHECK_STATUS(HW_OK, hw_engine_open(path, &options, &engine));
    if (engine == NULL) {
        receiver_stop(&http);
        return;
    }
    hook = new_hook("loopback", "ping.*", "webhook", target);
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, hook));
    char secret[128];
    snprintf(secret, sizeof secret, "%s", hw_webhook_secret(hook) ? hw_webhook_secret(hook) : "");
    CHECK_STATUS(HW_OK, hw_engine_test_webhook(engine, NULL, hw_webhook_id(hook), &succeeded, &message));
    CHECK(succeeded);
    CHECK(message != NULL);
    hw_free(message);

    pthread_mutex_lock(&http.lock);
    CHECK(http.requests == 1);
    char id[128], timestamp[64], signature[512];
    bool has_headers = request_header(http.last_request, "webhook-id", id, sizeof id) &&
                       request_header(http.last_request, "webhook-timestamp", timestamp, sizeof timestamp) &&
                       request_header(http.last_request, "webhook-signature", signature, sizeof signature);
    CHECK(has_headers);
    const char *body = strstr(http.last_request, "\r\n\r\n");
    if (has_headers && body != NULL) {
        body += 4;
        size_t body_length = http.last_length - (size_t)(body - http.last_request);
        hw_header headers[3] = {{"webhook-id", id}, {"webhook-timestamp", timestamp}, {"webhook-signature", signature}};
        hw_verify_failure failure = HW_VERIFY_NO_MATCHING_SIGNATURE;
        CHECK_STATUS(HW_OK, hw_verify(secret, headers, 3, (const uint8_t *)body, body_length, NULL, &failure, NULL));
        CHECK(failure == HW_VERIFY_OK);
    }
    pthread_mutex_unlock(&http.lock);

    hw_webhook_destroy(hook);
    hw_engine_close(engine);
    receiver_stop(&http);
}

/* A plugin that takes two seconds, so that a call waiting for it can be cancelled. */
static hw_plugin_outcome slow_deliver(void *user_data, const hw_plugin_delivery *delivery, char *message,
                                      size_t capacity) {
    (void)user_data;
    (void)delivery;
    sleep_ms(2000);
    snprintf(message, capacity, "slow");
    return HW_PLUGIN_SUCCEEDED;
}

typedef struct pending_test {
    hw_client *client;
    int64_t id;
    hw_status status;
} pending_test;

static void *run_pending_test(void *raw) {
    pending_test *call = raw;
    call->status = hw_client_test_webhook(call->client, call->id, NULL, NULL);
    return NULL;
}

static void test_client_cancel(void) {
    hw_engine *engine = open_engine("cancel.db");
    if (engine == NULL) return;
    CHECK_STATUS(HW_OK, hw_engine_register_plugin(engine, "slow", slow_deliver, NULL, NULL));
    hw_webhook *hook = new_hook("slow", "slow.event", "slow", "slow://");
    CHECK_STATUS(HW_OK, hw_engine_save_webhook(engine, NULL, hook));
    hw_server_options options = HW_SERVER_OPTIONS_INIT;
    options.listen = "127.0.0.1:0";
    hw_server *server = NULL;
    CHECK_STATUS(HW_OK, hw_server_start(engine, &options, &server));
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%u", (unsigned)hw_server_port(server));
    hw_client *client = NULL;
    CHECK_STATUS(HW_OK, hw_client_connect(address, NULL, &client));

    /* Another thread waits for the slow test call; closing the client cancels it. */
    pending_test call = {client, hw_webhook_id(hook), HW_OK};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, run_pending_test, &call) == 0);
    sleep_ms(300);
    hw_client_close(client);
    pthread_join(thread, NULL);
    CHECK_STATUS(HW_ERROR_CANCELLED, call.status);

    hw_webhook_destroy(hook);
    hw_server_stop(server);
    hw_engine_close(engine);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s WORK_DIRECTORY\n", argv[0]);
        return 2;
    }
    work_directory = argv[1];
    if (mkdir(work_directory, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create the work directory %s: %s\n", work_directory, strerror(errno));
        return 2;
    }
    const char *only = getenv("ABI_TEST_ONLY");

    struct {
        const char *name;
        void (*run)(void);
    } tests[] = {
        {"version_and_messages", test_version_and_messages},
        {"null_arguments", test_null_arguments},
        {"webhook_object", test_webhook_object},
        {"engine_open_failures", test_engine_open_failures},
        {"registry", test_registry},
        {"publish_and_plugins", test_publish_and_plugins},
        {"concurrent_threads", test_concurrent_threads},
        {"signatures", test_signatures},
        {"server_and_client", test_server_and_client},
        {"server_tokens", test_server_tokens},
        {"client_timeout", test_client_timeout},
        {"client_cancel", test_client_cancel},
        {"http_private_targets", test_http_private_targets},
    };
    /* The library must leave every signal's disposition as the host set it. Loading it must
       install no handler either: handlers do not survive exec, so any handler present before
       the first call was installed while the library loaded (as the Swift runtime's crash
       backtracer does when the runtime is linked dynamically). */
    struct sigaction dispositions[32];
    int handlers_at_load = 0;
    for (int number = 1; number < 32; number++) {
        sigaction(number, NULL, &dispositions[number]);
        if (dispositions[number].sa_handler != SIG_DFL && dispositions[number].sa_handler != SIG_IGN) {
            fprintf(stderr, "signal %d: a handler was installed when the library loaded\n", number);
            handlers_at_load++;
        }
    }
    CHECK(handlers_at_load == 0);

    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only != NULL && strstr(only, tests[i].name) == NULL) continue;
        int before = failures;
        tests[i].run();
        printf("%-24s %s\n", tests[i].name, failures == before ? "ok" : "FAILED");
        fflush(stdout);
    }
    int changed = 0;
    for (int number = 1; number < 32; number++) {
        struct sigaction now;
        sigaction(number, NULL, &now);
        if (now.sa_handler != dispositions[number].sa_handler) {
            fprintf(stderr, "signal %d: the disposition changed while the tests ran\n", number);
            changed++;
        }
    }
    CHECK(changed == 0);
    printf("%-24s %s\n", "signal_dispositions", changed == 0 ? "ok" : "FAILED");
    printf("abi_test: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
