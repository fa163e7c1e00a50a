/*
 * hookwire.h: the C interface of Hookwire, a durable webhook delivery engine.
 *
 * A host links libhookwire.so and uses the whole engine in its own process: it keeps webhooks
 * in a SQLite database, publishes events that are delivered as signed HTTP POST requests (or
 * through delivery plugins written in C), runs the binary-protocol server, talks to a remote
 * hookwired through a client handle, and signs or verifies Standard Webhooks deliveries.
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 *
 * Names. Functions and types start with hw_, macros with HW_.
 *
 * Return codes. Functions that can fail return an hw_status. HW_OK (0) means success; every
 * other value is a failure and leaves the out-parameters untouched. New codes are appended to
 * hw_status in later versions, so a switch over it needs a default case.
 *
 * Messages. After a failure, hw_last_error_message() returns a message for the calling thread,
 * and the handle's own function (hw_engine_last_error_message(), hw_client_last_error_message())
 * returns the same message for that handle. Messages name the value at fault. They are UTF-8.
 *
 * Handles. hw_engine, hw_server, hw_client, hw_webhook and hw_webhook_list are opaque. They are
 * created through an out-parameter and released with their own close/destroy/stop function,
 * which accepts NULL. The library keeps a table of the handles it has created: passing a handle
 * that was already released, or a pointer that was never a handle of that kind, returns
 * HW_ERROR_MISUSE instead of touching freed memory. That check cannot tell a released handle
 * from a new handle of the same kind that the allocator placed at the same address; it is a
 * safety net, not a licence to keep released handles.
 *
 * Strings. Every const char * argument is a NUL-terminated UTF-8 string. NULL where a string is
 * required, or bytes that are not valid UTF-8, return HW_ERROR_MISUSE. Bytes that are not text
 * (bodies) travel as a pointer plus a length; the pointer may be NULL when the length is 0.
 *
 * Ownership. A char * returned through an out-parameter is owned by the caller and released
 * with hw_free(). A const char * returned by a function is borrowed: its comment says how long
 * it stays valid, and the caller never frees it. The library never keeps a pointer passed in
 * after the call returns, except the plugin user_data, which it owns from registration on.
 *
 * Option structs. Every struct the host passes in begins with size_t struct_size, set by its
 * HW_..._INIT macro to the size the host was compiled with. Later versions only append fields,
 * and the library reads only the fields that fit in struct_size, so an old host keeps working
 * with a newer library. A struct_size smaller than the first version of the struct returns
 * HW_ERROR_MISUSE. A zero numeric field means "the default".
 *
 * Threads. The library starts its own threads (delivery workers, server event loops). Engine,
 * server and client handles may be used from any thread, by several threads at once. A
 * hw_webhook object is a plain value: one thread at a time may use it, and it may move between
 * threads. A hw_webhook_list and the hooks it holds are read-only and may be read by several
 * threads at once. The library never changes the process's signal dispositions; sockets are
 * written with MSG_NOSIGNAL.
 *
 * Versions and the soname. The library's soname is libhookwire.so.HW_VERSION_MAJOR. Within one
 * major version the ABI only grows: new functions, new hw_status codes, new fields at the end of
 * option structs, new enum values. Removing or changing anything declared here, in signature or
 * in meaning, increments HW_VERSION_MAJOR and with it the soname. The minor version counts
 * additions; the patch version counts fixes that change no declaration.
 */
#ifndef HOOKWIRE_H
#define HOOKWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define HW_VERSION_MAJOR 1
#define HW_VERSION_MINOR 0
#define HW_VERSION_PATCH 0
#define HW_VERSION_STRING "1.0.0"
/* The version as one comparable number: major * 10000 + minor * 100 + patch. */
#define HW_VERSION_NUMBER (HW_VERSION_MAJOR * 10000 + HW_VERSION_MINOR * 100 + HW_VERSION_PATCH)

/*
 * hw_version: returns the version of the loaded library as "MAJOR.MINOR.PATCH".
 *
 * Compare it with HW_VERSION_STRING to see whether the host was built against the same version.
 * Ownership: the string is static; never free it. Threads: any thread. Never fails.
 */
const char *hw_version(void);

/*
 * hw_version_number: returns the version of the loaded library as HW_VERSION_NUMBER computes it.
 *
 * Threads: any thread. Never fails.
 */
int hw_version_number(void);

