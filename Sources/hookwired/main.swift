import Foundation
import Glibc
import Hookwire
import HookwireServer

// hookwired: the Hookwire server. Parses flags, opens the engine, serves the binary protocol
// and drains on SIGTERM or SIGINT.

// The executable, unlike the library, owns the process: it ignores SIGPIPE as a second guard
// (every send already uses MSG_NOSIGNAL) and turns SIGTERM and SIGINT into a drain.
signal(SIGPIPE, SIG_IGN)
let terminationSignals = TerminationSignals.block()

let arguments = Array(CommandLine.arguments.dropFirst())
let options: DaemonOptions
do {
    options = try DaemonOptions.parse(arguments)
} catch {
    StandardErrorLog.writeRaw("hookwired: \(error)\nRun hookwired --help for the list of flags.\n")
    exit(2)
}
if options.showVersion {
    print("hookwired \(HookwireServer.version)")
    exit(0)
}
if options.showHelp {
    print(DaemonOptions.helpText, terminator: "")
    exit(0)
}

let log: @Sendable (String) -> Void = { StandardErrorLog.write($0) }
var serverConfiguration = options.server
serverConfiguration.log = log
if let path = options.tokenFile {
    do {
        serverConfiguration.tokens = try TokenTable(contentsOfFile: path)
    } catch {
        StandardErrorLog.writeRaw("hookwired: \(error)\n")
        exit(2)
    }
}

log("hookwired \(HookwireServer.version) starting: \(describe(options, tokens: serverConfiguration.tokens))")

let engine: HookwireEngine
do {
    engine = try HookwireEngine.open(options.engine)
} catch {
    log("cannot open the engine on \(options.engine.databasePath): \(error)")
    exit(1)
}
DaemonEvents.subscribe(engine: engine, log: log)

let server = HookwireServer(engine: engine, configuration: serverConfiguration)
do {
    let address = try server.start()
    log("listening on \(address) with \(serverConfiguration.eventLoopCount) event loops and \(serverConfiguration.workerThreadCount) workers")
} catch {
    log("cannot start the server: \(error)")
    engine.shutdown(timeout: 1)
    exit(1)
}

let received = terminationSignals.wait()
log("received \(received); shutting down")
log("draining: GOAWAY sent to \(server.connectionCount) connections, up to \(options.shutdownGracePeriod) s for running calls")
server.shutdown(gracePeriod: options.shutdownGracePeriod)
log("server stopped; stopping the engine, up to \(options.shutdownGracePeriod) s for deliveries in flight")
engine.shutdown(timeout: options.shutdownGracePeriod)
log("stopped")
exit(0)

/// Lists the settings for the start line. Secrets and tokens are never printed.
func describe(_ options: DaemonOptions, tokens: TokenTable?) -> String {
    let server = options.server
    var parts = [
        "db=\(options.engine.databasePath)",
        "listen=\(options.listen)",
        tokens.map { "token-file=\(options.tokenFile ?? "") (\($0.count) tokens)" } ?? "token-file=none (loopback clients only)",
        "max-frame-size=\(server.maxFrameSize)",
        "max-metadata-size=\(server.maxMetadataSize)",
        "max-connections=\(server.maxConnections)",
        "max-concurrent-streams=\(server.maxConcurrentStreams)",
        "max-buffered-bytes=\(server.maxBufferedBytesPerConnection)",
        "handshake-timeout=\(server.handshakeTimeout)s",
        "idle-timeout=\(server.idleTimeout)s",
    ]
    parts += DaemonOptions.describeEngine(options.engine)
    return parts.joined(separator: " ")
}
