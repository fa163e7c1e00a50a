// A small RAII wrapper over hookwire.h for C++17 hosts: each handle is owned by a class that
// releases it in its destructor, and failures become hookwire::Error exceptions carrying the
// status code and the library's message.
#pragma once

#include <hookwire.h>

#include <cstdint>
#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hookwire {

// A failed call: the status code and the library's message, which names the value at fault.
class Error : public std::runtime_error {
public:
    Error(hw_status status, const std::string &call, const char *message)
        : std::runtime_error(call + ": " + hw_status_message(status) + (message ? std::string(": ") + message : "")),
          status_(status) {}
    hw_status status() const { return status_; }

private:
    hw_status status_;
};

// Throws Error for a failed status, with the thread's last error message.
inline void check(hw_status status, const char *call) {
    if (status != HW_OK) throw Error(status, call, hw_last_error_message());
}

// A string returned through a char ** out-parameter, released with hw_free.
using OwnedString = std::unique_ptr<char, decltype(&hw_free)>;

// A webhook value.
class Webhook {
public:
    Webhook() {
        hw_webhook *raw = nullptr;
        check(hw_webhook_create(&raw), "hw_webhook_create");
        handle_.reset(raw);
    }
    explicit Webhook(hw_webhook *adopted) : handle_(adopted, &hw_webhook_destroy) {}

    Webhook &name(const std::string &value) { return set(hw_webhook_set_name(get(), value.c_str()), "hw_webhook_set_name"); }
    Webhook &target(const std::string &value) {
        return set(hw_webhook_set_target_url(get(), value.c_str()), "hw_webhook_set_target_url");
    }
    Webhook &type(const std::string &value) { return set(hw_webhook_set_type(get(), value.c_str()), "hw_webhook_set_type"); }
    Webhook &event(const std::string &value) { return set(hw_webhook_add_event(get(), value.c_str()), "hw_webhook_add_event"); }

    int64_t id() const { return hw_webhook_id(get()); }
    std::string name() const { return hw_webhook_name(get()); }
    hw_webhook *get() const { return handle_.get(); }

private:
    Webhook &set(hw_status status, const char *call) {
        check(status, call);
        return *this;
    }
    std::unique_ptr<hw_webhook, decltype(&hw_webhook_destroy)> handle_{nullptr, &hw_webhook_destroy};
};

// A delivery plugin implemented by a C++ callable. The engine owns the callable once
// registered and destroys it when it closes.
using PluginFunction = std::function<hw_plugin_outcome(const hw_plugin_delivery &, std::string &message)>;

// An engine on a database file.
class Engine {
public:
    explicit Engine(const std::string &path, const hw_engine_options *options = nullptr) {
        hw_engine *raw = nullptr;
        check(hw_engine_open(path.c_str(), options, &raw), "hw_engine_open");
        handle_.reset(raw);
    }

    void register_plugin(const std::string &type, PluginFunction function) {
        auto owned = std::make_unique<PluginFunction>(std::move(function));
        check(hw_engine_register_plugin(get(), type.c_str(), &Engine::trampoline, owned.get(), &Engine::release),
              "hw_engine_register_plugin");
        owned.release();  // the engine owns it now and releases it through Engine::release
    }

    hw_engine *get() const { return handle_.get(); }

private:
    static hw_plugin_outcome trampoline(void *user_data, const hw_plugin_delivery *delivery, char *message,
                                        size_t capacity) {
        // Exceptions must not cross into the library: they become failures with their text.
        std::string text;
        hw_plugin_outcome outcome = HW_PLUGIN_FAILED;
        try {
            outcome = (*static_cast<PluginFunction *>(user_data))(*delivery, text);
        } catch (const std::exception &error) {
            text = error.what();
            outcome = HW_PLUGIN_FAILED;
        }
        text.copy(message, capacity - 1);
        message[std::min(text.size(), capacity - 1)] = '\0';
        return outcome;
    }
    static void release(void *user_data) { delete static_cast<PluginFunction *>(user_data); }

    std::unique_ptr<hw_engine, decltype(&hw_engine_close)> handle_{nullptr, &hw_engine_close};
};

// The binary-protocol server running inside this process.
class Server {
public:
    Server(const Engine &engine, const std::string &listen) {
        hw_server_options options = HW_SERVER_OPTIONS_INIT;
        options.listen = listen.c_str();
        hw_server *raw = nullptr;
        check(hw_server_start(engine.get(), &options, &raw), "hw_server_start");
        handle_.reset(raw);
    }
    uint16_t port() const { return hw_server_port(handle_.get()); }

private:
    std::unique_ptr<hw_server, decltype(&hw_server_stop)> handle_{nullptr, &hw_server_stop};
};

// A connection to a server.
class Client {
public:
    explicit Client(const std::string &address) {
        hw_client *raw = nullptr;
        check(hw_client_connect(address.c_str(), nullptr, &raw), "hw_client_connect");
        handle_.reset(raw);
    }

    void save(Webhook &webhook) { check(hw_client_save_webhook(get(), webhook.get()), "hw_client_save_webhook"); }

    Webhook get_webhook(int64_t id) {
        hw_webhook *raw = nullptr;
        check(hw_client_get_webhook(get(), id, &raw), "hw_client_get_webhook");
        return Webhook(raw);
    }

    std::vector<std::string> list_names(const char *event) {
        hw_webhook_filter filter = HW_WEBHOOK_FILTER_INIT;
        filter.event = event;
        hw_webhook_list *raw = nullptr;
        check(hw_client_list_webhooks(get(), &filter, &raw), "hw_client_list_webhooks");
        std::unique_ptr<hw_webhook_list, decltype(&hw_webhook_list_destroy)> list(raw, &hw_webhook_list_destroy);
        std::vector<std::string> names;
        for (size_t i = 0; i < hw_webhook_list_count(list.get()); i++) {
            names.emplace_back(hw_webhook_name(hw_webhook_list_at(list.get(), i)));
        }
        return names;
    }

    hw_publish_result publish(const std::string &event_name, const std::string &data_json) {
        hw_event event = HW_EVENT_INIT;
        event.event = event_name.c_str();
        event.data_json = data_json.c_str();
        hw_publish_result result = HW_PUBLISH_RESULT_INIT;
        check(hw_client_publish(get(), &event, &result), "hw_client_publish");
        return result;
    }

    void remove(int64_t id) { check(hw_client_delete_webhook(get(), id), "hw_client_delete_webhook"); }

    hw_client *get() const { return handle_.get(); }

private:
    std::unique_ptr<hw_client, decltype(&hw_client_close)> handle_{nullptr, &hw_client_close};
};

}  // namespace hookwire