/* ------------------------------------------------------------------------------------------ */
/* Status codes and messages                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* Result of every function that can fail. Values are stable; new ones are only appended. */
typedef enum hw_status {
    /* Success. */
    HW_OK = 0,
    /* The host broke the contract of a call: NULL where a value is required, bytes that are
       not UTF-8, a released or foreign handle, a struct_size too small. Nothing was changed. */
    HW_ERROR_MISUSE = 1,
    /* An argument was invalid: an empty name, a bad URL, malformed JSON, an unknown state. */
    HW_ERROR_INVALID_ARGUMENT = 2,
    /* The webhook or other record does not exist. */
    HW_ERROR_NOT_FOUND = 3,
    /* The caller's application token does not own the webhook. */
    HW_ERROR_PERMISSION_DENIED = 4,
    /* A payload or a request was over a configured limit. */
    HW_ERROR_TOO_LARGE = 5,
    /* The database could not be read or written (I/O error, disk full, locked). */
    HW_ERROR_STORAGE = 6,
    /* The database file is not a Hookwire database or is damaged. */
    HW_ERROR_CORRUPT_DATABASE = 7,
    /* The database was written by a newer Hookwire whose schema this one does not know. */
    HW_ERROR_UNSUPPORTED_SCHEMA = 8,
    /* The database is read-only and a write was needed. */
    HW_ERROR_READ_ONLY = 9,
    /* A delivery target could not be reached or responded with a failure. No function of
       version 1.0 returns it: a test call reports a failing target as HW_OK with
       *out_succeeded false. It keeps its number for later versions. */
    HW_ERROR_DELIVERY_FAILED = 10,
    /* The engine, server or connection is shutting down, closed or not reachable, or another
       process has the database open. */
    HW_ERROR_UNAVAILABLE = 11,
    /* A call timed out. */
    HW_ERROR_TIMED_OUT = 12,
    /* The server rejected the client's token. */
    HW_ERROR_UNAUTHENTICATED = 13,
    /* A bug, or an unexpected failure of a library below Hookwire. */
    HW_ERROR_INTERNAL = 14,
    /* The call was cancelled. */
    HW_ERROR_CANCELLED = 15,
    /* A record already exists, or its state does not allow the call. */
    HW_ERROR_FAILED_PRECONDITION = 16,
    /* A signature did not verify; the reason is in the out-parameters of hw_verify(). */
    HW_ERROR_SIGNATURE_INVALID = 17
} hw_status;

/*
 * hw_status_message: returns a short static description of a status code, such as
 * "not found". Unknown codes return "unknown status".
 *
 * Ownership: the string is static; never free it. Threads: any thread. Never fails.
 */
const char *hw_status_message(hw_status status);

/*
 * hw_last_error_message: returns the message of the latest failed call made by the calling
 * thread, or NULL when no call on this thread has failed yet.
 *
 * It is the only message for failures that happen before a handle exists (hw_engine_open(),
 * hw_client_connect(), hw_server_start(), hw_sign(), ...). Successful calls leave it unchanged.
 * Ownership: borrowed; valid until the next failed call on the same thread, or until the thread
 * exits. Threads: any thread; each thread has its own message.
 */
const char *hw_last_error_message(void);

/*
 * hw_free: releases memory the library returned through a char ** out-parameter.
 *
 * ptr: the pointer, or NULL (then nothing happens). Passing anything else is undefined.
 * Threads: any thread. Never fails.
 */
void hw_free(void *ptr);

/* ------------------------------------------------------------------------------------------ */
/* Shared value types                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* The delivery state of a webhook. The values are stored and sent on the wire; they never
   change. */
typedef enum hw_webhook_state {
    /* No state. In a list filter it means "any state". */
    HW_WEBHOOK_STATE_UNKNOWN = 0,
    /* Events are delivered to the target. */
    HW_WEBHOOK_STATE_ACTIVE = 1,
    /* Turned off by its owner; deliveries are held until it is active again. */
    HW_WEBHOOK_STATE_STOPPED = 2,
    /* Turned off after too many consecutive failures or a permanent failure; deliveries are
       held until the owner sets it active again. */
    HW_WEBHOOK_STATE_TOO_MANY_ERRORS = 3
} hw_webhook_state;

/*
 * Who makes an engine call. Pass NULL where a function takes a const hw_caller * to act as the
 * administrator: a trusted in-process caller that may change every webhook.
 */
typedef struct hw_caller {
    size_t struct_size;
    /* The calling application's token, or NULL for an anonymous caller. A webhook saved with a
       token belongs to that application; only callers with the same token may change it. */
    const char *application_token;
    /* The associate (user) id recorded as the webhook's registered/updated by. */
    int64_t associate_id;
} hw_caller;

#define HW_CALLER_INIT {sizeof(hw_caller), NULL, 0}

/* The outcome of one delivery, as hw_engine_record_result() takes it and test calls return
   it. */
typedef struct hw_webhook_result {
    size_t struct_size;
    /* True when the target accepted the delivery. */
    bool succeeded;
    /* True when retrying cannot help (HTTP 410 Gone, for example); the hook is disabled at
       once. */
    bool permanent_failure;
    /* An error text, or a summary of the response on success. NULL means "". */
    const char *message;
} hw_webhook_result;

#define HW_WEBHOOK_RESULT_INIT {sizeof(hw_webhook_result), false, false, NULL}

/* ------------------------------------------------------------------------------------------ */
/* Webhook objects                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* A webhook: where to deliver which events, how, and with which secret. A plain value held by
   the host; engine and client calls copy it in and out. */
typedef struct hw_webhook hw_webhook;

/*
 * hw_webhook_create: creates an empty webhook: id 0 (not stored yet), type "webhook" (HTTP
 * POST), state active, no name, events, target or secret.
 *
 * out_webhook: receives the new object. The caller releases it with hw_webhook_destroy().
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE when out_webhook is NULL.
 */
hw_status hw_webhook_create(hw_webhook **out_webhook);

/*
 * hw_webhook_clone: copies a webhook, for example one borrowed from a hw_webhook_list.
 *
 * out_webhook: receives the copy, released with hw_webhook_destroy().
 * Threads: any thread that may read webhook.
 * Returns: HW_OK; HW_ERROR_MISUSE when an argument is NULL or webhook is not a live handle.
 */
