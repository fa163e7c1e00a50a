import Foundation
import Hookwire

// hookwire-crashtest: a child process for the crash test of durable delivery.
//
//   hookwire-crashtest publish DB URL HOOKS EVENTS   saves HOOKS hooks posting to URL, publishes
//                                                    EVENTS events to all of them, prints
//                                                    "published", then keeps delivering until
//                                                    killed
//   hookwire-crashtest drain DB                      delivers what is left, prints "drained"
//                                                    when nothing is pending, and exits
//
// Both modes allow private targets (the receiver is on loopback) and use short timeouts and
// leases, so that deliveries claimed by a killed process are attempted again within seconds.

func configuration(databasePath: String) -> HookwireEngine.Configuration {
    var configuration = HookwireEngine.Configuration(databasePath: databasePath)
    configuration.allowPrivateTargets = true
    configuration.requestTimeout = 1
    configuration.connectTimeout = 1
    configuration.leaseDuration = 2
    configuration.maximumInFlight = 16
    configuration.maximumInFlightPerWebhook = 2
    configuration.retrySchedule = RetrySchedule(delays: Array(repeating: 0.2, count: 20), jitter: 0)
    return configuration
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hookwire-crashtest: \(message)\n".utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "publish" where arguments.count == 5:
    guard let hooks = Int(arguments[3]), let events = Int(arguments[4]) else { fail("HOOKS and EVENTS are numbers") }
    do {
        let engine = try HookwireEngine.open(configuration(databasePath: arguments[1]))
        for index in 1...hooks {
            _ = try engine.registry.save(
                Webhook(name: "hook \(index)", events: ["crash.test"], targetURL: arguments[2]))
        }
        let batch = (1...events).map { EventPublication(event: "crash.test", primaryKey: Int64($0)) }
        _ = try engine.publish(batch: batch)
        FileHandle.standardOutput.write(Data("published\n".utf8))
        while true { Thread.sleep(forTimeInterval: 1) }
    } catch {
        fail("\(error)")
    }
case "drain" where arguments.count == 2:
    do {
        let engine = try HookwireEngine.open(configuration(databasePath: arguments[1]))
        while true {
            let stats = try engine.stats()
            if stats.deliveriesPending == 0 && stats.deliveriesInFlight == 0 && stats.deliveriesHeld == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        engine.shutdown(timeout: 2)
        FileHandle.standardOutput.write(Data("drained\n".utf8))
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: hookwire-crashtest publish DB URL HOOKS EVENTS | drain DB")
}
