// A C++17 host that runs the Hookwire server in-process and talks to it through the client
// handle, using the RAII wrapper in hookwire.hpp. It saves a hook remotely, reads and lists it,
// publishes an event remotely and waits for it at a plugin written in C++. Then it deletes the
// hook.
//
//   build: c++ -std=c++17 host.cpp $(pkg-config --cflags --libs hookwire) -lpthread
//          After `make install PREFIX=DIR`, pkg-config finds hookwire.pc when
//          PKG_CONFIG_PATH includes DIR/lib/pkgconfig. Add -Wl,-rpath,DIR/lib when
//          DIR/lib is outside the loader's search path. `make examples` does all this.
//   run:   ./host hooks.db
#include "hookwire.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace {

// Bodies the plugin received, shared with the engine's delivery threads.
struct Mailbox {
    std::mutex lock;
    std::condition_variable arrived;
    std::vector<std::string> bodies;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DATABASE\n", argv[0]);
        return 2;
    }
    try {
        auto mailbox = std::make_shared<Mailbox>();
        hookwire::Engine engine(argv[1]);
        engine.register_plugin("mailbox", [mailbox](const hw_plugin_delivery &delivery, std::string &message) {
            std::lock_guard<std::mutex> guard(mailbox->lock);
            mailbox->bodies.emplace_back(reinterpret_cast<const char *>(delivery.body), delivery.body_length);
            mailbox->arrived.notify_all();
            message = "queued";
            return HW_PLUGIN_SUCCEEDED;
        });

        hookwire::Server server(engine, "127.0.0.1:0");
        std::string address = "127.0.0.1:" + std::to_string(server.port());
        std::printf("cpp-host: server listening on %s\n", address.c_str());

        hookwire::Client client(address);
        hookwire::Webhook hook;
        hook.name("orders").type("mailbox").target("mailbox://orders").event("order.*");
        client.save(hook);
        std::printf("cpp-host: saved hook %lld through the client\n", static_cast<long long>(hook.id()));

        if (client.get_webhook(hook.id()).name() != "orders") throw std::runtime_error("read back the wrong hook");
        auto names = client.list_names("order.created");
        if (names.size() != 1 || names[0] != "orders") throw std::runtime_error("listing by event did not find the hook");

        hw_publish_result result = client.publish("order.created", R"({"order": 1001, "total": "99.50"})");
        std::printf("cpp-host: published %s to %lld hook(s)\n", result.event_id, static_cast<long long>(result.matched_webhooks));
        {
            std::unique_lock<std::mutex> guard(mailbox->lock);
            bool arrived = mailbox->arrived.wait_for(guard, std::chrono::seconds(60), [&] { return !mailbox->bodies.empty(); });
            if (!arrived) throw std::runtime_error("the plugin received nothing within 60 s");
            const std::string &body = mailbox->bodies.front();
            if (body.find(result.event_id) == std::string::npos || body.find("1001") == std::string::npos) {
                throw std::runtime_error("the plugin received an unexpected body: " + body);
            }
            std::printf("cpp-host: plugin received %zu bytes\n", body.size());
        }

        client.remove(hook.id());
        try {
            client.get_webhook(hook.id());
            throw std::runtime_error("a deleted hook could still be read");
        } catch (const hookwire::Error &error) {
            if (error.status() != HW_ERROR_NOT_FOUND) throw;
            std::printf("cpp-host: deleted hook reported as %s\n", hw_status_message(error.status()));
        }
        // The client, server and engine close here, in reverse order of creation.
    } catch (const std::exception &error) {
        std::fprintf(stderr, "cpp-host: %s\n", error.what());
        return 1;
    }
    std::printf("cpp-host: done\n");
    return 0;
}