hw_status hw_webhook_clone(const hw_webhook *webhook, hw_webhook **out_webhook);

/*
 * hw_webhook_destroy: releases a webhook created by hw_webhook_create(), hw_webhook_clone(),
 * hw_engine_get_webhook() or hw_client_get_webhook(). Every string borrowed from it becomes
 * invalid.
 *
 * webhook: the object, or NULL (then nothing happens). A hook borrowed from a hw_webhook_list
 * belongs to the list and is not released here (the call sets HW_ERROR_MISUSE as the thread's
 * last error and does nothing).
 * Threads: the thread that uses the object.
 */
void hw_webhook_destroy(hw_webhook *webhook);

/*
 * Getters. Each returns the field of a live webhook, or 0 / NULL for a NULL or released handle
 * (and then sets HW_ERROR_MISUSE as the thread's last error).
 *
 * Ownership: a returned string is borrowed from the object. It stays valid until the next
 * setter call on the same object or until the object is destroyed (for a hook in a list: until
 * the list is destroyed). Threads: any thread that may read the object.
 */

/* The primary key; 0 for a hook not stored yet. */
int64_t hw_webhook_id(const hw_webhook *webhook);
/* A label for people; need not be unique. */
const char *hw_webhook_name(const hw_webhook *webhook);
/* Where deliveries go: an absolute http or https URL for the "webhook" type; plugin types
   define their own meaning. */
const char *hw_webhook_target_url(const hw_webhook *webhook);
/* The delivery plugin's type name, such as "webhook". */
const char *hw_webhook_type(const hw_webhook *webhook);
/* The signing secret, or NULL when the hook has none (a hook read back from an engine or a
   server may carry none because secrets are not handed out after creation). */
const char *hw_webhook_secret(const hw_webhook *webhook);
/* The delivery state. */
hw_webhook_state hw_webhook_get_state(const hw_webhook *webhook);
/* The owning application's token, or NULL when the hook has no owner. */
const char *hw_webhook_application_token(const hw_webhook *webhook);
/* A free description; "" when none. */
const char *hw_webhook_description(const hw_webhook *webhook);
/* The number of event names the hook listens to. */
size_t hw_webhook_event_count(const hw_webhook *webhook);
/* The event name at index (0 <= index < hw_webhook_event_count()), or NULL when out of range.
   "*" matches every event and "contact.*" every event of the contact entity. */
const char *hw_webhook_event(const hw_webhook *webhook, size_t index);
/* The number of extra HTTP headers sent with every delivery. */
size_t hw_webhook_header_count(const hw_webhook *webhook);
/* The header name at index, in ascending byte order of names, or NULL when out of range. */
const char *hw_webhook_header_name(const hw_webhook *webhook, size_t index);
/* The header value at index, or NULL when out of range. */
const char *hw_webhook_header_value(const hw_webhook *webhook, size_t index);
/* The extra keys added to every delivery's JSON body, as a compact JSON object ("{}" when
   none). */
const char *hw_webhook_properties_json(const hw_webhook *webhook);
/* Creation time in milliseconds since 1970-01-01 UTC; 0 for a hook not stored yet. */
int64_t hw_webhook_registered_ms(const hw_webhook *webhook);
/* The associate id that created the hook. */
int64_t hw_webhook_registered_associate_id(const hw_webhook *webhook);
/* Time of the latest change in milliseconds since 1970-01-01 UTC. */
int64_t hw_webhook_updated_ms(const hw_webhook *webhook);
/* The associate id that changed the hook last. */
int64_t hw_webhook_updated_associate_id(const hw_webhook *webhook);

/*
 * Setters. Each changes one field of the object held by the host; nothing is stored until
 * hw_engine_save_webhook() or hw_client_save_webhook(). Strings are copied. Every string
 * borrowed from the object before the call becomes invalid.
 *
 * Threads: the thread that uses the object.
 * Returns: HW_OK; HW_ERROR_MISUSE for a NULL or released handle, a NULL string where one is
 * required, or a string that is not UTF-8; HW_ERROR_INVALID_ARGUMENT where the comment names a
 * check. Field contents (URL form, event names, known type) are checked when the hook is saved.
 */

/* Sets the primary key: 0 creates a new hook on save, any other id updates that hook. */
hw_status hw_webhook_set_id(hw_webhook *webhook, int64_t id);
hw_status hw_webhook_set_name(hw_webhook *webhook, const char *name);
hw_status hw_webhook_set_target_url(hw_webhook *webhook, const char *target_url);
hw_status hw_webhook_set_type(hw_webhook *webhook, const char *type);
/* secret may be NULL: the engine then generates a "whsec_" secret on creation. */
hw_status hw_webhook_set_secret(hw_webhook *webhook, const char *secret);
/* HW_ERROR_INVALID_ARGUMENT when state is not one of hw_webhook_state. */
hw_status hw_webhook_set_state(hw_webhook *webhook, hw_webhook_state state);
/* application_token may be NULL for a hook with no owner. */
hw_status hw_webhook_set_application_token(hw_webhook *webhook, const char *application_token);
hw_status hw_webhook_set_description(hw_webhook *webhook, const char *description);
/* Replaces the event names with count strings from events (events may be NULL when count is
   0). */
