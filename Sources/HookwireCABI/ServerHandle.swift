import CHookwireHeader
import Foundation
import Hookwire
import HookwireServer

/// The object behind a `hw_server` handle. It keeps its engine alive until the server stops.
final class ServerObject: HandleKind {
    static let handleName = "server"

    let server: HookwireServer
    let engine: EngineObject
    let port: UInt16

    init(server: HookwireServer, engine: EngineObject, port: UInt16) {
        self.server = server
        self.engine = engine
        self.port = port
    }
}

/// Splits a listen address `HOST:PORT` or `[IPV6]:PORT`. Port 0 requests a free port.
func listenAddress(_ text: String) throws -> (host: String, port: Int) {
    let invalid = CABIError(HW_ERROR_INVALID_ARGUMENT, "listen address \"\(text)\" is not HOST:PORT or [IPV6]:PORT with a port from 0 to 65535")
    guard let colon = text.lastIndex(of: ":") else { throw invalid }
    var host = text[..<colon]
    if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
    guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]) else { throw invalid }
    return (String(host), Int(port))
}

@c @implementation
public func hw_server_start(
    _ engine: OpaquePointer?, _ options: UnsafePointer<hw_server_options>?, _ outServer: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    runReportingStatus {
        let engineObject = try EngineObject.resolve(address(engine))
        let out = try requireOut(outServer, "out_server")
        var configuration = ServerConfiguration()
        var listen = "127.0.0.1:7600"
        if let options {
            let fields = try VersionedStruct(options, name: "options", lastFirstVersionField: \.token_file)
            listen = try optionalString(fields.field(\.listen, default: nil), "options.listen") ?? listen
            if let tokenFile = try optionalString(fields.field(\.token_file, default: nil), "options.token_file") {
                configuration.tokens = try TokenTable(contentsOfFile: tokenFile)
            }
        }
        (configuration.host, configuration.port) = try listenAddress(listen)
        let server = HookwireServer(engine: engineObject.engine, configuration: configuration)
        let bound = try server.start()
        out.pointee = newHandle(ServerObject(server: server, engine: engineObject, port: UInt16(bound.port)))
    }
}

@c @implementation
public func hw_server_port(_ server: OpaquePointer?) -> UInt16 {
    ServerObject.resolveOrReport(address(server))?.port ?? 0
}

@c @implementation
public func hw_server_stop(_ server: OpaquePointer?) {
    guard let server else { return }
    guard let object = HandleTable.shared.remove(address(server), as: ServerObject.self) else {
        reportMisuse("server \(server) is not a live handle (stopped already, or never started)")
        return
    }
    object.server.shutdown()
}
