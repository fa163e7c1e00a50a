import Foundation
import Glibc

// Peers of the delivery benchmark, nested so that their names cannot clash with other benchmarks.
extension DeliveryBenchmark {
    /// An nginx with a temporary configuration on a free loopback port that responds with 200.
    final class Nginx {
        let process = Process()
        let port: Int

        init(directory: URL) throws {
            port = try DeliveryBenchmark.freePort()
            let prefix = directory.appendingPathComponent("nginx")
            try FileManager.default.createDirectory(at: prefix.appendingPathComponent("logs"), withIntermediateDirectories: true)
            let config = """
                worker_processes 1;
                daemon off;
                master_process off;
                user root;
                error_log \(prefix.path)/logs/error.log warn;
                pid \(prefix.path)/nginx.pid;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    keepalive_requests 10000000;
                    client_body_temp_path \(prefix.path)/body;
                    proxy_temp_path \(prefix.path)/proxy;
                    fastcgi_temp_path \(prefix.path)/fastcgi;
                    uwsgi_temp_path \(prefix.path)/uwsgi;
                    scgi_temp_path \(prefix.path)/scgi;
                    server {
                        listen 127.0.0.1:\(port);
                        location / { default_type text/plain; return 200 "ok\\n"; }
                    }
                }
                """
            let configPath = prefix.appendingPathComponent("nginx.conf").path
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            process.arguments = ["-p", prefix.path, "-c", configPath, "-e", "\(prefix.path)/logs/error.log"]
            try process.run()
            // Wait until it accepts connections.
            for _ in 0..<100 {
                if DeliveryBenchmark.canConnect(port: port) { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            stop()
            throw BenchmarkError("nginx did not start on port \(port); see \(prefix.path)/logs/error.log")
        }

        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    /// `wrk` POSTing one body with a Lua script.
    enum Wrk {
        static func run(url: String, body: [UInt8], connections: Int, seconds: Int, directory: URL) throws -> Double {
            let bodyPath = directory.appendingPathComponent("body.json").path
            _ = FileManager.default.createFile(atPath: bodyPath, contents: Data(body))
            let script = directory.appendingPathComponent("post.lua").path
            try """
                wrk.method = "POST"
                local file = io.open("\(bodyPath)", "rb")
                wrk.body = file:read("*a")
                file:close()
                wrk.headers["Content-Type"] = "application/json; charset=utf-8"
                """.write(toFile: script, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
            process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "-s", script, url]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("Requests/sec:") {
                return Double(line.split(separator: " ").last ?? "") ?? 0
            }
            throw BenchmarkError("wrk printed no Requests/sec line: \(text)")
        }
    }

    /// A loopback listener that never accepts, so connections hang until the request timeout.
    final class BlackHole {
        let socket: Int32
        let port: Int

        init() throws {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.socket = socket
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(socket, 4096) == 0 else { throw BenchmarkError("cannot listen on loopback") }
            port = try DeliveryBenchmark.boundPort(socket)
        }

        func close() { _ = Glibc.close(socket) }
    }

    struct BenchmarkError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Returns a loopback TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let probe = try BlackHole()
        defer { probe.close() }
        return probe.port
    }

    static func boundPort(_ socket: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard result == 0 else { throw BenchmarkError("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