hw_status hw_webhook_set_events(hw_webhook *webhook, const char *const *events, size_t count);
/* Appends one event name. */
hw_status hw_webhook_add_event(hw_webhook *webhook, const char *event);
/* Sets the header name to value, or removes it when value is NULL. */
hw_status hw_webhook_set_header(hw_webhook *webhook, const char *name, const char *value);
/* Replaces the properties with a JSON object given as text; HW_ERROR_INVALID_ARGUMENT when the
   text is not a JSON object. */
hw_status hw_webhook_set_properties_json(hw_webhook *webhook, const char *json);

/* ------------------------------------------------------------------------------------------ */
/* Webhook lists                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The hooks a list call returned, ordered by id. Read-only; several threads may read it. */
typedef struct hw_webhook_list hw_webhook_list;

/* The four filters of a list call, with paging. Every filter is optional; they combine with
   AND. */
typedef struct hw_webhook_filter {
    size_t struct_size;
    /* Exact name, or NULL for any. */
    const char *name;
    /* An event name, or NULL for any; a hook listening to "*" or "entity.*" matches too. */
    const char *event;
    /* Exact application token, or NULL for any. */
    const char *application_token;
    /* A state, or HW_WEBHOOK_STATE_UNKNOWN for any. */
    hw_webhook_state state;
    /* At most this many hooks are returned; 0 means 1000. */
    size_t limit;
    /* Only hooks with an id greater than this are returned: pass the last id of one page to get
       the next. */
    int64_t after_id;
} hw_webhook_filter;

#define HW_WEBHOOK_FILTER_INIT {sizeof(hw_webhook_filter), NULL, NULL, NULL, HW_WEBHOOK_STATE_UNKNOWN, 0, 0}

/*
 * hw_webhook_list_count: returns the number of hooks in the list, or 0 for NULL or a released
 * list. Threads: any thread.
 */
size_t hw_webhook_list_count(const hw_webhook_list *list);

/*
 * hw_webhook_list_at: returns the hook at index (0 <= index < hw_webhook_list_count()), or NULL
 * when index is out of range or list is not a live list.
 *
 * Ownership: borrowed from the list and valid until hw_webhook_list_destroy(). Read it with the
 * getters; copy it with hw_webhook_clone() to change or keep it. Threads: any thread.
 */
const hw_webhook *hw_webhook_list_at(const hw_webhook_list *list, size_t index);

/*
 * hw_webhook_list_destroy: releases the list and every hook borrowed from it.
 *
 * list: the list, or NULL (then nothing happens). Threads: any thread, once no other thread
 * reads the list.
 */
void hw_webhook_list_destroy(hw_webhook_list *list);

/* ------------------------------------------------------------------------------------------ */
/* Events                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* An event to publish: the fields of a CRM change notification plus free JSON data. */
typedef struct hw_event {
    size_t struct_size;
    /* The event name, such as "contact.created". Required. */
    const char *event;
    /* The entity that changed, such as "contact"; NULL takes the part of event before the first
       full stop. */
    const char *entity;
    /* The id of the row that changed. */
    int64_t primary_key;
    /* Names of the columns that changed: change_count strings (changes may be NULL when
       change_count is 0). */
    const char *const *changes;
    size_t change_count;
    /* Values of the row's non-sensitive fields as a JSON object, or NULL for none. */
    const char *field_values_json;
    /* The associate (user) id that made the change. */
    int64_t changed_by_associate_id;
    /* The tenant, such as "Cust1234"; NULL means "Default". */
    const char *context_identifier;
    /* Free JSON data (any JSON value) added to the delivery body under "Data", or NULL. */
    const char *data_json;
} hw_event;

#define HW_EVENT_INIT {sizeof(hw_event), NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL}

/* The size of hw_publish_result.event_id: a lowercase UUID and its NUL. */
#define HW_EVENT_ID_SIZE 37

/* What a publish returns once the event and its deliveries are durable. */
typedef struct hw_publish_result {
    size_t struct_size;
    /* The event's id, a lowercase UUID, NUL-terminated. */
    char event_id[HW_EVENT_ID_SIZE];
    /* How many active webhooks the event matched (one delivery each). */
    int64_t matched_webhooks;
} hw_publish_result;

#define HW_PUBLISH_RESULT_INIT {sizeof(hw_publish_result), {0}, 0}

/* ------------------------------------------------------------------------------------------ */
/* Engine                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* An engine: registry, durable publishing and delivery on one database. */
typedef struct hw_engine hw_engine;

/* Settings of an engine. Zero fields take the default. */
typedef struct hw_engine_options {
    size_t struct_size;
    /* Deliver to loopback, private, link-local and other non-public addresses. Default false:
       such targets are refused when the connection is made. */
    bool allow_private_targets;
    /* Connect timeout of an HTTP delivery in milliseconds. Default 5000. */
    int64_t connect_timeout_ms;
    /* Total timeout of an HTTP delivery in milliseconds. Default 15000. */
    int64_t request_timeout_ms;
    /* Deliveries in flight at once, over all hooks. Default 256. */
    int64_t max_in_flight;
    /* Deliveries in flight at once to one hook. Default 8. */
    int64_t max_in_flight_per_webhook;
    /* Largest accepted event (its JSON body) in bytes. Default 1048576 (1 MiB). */
    int64_t max_payload_bytes;
    /* Consecutive failed attempts that switch a hook to TOO_MANY_ERRORS. Default 9. */
    int64_t consecutive_error_limit;
    /* Retry delays in milliseconds after the first, second, ... failed attempt: retry_count
       values, or NULL for the default schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
    const int64_t *retry_delays_ms;
    size_t retry_count;
    /* A PEM file of CA certificates trusted for https targets, or NULL for the system's. */
    const char *ca_file;
    /* How long hw_engine_close() waits for deliveries in flight, in milliseconds. Default
       10000. */
    int64_t shutdown_timeout_ms;
} hw_engine_options;

