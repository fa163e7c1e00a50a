/*
 * A C99 host that embeds Hookwire. It opens an engine on a database file and registers a
 * delivery plugin written in C. It saves webhooks, publishes an event and checks that the plugin
 * received the payload. Then it verifies a Standard Webhooks signature as a receiver would.
 *
 *   build: cc -std=c99 host.c $(pkg-config --cflags --libs hookwire) -lpthread
 *          After `make install PREFIX=DIR`, pkg-config finds hookwire.pc when
 *          PKG_CONFIG_PATH includes DIR/lib/pkgconfig. Add -Wl,-rpath,DIR/lib when
 *          DIR/lib is outside the loader's search path. `make examples` does all this.
 *   run:   ./host hooks.db
 */
#define _POSIX_C_SOURCE 200809L
#include <hookwire.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Sleeps for the given number of milliseconds. */
static void sleep_ms(long milliseconds) {
    struct timespec delay = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

/* What the plugin received; the engine calls the plugin on its own threads, so a mutex guards
   it. */
typedef struct inbox {
    pthread_mutex_t lock;
    int deliveries;
    char last_body[8192];
    char last_hook[128];
    int released;
} inbox;

/* The plugin: stores the delivery's JSON body. It may run on several engine threads at once. */
static hw_plugin_outcome store_delivery(void *user_data, const hw_plugin_delivery *delivery, char *message,
                                        size_t message_capacity) {
    inbox *box = user_data;
    if (delivery->body_length >= sizeof box->last_body) {
        snprintf(message, message_capacity, "body of %zu bytes does not fit the inbox", delivery->body_length);
        return HW_PLUGIN_PERMANENT_FAILURE;
    }
    pthread_mutex_lock(&box->lock);
    memcpy(box->last_body, delivery->body, delivery->body_length);
    box->last_body[delivery->body_length] = '\0';
    snprintf(box->last_hook, sizeof box->last_hook, "%s", hw_webhook_name(delivery->webhook));
    box->deliveries++;
    pthread_mutex_unlock(&box->lock);
    snprintf(message, message_capacity, "stored event %s", delivery->event_id);
    return HW_PLUGIN_SUCCEEDED;
}

/* Called once when the engine is closed, after the last delivery. */
static void release_inbox(void *user_data) {
    inbox *box = user_data;
    box->released++;
}

/* Prints the failed call with the library's message and exits. */
static void require(hw_status status, const char *what) {
    if (status == HW_OK) return;
    fprintf(stderr, "c-host: %s failed: %s (%s)\n", what, hw_status_message(status),
            hw_last_error_message() ? hw_last_error_message() : "no message");
    exit(1);
}

static hw_webhook *make_hook(const char *name, const char *event) {
    hw_webhook *hook = NULL;
    require(hw_webhook_create(&hook), "hw_webhook_create");
    require(hw_webhook_set_name(hook, name), "hw_webhook_set_name");
    require(hw_webhook_add_event(hook, event), "hw_webhook_add_event");
    require(hw_webhook_set_type(hook, "inbox"), "hw_webhook_set_type");
    require(hw_webhook_set_target_url(hook, "inbox://local"), "hw_webhook_set_target_url");
    return hook;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATABASE\n", argv[0]);
        return 2;
    }
    printf("c-host: built against hookwire %s, running %s\n", HW_VERSION_STRING, hw_version());

    hw_engine_options options = HW_ENGINE_OPTIONS_INIT;
    options.shutdown_timeout_ms = 2000;
    hw_engine *engine = NULL;
    require(hw_engine_open(argv[1], &options, &engine), "hw_engine_open");

    static inbox box;
    pthread_mutex_init(&box.lock, NULL);
    require(hw_engine_register_plugin(engine, "inbox", store_delivery, &box, release_inbox),
            "hw_engine_register_plugin");

    hw_webhook *contacts = make_hook("contacts", "contact.*");
    hw_webhook *sales = make_hook("sales", "sale.created");
    require(hw_engine_save_webhook(engine, NULL, contacts), "hw_engine_save_webhook");
    require(hw_engine_save_webhook(engine, NULL, sales), "hw_engine_save_webhook");
    printf("c-host: saved hooks %lld and %lld\n", (long long)hw_webhook_id(contacts), (long long)hw_webhook_id(sales));

    const char *changes[] = {"name"};
    hw_event event = HW_EVENT_INIT;
    event.event = "contact.created";
    event.primary_key = 42;
    event.changes = changes;
    event.change_count = 1;
    event.field_values_json = "{\"name\": \"Ada Lovelace\"}";
    event.data_json = "{\"origin\": \"c-host\"}";
    hw_publish_result published = HW_PUBLISH_RESULT_INIT;
    require(hw_engine_publish(engine, NULL, &event, &published), "hw_engine_publish");
    printf("c-host: published %s to %lld hook(s)\n", published.event_id, (long long)published.matched_webhooks);
    if (published.matched_webhooks != 1) {
        fprintf(stderr, "c-host: expected 1 matched hook, got %lld\n", (long long)published.matched_webhooks);
        return 1;
    }

    /* Wait up to 60 s for the plugin to receive it; under valgrind delivery takes seconds. */
    bool received = false;
    for (int i = 0; i < 6000 && !received; i++) {
        pthread_mutex_lock(&box.lock);
        received = box.deliveries > 0;
        pthread_mutex_unlock(&box.lock);
        if (!received) sleep_ms(10);
    }
    pthread_mutex_lock(&box.lock);
    bool payload_ok = received && strstr(box.last_body, published.event_id) != NULL &&
                      strstr(box.last_body, "Ada Lovelace") != NULL && strstr(box.last_body, "c-host") != NULL &&
                      strcmp(box.last_hook, "contacts") == 0;
    printf("c-host: plugin received %d delivery(ies) for hook %s\n", box.deliveries, box.last_hook);
    pthread_mutex_unlock(&box.lock);
    if (!payload_ok) {
        fprintf(stderr, "c-host: the plugin did not receive the published payload: %s\n", box.last_body);
        return 1;
    }

    /* Sign a body with the hook's generated secret, then verify it as a receiver would. */
    const char *secret = hw_webhook_secret(contacts);
    const char *body = "{\"EventId\": \"example\"}";
    int64_t now = (int64_t)time(NULL);
    char *signature = NULL;
    require(hw_sign(secret, "msg_example", now, (const uint8_t *)body, strlen(body), &signature), "hw_sign");
    char timestamp[32];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)now);
    hw_header headers[] = {
        {"webhook-id", "msg_example"},
        {"webhook-timestamp", timestamp},
        {"webhook-signature", signature},
    };
    hw_verify_failure failure = HW_VERIFY_OK;
    char *reason = NULL;
    require(hw_verify(secret, headers, 3, (const uint8_t *)body, strlen(body), NULL, &failure, &reason), "hw_verify");
    printf("c-host: signature %s verified\n", signature);
    const char *forged = "{\"EventId\": \"forged\"}";
    hw_status status = hw_verify(secret, headers, 3, (const uint8_t *)forged, strlen(forged), NULL, &failure, &reason);
    if (status != HW_ERROR_SIGNATURE_INVALID || failure != HW_VERIFY_NO_MATCHING_SIGNATURE) {
        fprintf(stderr, "c-host: a forged body was not rejected (status %d)\n", (int)status);
        return 1;
    }
    printf("c-host: forged body rejected: %s\n", reason);
    hw_free(reason);
    hw_free(signature);

    hw_webhook_destroy(contacts);
    hw_webhook_destroy(sales);
    hw_engine_close(engine);
    if (box.released != 1) {
        fprintf(stderr, "c-host: the plugin's user data was released %d times, expected once\n", box.released);
        return 1;
    }
    printf("c-host: done\n");
    return 0;
}
