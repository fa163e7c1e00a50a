import CCurl
import Foundation
import Glibc

/// A throwaway certificate authority and the server certificates it signed, made with the
/// `openssl` command-line tool in a temporary directory.
struct TestCertificates {
    /// The CA certificate, in PEM, to pass as the CA file.
    let caFile: String
    /// A server certificate with subjectAltName `IP:127.0.0.1` and `DNS:localhost`.
    let serverCertificate: String
    let serverKey: String
    /// A server certificate with subjectAltName `DNS:localhost` only, so dialling `127.0.0.1`
    /// must fail host name verification.
    let localhostOnlyCertificate: String
    let localhostOnlyKey: String

    /// Generates the CA and both server certificates in `directory`, valid for two days.
    ///
    /// - Throws: `TLSPeerError` with openssl's output when a command fails.
    init(directory: URL) throws {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        caFile = path("ca.pem")
        serverCertificate = path("server.pem")
        serverKey = path("server.key")
        localhostOnlyCertificate = path("localhost-only.pem")
        localhostOnlyKey = path("localhost-only.key")

        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try runTool(
            "openssl",
            ["req", "-x509"] + p256 + [
                "-keyout", path("ca.key"), "-out", caFile, "-days", "2", "-subj", "/CN=Hookwire test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        let servers = [
            (serverCertificate, serverKey, "IP:127.0.0.1,DNS:localhost"),
            (localhostOnlyCertificate, localhostOnlyKey, "DNS:localhost"),
        ]
        for (index, (certificate, key, names)) in servers.enumerated() {
            let request = path("server-\(index).csr")
            let extensions = path("server-\(index).ext")
            try "subjectAltName=\(names)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: extensions, atomically: true, encoding: .utf8)
            try runTool("openssl", ["req", "-new"] + p256 + ["-keyout", key, "-out", request, "-subj", "/CN=hookwire-test-\(index)"])
            try runTool(
                "openssl",
                [
                    "x509", "-req", "-in", request, "-CA", caFile, "-CAkey", path("ca.key"), "-set_serial", "\(1000 + index)",
                    "-days", "2", "-extfile", extensions, "-out", certificate,
                ])
        }
    }
}

/// An nginx on loopback with a temporary configuration that returns 200 for every request and
/// logs each one to an access log that the tests read.
///
/// It serves three ports: `http2Port` (TLS with ALPN h2, the full certificate), `mismatchPort`
/// (TLS and h2 with the `localhost`-only certificate) and `http1Port` (TLS without h2).
final class TLSNginx {
    /// One line of the access log.
    struct LoggedRequest: Equatable {
        /// nginx's serial number of the connection (`$connection`).
        var connection: Int
        /// The number of this request on its connection, from 1 (`$connection_requests`).
        var connectionRequest: Int
        var port: Int
        /// `$server_protocol`, such as `HTTP/2.0` or `HTTP/1.1`.
        var protocolName: String
        var method: String
        /// The `webhook-id` request header, or `-` when missing.
        var webhookId: String
        /// The negotiated TLS version, such as `TLSv1.3`.
        var tlsVersion: String
    }

    let process = Process()
    let http2Port: Int
    let mismatchPort: Int
    let http1Port: Int
    let accessLog: URL
    let errorLog: URL