#define HW_ENGINE_OPTIONS_INIT {sizeof(hw_engine_options), false, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, 0}

/*
 * hw_engine_open: opens (creating it if needed) the database at database_path and starts the
 * delivery workers. Pending deliveries left by an earlier run are resumed.
 *
 * database_path: the database file's path. ":memory:" is rejected with HW_ERROR_INVALID_ARGUMENT
 * because the engine opens several connections, and each would see its own empty database.
 * options: settings, or NULL for the defaults. Copied; the host may free it after the call.
 * out_engine: receives the engine, released with hw_engine_close().
 * Threads: any thread. Several engines may be open at once on different databases.
 * One process at a time may open a database: the engine holds an exclusive flock() on
 * "<database_path>.lock", which it creates next to the file and leaves there.
 * Returns: HW_OK; HW_ERROR_MISUSE (NULL or non-UTF-8 path, NULL out_engine, struct_size too
 * small); HW_ERROR_INVALID_ARGUMENT (":memory:", a negative option); HW_ERROR_STORAGE (cannot
 * open or write the file); HW_ERROR_CORRUPT_DATABASE (not a Hookwire database);
 * HW_ERROR_UNSUPPORTED_SCHEMA (written by a newer Hookwire); HW_ERROR_READ_ONLY (a
 * write-protected file); HW_ERROR_UNAVAILABLE (another process, such as hookwired, has the
 * database open). The message is in hw_last_error_message().
 */
hw_status hw_engine_open(const char *database_path, const hw_engine_options *options,
                         hw_engine **out_engine);

/*
 * hw_engine_close: stops taking new work, waits up to the shutdown timeout for deliveries in
 * flight (the rest stay pending in the database), releases every plugin's user_data through its
 * free function, and releases the engine.
 *
 * A server started on the engine keeps it alive: the shutdown then happens when the last such
 * server is stopped. Calls already running on other threads finish first; calls made after
 * close return HW_ERROR_MISUSE.
 * engine: the engine, or NULL (then nothing happens).
 * Threads: any thread except a plugin callback of this engine (that would wait for itself).
 */
void hw_engine_close(hw_engine *engine);

/*
 * hw_engine_last_error_message: returns the message of the latest failed call on this engine,
 * from any thread, or NULL when none failed.
 *
 * Ownership: borrowed; valid until the next failed call on the same engine or until
 * hw_engine_close(). A host that calls one engine from several threads should read
 * hw_last_error_message() instead, which no other thread changes.
 * Threads: any thread.
 */
const char *hw_engine_last_error_message(const hw_engine *engine);

/*
 * hw_engine_save_webhook: creates the hook when its id is 0, otherwise updates the stored hook
 * with that id, then copies the stored hook back into webhook (its id, timestamps and, for a new
 * hook, the generated secret).
 *
 * caller: who saves it, or NULL for the administrator.
 * Threads: any thread (webhook itself must not be used by another thread meanwhile).
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_INVALID_ARGUMENT (empty name, no events, a target
 * URL that is not absolute http(s), an unknown type, ...); HW_ERROR_NOT_FOUND (no hook with
 * that id); HW_ERROR_PERMISSION_DENIED (owned by another application); HW_ERROR_STORAGE;
 * HW_ERROR_UNAVAILABLE (engine shutting down).
 */
hw_status hw_engine_save_webhook(hw_engine *engine, const hw_caller *caller, hw_webhook *webhook);

