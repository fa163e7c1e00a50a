import Foundation

// hookwire-bench: benchmarks that print figures. Run `hookwire-bench NAME --help` for the flags
// of one benchmark. Each benchmark lives in its own file as an enum with `run(arguments:)`.

let benchmarks: [String: ([String]) throws -> Void] = [
    "delivery": DeliveryBenchmark.run(arguments:),
    "sign": SignBenchmark.run,
    "protocol": ProtocolBenchmark.run(arguments:),
    "codec": CodecBenchmark.run(arguments:),
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks[name] else {
    print("usage: hookwire-bench NAME [flags]\nbenchmarks: \(benchmarks.keys.sorted().joined(separator: ", "))")
    exit(2)
}
try benchmark(Array(arguments.dropFirst()))