    init(certificates: TestCertificates, directory: URL) throws {
        let prefix = directory.appendingPathComponent("nginx")
        let logs = prefix.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        accessLog = logs.appendingPathComponent("access.log")
        errorLog = logs.appendingPathComponent("error.log")
        let ports = try freeLoopbackPorts(count: 3)
        (http2Port, mismatchPort, http1Port) = (ports[0], ports[1], ports[2])

        func server(port: Int, options: String, certificate: String, key: String) -> String {
            """
                server {
                    listen 127.0.0.1:\(port) \(options);
                    ssl_certificate \(certificate);
                    ssl_certificate_key \(key);
                    location / { default_type text/plain; return 200 "ok\\n"; }
                }
            """
        }
        // `listen ... ssl http2` is the nginx 1.22 syntax. nginx 1.25.1 deprecated it in favour of
        // the `http2 on` directive.
        let config = """
            worker_processes 1;
            daemon off;
            master_process off;
            error_log \(errorLog.path) warn;
            pid \(prefix.path)/nginx.pid;
            events { worker_connections 256; }
            http {
                log_format hookwire '$connection $connection_requests $server_port $server_protocol '
                                    '$request_method "$http_webhook_id" $ssl_protocol';
                access_log \(accessLog.path) hookwire;
                client_body_temp_path \(prefix.path)/body;
                proxy_temp_path \(prefix.path)/proxy;
                fastcgi_temp_path \(prefix.path)/fastcgi;
                uwsgi_temp_path \(prefix.path)/uwsgi;
                scgi_temp_path \(prefix.path)/scgi;
                ssl_protocols TLSv1.2 TLSv1.3;
            \(server(port: http2Port, options: "ssl http2", certificate: certificates.serverCertificate, key: certificates.serverKey))
            \(server(port: mismatchPort, options: "ssl http2", certificate: certificates.localhostOnlyCertificate, key: certificates.localhostOnlyKey))
            \(server(port: http1Port, options: "ssl", certificate: certificates.serverCertificate, key: certificates.serverKey))
            }
            """
        let configPath = prefix.appendingPathComponent("nginx.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", prefix.path, "-c", configPath, "-e", errorLog.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Up to 5 seconds for nginx to accept connections on every port.
        for _ in 0..<100 {
            if ports.allSatisfy(canConnectToLoopback(port:)) { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        throw TLSPeerError("nginx did not start on ports \(ports): \(log)")
    }

    deinit { stop() }

    /// Kills nginx. The test runner starts children with SIGTERM blocked, so only SIGKILL stops them.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Returns the `https://127.0.0.1` URL of `path` on `port`, by default `http2Port`.
    func url(_ path: String, port: Int? = nil) -> String {
        "https://127.0.0.1:\(port ?? http2Port)\(path)"
    }

    /// Returns every request logged so far, oldest first.
    func requests() -> [LoggedRequest] {
        guard let text = try? String(contentsOf: accessLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 7, let connection = Int(fields[0]), let number = Int(fields[1]),
                let port = Int(fields[2])
            else { return nil }
            return LoggedRequest(
                connection: connection, connectionRequest: number, port: port, protocolName: fields[3],
                method: fields[4], webhookId: fields[5].trimmingCharacters(in: CharacterSet(charactersIn: "\"")),
                tlsVersion: fields[6])
        }
    }

    func requests(port: Int) -> [LoggedRequest] { requests().filter { $0.port == port } }
}

/// Certificates and the nginx that serves them, in one temporary directory that goes away with it.
final class HTTPSPeer {
    let directory: URL
    let certificates: TestCertificates
    let nginx: TLSNginx

    init() throws {
        directory = try makeTemporaryDirectory()
        do {
            certificates = try TestCertificates(directory: directory)
            nginx = try TLSNginx(certificates: certificates, directory: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit {
        nginx.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct TLSPeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Whether the libcurl that Hookwire links was built with HTTP/2 support (nghttp2).
let libcurlSupportsHTTP2: Bool = {
    guard let info = curl_version_info(CURLVERSION_TENTH) else { return false }
    return info.pointee.features & CURL_VERSION_HTTP2 != 0
}()

/// Runs a tool found on `PATH` and waits for it.
///
/// - Throws: `TLSPeerError` with the command and its output when it exits with a non-zero status.
func runTool(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TLSPeerError("\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(text)")
    }
}

/// Returns `count` distinct loopback TCP ports that were free a moment ago.
///
/// All sockets stay bound until every port is known, so the ports differ from each other.
func freeLoopbackPorts(count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { sockets.forEach { _ = close($0) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let (descriptor, port) = try bindLoopbackSocket()
        sockets.append(descriptor)
        ports.append(port)
    }
    return ports
}

/// A loopback TCP listener that never accepts. The kernel still completes TCP handshakes into
/// its backlog, so a client connects and then waits for a TLS server hello that never comes.
final class SilentListener {
    let socketDescriptor: Int32
    let port: Int

    init() throws {
        (socketDescriptor, port) = try bindLoopbackSocket()
        guard listen(socketDescriptor, 16) == 0 else {
            close(socketDescriptor)
            throw TLSPeerError("listen on 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { close(socketDescriptor) }
}

/// Binds a new TCP socket to a free port on 127.0.0.1, and returns the socket and the port.
private func bindLoopbackSocket() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TLSPeerError("socket failed: errno \(errno)") }
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard bound == 0, named == 0 else {
        close(descriptor)
        throw TLSPeerError("binding a socket to 127.0.0.1 failed: errno \(errno)")
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// Returns whether a TCP connection to `127.0.0.1:port` succeeds.
func canConnectToLoopback(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopbackAddress(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}