/*
 * hw_engine_get_webhook: reads the hook with id.
 *
 * out_webhook: receives a new object, released with hw_webhook_destroy().
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_NOT_FOUND; HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_get_webhook(hw_engine *engine, int64_t id, hw_webhook **out_webhook);

/*
 * hw_engine_list_webhooks: lists the hooks matching filter, ordered by id.
 *
 * filter: the filters, or NULL for every hook (up to the default limit).
 * out_list: receives the result set, released with hw_webhook_list_destroy().
 * Threads: any thread.
 * Returns: HW_OK (possibly with an empty list); HW_ERROR_MISUSE; HW_ERROR_INVALID_ARGUMENT (an
 * unknown state); HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_list_webhooks(hw_engine *engine, const hw_webhook_filter *filter,
                                  hw_webhook_list **out_list);

/*
 * hw_engine_delete_webhook: deletes the hook with id. Its pending deliveries are cancelled.
 *
 * caller: who deletes it, or NULL for the administrator.
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_NOT_FOUND; HW_ERROR_PERMISSION_DENIED;
 * HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_delete_webhook(hw_engine *engine, const hw_caller *caller, int64_t id);

/*
 * hw_engine_webhook_last_error: returns the text of the hook's latest failed delivery.
 *
 * out_message: receives the text, released with hw_free(), or NULL when no delivery failed.
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_NOT_FOUND; HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_webhook_last_error(hw_engine *engine, int64_t id, char **out_message);

/*
 * hw_engine_record_result: records the outcome of one call to the hook made by the host, updates
 * its counters and applies the state rule (the consecutive error limit, or a permanent failure,
 * switches it to HW_WEBHOOK_STATE_TOO_MANY_ERRORS).
 *
 * result: the outcome; its message is copied.
 * out_state: receives the hook's state after the call, or may be NULL.
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_NOT_FOUND; HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_record_result(hw_engine *engine, int64_t id, const hw_webhook_result *result,
                                  hw_webhook_state *out_state);

/*
 * hw_engine_test_webhook: sends the test (PING) event to the hook at once, without retries, and
 * waits for the outcome (up to the request timeout).
 *
 * caller: who tests it, or NULL for the administrator.
 * out_succeeded: receives whether the target accepted it; may be NULL.
 * out_message: receives the status line, headers and a body snippet, or the error, released with
 * hw_free(); may be NULL.
 * A target that fails the test is not an error of the call: it returns HW_OK with
 * *out_succeeded false.
 * Threads: any thread except a plugin callback of this engine.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_NOT_FOUND; HW_ERROR_PERMISSION_DENIED;
 * HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_test_webhook(hw_engine *engine, const hw_caller *caller, int64_t id,
                                 bool *out_succeeded, char **out_message);

/*
 * hw_engine_publish: publishes one event. It returns once the event and one delivery per
 * matching active hook are committed to the database; delivery happens later, on the engine's
 * threads.
 *
 * caller: who publishes, or NULL for the administrator.
 * event: the event; every string in it is copied.
 * out_result: receives the event id and the number of matched hooks; may be NULL. The host sets
 * out_result->struct_size (HW_PUBLISH_RESULT_INIT).
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE (NULL event or event name, non-UTF-8 text, struct_size too
 * small); HW_ERROR_INVALID_ARGUMENT (bad event name, JSON that does not parse or
 * field_values_json that is not an object); HW_ERROR_TOO_LARGE (over max_payload_bytes);
 * HW_ERROR_STORAGE; HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_publish(hw_engine *engine, const hw_caller *caller, const hw_event *event,
                            hw_publish_result *out_result);

/*
 * hw_engine_publish_batch: publishes count events in one call, committed together.
 *
 * events: count events; every element must have the same struct_size, which the library uses as
 * the array's stride.
 * out_results: count results, or NULL; out_results[0].struct_size is the stride, as above.
 * Either every event is published or none is: a failure names the index of the event at fault.
 * Threads: any thread.
 * Returns: the codes of hw_engine_publish(); HW_ERROR_MISUSE also when count is 0 or events is
 * NULL.
 */
hw_status hw_engine_publish_batch(hw_engine *engine, const hw_caller *caller, const hw_event *events,
                                  size_t count, hw_publish_result *out_results);

/* ------------------------------------------------------------------------------------------ */
/* Delivery plugins written in C                                                              */
/* ------------------------------------------------------------------------------------------ */

/* What a plugin callback returns. */
typedef enum hw_plugin_outcome {
    /* Delivered. */
    HW_PLUGIN_SUCCEEDED = 0,
    /* Failed; the delivery is retried on the engine's schedule. */
    HW_PLUGIN_FAILED = 1,
    /* Failed and retrying cannot help; the hook is switched to TOO_MANY_ERRORS at once. */
    HW_PLUGIN_PERMANENT_FAILURE = 2
} hw_plugin_outcome;

/* One delivery handed to a plugin callback. Everything in it is borrowed for the duration of the
   call only: copy what you need to keep. */
typedef struct hw_plugin_delivery {
    size_t struct_size;
    /* The hook, read with the hw_webhook getters. Not a handle the callback may destroy or
       change. */
    const hw_webhook *webhook;
    /* The JSON body, exactly as an HTTP delivery would send it (not NUL-terminated). */
    const uint8_t *body;
    size_t body_length;
    /* The event name, such as "contact.created", or "test" for a test call. */
    const char *event;
    /* The event's id, a lowercase UUID. */
    const char *event_id;
    /* The delivery's message id (the webhook-id header value), the same on every attempt. */
    const char *message_id;
    /* The attempt number, 0 for the first. */
    int32_t attempt;
    /* True for a test (PING) call. */
    bool is_test;
} hw_plugin_delivery;

/*
 * A plugin's delivery callback.
 *
 * It runs on one of the engine's delivery threads, never on a thread of the host, and it may be
 * called concurrently for different deliveries, so it must be thread-safe. It should return
 * within the request timeout. It must not call hw_engine_close() or hw_engine_test_webhook() on
 * its own engine; other engine calls are allowed.
 * user_data: the pointer given at registration.
 * delivery: the delivery; valid only until the callback returns.
 * message: a buffer of message_capacity bytes (at least 256), initially "", for a NUL-terminated
 * UTF-8 text: the error on failure, or a summary on success. Longer text is cut at the first NUL
 * or at message_capacity - 1 bytes.
 * Returns: a hw_plugin_outcome. Any other value counts as a failure, recorded with a message
 * that names the value.
 */
typedef hw_plugin_outcome (*hw_plugin_deliver_fn)(void *user_data, const hw_plugin_delivery *delivery,
                                                  char *message, size_t message_capacity);

