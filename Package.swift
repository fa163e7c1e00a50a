// swift-tools-version:6.2
//
// Hookwire: a webhook delivery engine with three doors (a Swift library, a binary protocol over
// TCP, and a C ABI). Each concern is its own target so that the layout shows the architecture:
//
//   HookwireCore      model, validation, registry rules, plugin and storage protocols (no I/O)
//   HookwireSQLite    the SQLite storage backend
//   HookwireSigning   HMAC-SHA256 signatures (Standard Webhooks and body-only) over OpenSSL
//   HookwireDelivery  durable fan-out, retries and HTTP delivery through libcurl
//   Hookwire          the engine: one object that wires storage, signing and delivery together
//   HookwireProtocol  frame and protobuf codecs of the binary protocol (pure, no sockets)
//   HookwireServer    the epoll server that serves the protocol
//   HookwireClient    the Swift client of the protocol
//   HookwireCABI      the exported C functions behind include/hookwire.h
//   hookwired, hookwire  the server and the command-line client
import PackageDescription

let package = Package(
    name: "Hookwire",
    products: [
        .library(name: "Hookwire", targets: ["Hookwire"]),
        .library(name: "HookwireClient", targets: ["HookwireClient"]),
        .library(name: "hookwire", type: .dynamic, targets: ["HookwireCABI"]),
        .executable(name: "hookwired", targets: ["hookwired"]),
        .executable(name: "hookwire-cli", targets: ["hookwire"]),
    ],
    targets: [
        // C libraries, each through a module map that names its pkg-config file and Debian package.
        .systemLibrary(
            name: "CSQLite", path: "CInterop/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "CInterop/COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "CInterop/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // Typed wrappers for libcurl's variadic setopt/getinfo calls, which Swift cannot call.
        .target(name: "CCurlShim", dependencies: ["CCurl"], path: "CInterop/CCurlShim"),
        // epoll, eventfd and accept4, which Glibc does not export to Swift.
        .target(name: "CLinuxShim", path: "CInterop/CLinuxShim"),

        .target(name: "HookwireCore"),
        .target(name: "HookwireSQLite", dependencies: ["HookwireCore", "CSQLite"]),
        .target(name: "HookwireSigning", dependencies: ["COpenSSL"]),
        .target(
            name: "HookwireDelivery",
            dependencies: ["HookwireCore", "HookwireSigning", "CCurlShim"]),
        .target(
            name: "Hookwire",
            dependencies: ["HookwireCore", "HookwireSQLite", "HookwireSigning", "HookwireDelivery"]),
        .target(name: "HookwireProtocol", dependencies: ["HookwireCore"]),
        .target(
            name: "HookwireServer",
            dependencies: ["Hookwire", "HookwireProtocol", "CLinuxShim"]),
        .target(name: "HookwireClient", dependencies: ["HookwireProtocol", "HookwireCore", "CLinuxShim"]),
        // The public C header as a Clang module, so that `@c @implementation` checks every
        // exported Swift function against its declaration in include/hookwire.h.
        .systemLibrary(name: "CHookwireHeader", path: "include"),
        .target(
            name: "HookwireCABI",
            dependencies: ["Hookwire", "HookwireServer", "HookwireClient", "HookwireSigning", "CHookwireHeader"]),
        .executableTarget(name: "hookwired", dependencies: ["Hookwire", "HookwireServer"]),
        // A child process that the delivery crash test kills and restarts.
        .executableTarget(name: "hookwire-crashtest", dependencies: ["Hookwire"]),
        .executableTarget(
            name: "hookwire",
            dependencies: ["HookwireClient", "HookwireSigning", "HookwireCore"]),

        // Benchmarks print figures; tests never time anything.
        .executableTarget(
            name: "hookwire-bench",
            dependencies: ["Hookwire", "HookwireDelivery", "HookwireSQLite", "HookwireSigning", "HookwireProtocol", "HookwireClient"],
            path: "bench/Sources"),

        .testTarget(name: "HookwireCoreTests", dependencies: ["HookwireCore"]),
        .testTarget(name: "HookwireSQLiteTests", dependencies: ["HookwireSQLite", "HookwireCore"]),
        .testTarget(name: "HookwireSigningTests", dependencies: ["HookwireSigning"]),
        .testTarget(
            name: "HookwireDeliveryTests",
            dependencies: ["Hookwire", "HookwireDelivery", "hookwire-crashtest"],
            exclude: ["receiver.py"]),
        .testTarget(name: "HookwireProtocolTests", dependencies: ["HookwireProtocol"]),
        .testTarget(
            name: "HookwireServerTests",
            dependencies: ["HookwireServer", "HookwireClient", "Hookwire"]),
    ]
)