/*
 * hw_engine_register_plugin: registers a delivery type: hooks whose type equals type_name
 * (case-insensitively) are delivered by calling deliver instead of HTTP POST.
 *
 * type_name: the type, such as "crmscript". Copied.
 * deliver: the callback (required).
 * user_data: passed to every call of deliver. On HW_OK the engine owns it: it calls
 * free_user_data(user_data) once, after the last callback has returned, when the engine is
 * released. On failure the engine does not keep it and never calls free_user_data.
 * free_user_data: a function that releases user_data, or NULL.
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE (NULL engine, type_name or deliver); HW_ERROR_INVALID_ARGUMENT
 * (an empty or invalid type name); HW_ERROR_FAILED_PRECONDITION (a plugin with that type name is
 * already registered, including the built-in "webhook"); HW_ERROR_UNAVAILABLE.
 */
hw_status hw_engine_register_plugin(hw_engine *engine, const char *type_name, hw_plugin_deliver_fn deliver,
                                    void *user_data, void (*free_user_data)(void *user_data));

/* ------------------------------------------------------------------------------------------ */
/* In-process server                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* A running binary-protocol server that serves an engine to network clients. */
typedef struct hw_server hw_server;

/* Settings of an in-process server. */
typedef struct hw_server_options {
    size_t struct_size;
    /* The address to listen on as "HOST:PORT"; NULL means "127.0.0.1:7600". Port 0 picks a free
       port; read it with hw_server_port(). */
    const char *listen;
    /* A file of client tokens, or NULL: then only loopback clients are accepted and none needs
       a token. Each line holds a token (at least 16 characters) and the application it names,
       separated by white space; empty lines and lines starting with '#' are skipped. */
    const char *token_file;
} hw_server_options;

#define HW_SERVER_OPTIONS_INIT {sizeof(hw_server_options), NULL, NULL}

/*
 * hw_server_start: starts serving engine on the listen address, on the library's own threads.
 *
 * engine: the engine to serve; the server keeps it alive until hw_server_stop().
 * options: settings, or NULL for the defaults. Copied.
 * out_server: receives the server, stopped and released with hw_server_stop().
 * Threads: any thread.
 * Returns: HW_OK once the socket listens; HW_ERROR_MISUSE; HW_ERROR_INVALID_ARGUMENT (a listen
 * address that does not parse, an unreadable token file); HW_ERROR_UNAVAILABLE (the address is
 * in use or cannot be bound). The message is in hw_last_error_message().
 */
hw_status hw_server_start(hw_engine *engine, const hw_server_options *options, hw_server **out_server);

/*
 * hw_server_port: returns the TCP port the server listens on, or 0 for NULL or a stopped
 * server. Threads: any thread.
 */
uint16_t hw_server_port(const hw_server *server);

/*
 * hw_server_stop: stops accepting connections, lets calls in flight finish, closes every
 * connection and releases the server. If the engine was closed already, it is released now.
 *
 * server: the server, or NULL (then nothing happens). Threads: any thread.
 */
void hw_server_stop(hw_server *server);

/* ------------------------------------------------------------------------------------------ */
/* Client of a remote hookwired                                                               */
/* ------------------------------------------------------------------------------------------ */

/* A connection to a hookwired server (or an in-process hw_server). */
typedef struct hw_client hw_client;

/* Settings of a client. */
typedef struct hw_client_options {
    size_t struct_size;
    /* The token presented in the handshake, or NULL for none. */
    const char *token;
    /* Timeout of each call in milliseconds. Default 30000. */
    int64_t timeout_ms;
} hw_client_options;

#define HW_CLIENT_OPTIONS_INIT {sizeof(hw_client_options), NULL, 0}

/*
 * hw_client_connect: connects to the server at address and completes the handshake.
 *
 * address: "HOST:PORT".
 * options: settings, or NULL for the defaults. Copied.
 * out_client: receives the client, released with hw_client_close().
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE; HW_ERROR_INVALID_ARGUMENT (an address that does not parse);
 * HW_ERROR_UNAVAILABLE (connection refused or lost); HW_ERROR_UNAUTHENTICATED (token
 * rejected); HW_ERROR_TIMED_OUT. The message is in hw_last_error_message().
 */
hw_status hw_client_connect(const char *address, const hw_client_options *options, hw_client **out_client);

/*
 * hw_client_close: closes the connection and releases the client. Calls in flight on other
 * threads return HW_ERROR_UNAVAILABLE or HW_ERROR_CANCELLED.
 *
 * client: the client, or NULL (then nothing happens). Threads: any thread.
 */
void hw_client_close(hw_client *client);

/*
 * hw_client_last_error_message: returns the message of the latest failed call on this client,
 * from any thread, or NULL when none failed. The server's message is passed on as it is.
 *
 * Ownership: borrowed; valid until the next failed call on the same client or until
 * hw_client_close(). Threads: any thread.
 */
const char *hw_client_last_error_message(const hw_client *client);

/*
 * The remote operations below do what their hw_engine_ counterparts do, on the server's engine,
 * with the caller given by the client's token. They take the same arguments, follow the same
 * ownership rules and may be called from any thread, several at once on one client (the calls
 * share the connection). Besides the codes of the hw_engine_ counterpart they return
 * HW_ERROR_UNAVAILABLE (connection lost), HW_ERROR_TIMED_OUT (no response within timeout_ms),
 * HW_ERROR_UNAUTHENTICATED (token rejected) and HW_ERROR_TOO_LARGE (a request over the server's
 * frame limit).
 */
hw_status hw_client_save_webhook(hw_client *client, hw_webhook *webhook);
hw_status hw_client_get_webhook(hw_client *client, int64_t id, hw_webhook **out_webhook);
hw_status hw_client_list_webhooks(hw_client *client, const hw_webhook_filter *filter,
                                  hw_webhook_list **out_list);
hw_status hw_client_delete_webhook(hw_client *client, int64_t id);
hw_status hw_client_webhook_last_error(hw_client *client, int64_t id, char **out_message);
hw_status hw_client_record_result(hw_client *client, int64_t id, const hw_webhook_result *result,
                                  hw_webhook_state *out_state);
hw_status hw_client_test_webhook(hw_client *client, int64_t id, bool *out_succeeded, char **out_message);
hw_status hw_client_publish(hw_client *client, const hw_event *event, hw_publish_result *out_result);
hw_status hw_client_publish_batch(hw_client *client, const hw_event *events, size_t count,
                                  hw_publish_result *out_results);

/* ------------------------------------------------------------------------------------------ */
/* Signatures (Standard Webhooks v1, HMAC-SHA256)                                             */
/* ------------------------------------------------------------------------------------------ */

/*
 * Secrets. A secret that starts with "whsec_" is base64-decoded to get the HMAC key (standard
 * verifiers need this form); any other secret is used as its UTF-8 bytes. A "whsec_" secret
 * that is not valid base64 or decodes to fewer than 24 or more than 64 bytes is invalid.
 */

/*
 * hw_sign: computes the webhook-signature header value "v1,<base64>" of a delivery: the
 * HMAC-SHA256 of "{message_id}.{timestamp}.{body}".
 *
 * secret: the hook's secret. message_id: the webhook-id value. timestamp: the webhook-timestamp
 * value, in seconds since 1970-01-01 UTC. body, body_length: the exact body bytes.
 * out_signature: receives the NUL-terminated value, released with hw_free().
 * Threads: any thread.
 * Returns: HW_OK; HW_ERROR_MISUSE (NULL string or out-parameter, body NULL with a non-zero
 * length); HW_ERROR_INVALID_ARGUMENT (an invalid secret; see above).
 */
hw_status hw_sign(const char *secret, const char *message_id, int64_t timestamp, const uint8_t *body,
                  size_t body_length, char **out_signature);

/* One HTTP header of a received delivery. */
typedef struct hw_header {
    const char *name;
    const char *value;
} hw_header;

/* Why a delivery did not verify. */
typedef enum hw_verify_failure {
    /* Verified; no failure. */
    HW_VERIFY_OK = 0,
    /* webhook-id, webhook-timestamp or webhook-signature is missing. */
    HW_VERIFY_MISSING_HEADER = 1,
    /* webhook-timestamp is not an integer. */
    HW_VERIFY_INVALID_TIMESTAMP = 2,
    /* webhook-timestamp is older than the tolerance. */
    HW_VERIFY_TIMESTAMP_TOO_OLD = 3,
    /* webhook-timestamp is further in the future than the tolerance. */
    HW_VERIFY_TIMESTAMP_TOO_NEW = 4,
    /* No v1 signature in webhook-signature matches. */
    HW_VERIFY_NO_MATCHING_SIGNATURE = 5,
    /* A header value is malformed. */
    HW_VERIFY_INVALID_HEADER = 6
} hw_verify_failure;

/* Settings of hw_verify(). */
typedef struct hw_verify_options {
    size_t struct_size;
    /* How far webhook-timestamp may be from now, in seconds. Default 300. */
    int64_t tolerance_seconds;
    /* The current time in seconds since 1970-01-01 UTC, or 0 for the clock's. */
    int64_t now;
} hw_verify_options;

#define HW_VERIFY_OPTIONS_INIT {sizeof(hw_verify_options), 0, 0}

/*
 * hw_verify: verifies a received Standard Webhooks delivery. Header names are matched
 * case-insensitively; a header may appear several times; webhook-signature may list several
 * space-separated signatures (during secret rotation), and any v1 match passes; unknown
 * versions are skipped. Signatures are compared in constant time.
 *
 * secret: the hook's secret. headers, header_count: the request's headers (headers may be NULL
 * when header_count is 0). body, body_length: the exact body bytes.
 * options: settings, or NULL for the defaults.
 * out_failure: receives HW_VERIFY_OK, or why the delivery did not verify; may be NULL.
 * out_reason: receives a message naming the reason (for example "webhook-timestamp 1700000000
 * is 412 seconds older than the tolerance of 300 seconds"), released with hw_free(), or NULL on
 * HW_OK; may be NULL.
 * Threads: any thread.
 * Returns: HW_OK (verified); HW_ERROR_SIGNATURE_INVALID (did not verify; see out_failure);
 * HW_ERROR_MISUSE; HW_ERROR_INVALID_ARGUMENT (an invalid secret).
 */
hw_status hw_verify(const char *secret, const hw_header *headers, size_t header_count, const uint8_t *body,
                    size_t body_length, const hw_verify_options *options, hw_verify_failure *out_failure,
                    char **out_reason);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HOOKWIRE_H */
