import Foundation
import HookwireClient
import HookwireCore

/// Publishing the events of a JSON Lines file in batches for `publish --file`.
extension PublishCommand {
    /// Reads and checks every line, splits the events into batches that each fit the server's
    /// maximum frame size, then publishes the batches with a few in flight. After a rejected
    /// batch no further batch is sent, the batches in flight are awaited, and the error names
    /// the line at fault and the lines that were published.
    static func publishFile(path: String, context: CommandContext) async throws {
        let events = try readEvents(path: path)
        var batches: [Range<Int>] = []
        var client: HookwireClient?
        if !events.isEmpty {
            let connectedClient = try context.client()
            if let limit = try connectedClient.serverMaxEventPayloadBytes() {
                try checkPayloadSizes(events, path: path, limit: limit)
            }
            batches = try makeBatches(events, path: path, maxFrameSize: try connectedClient.serverMaxFrameSize())
            client = connectedClient
        }
        let showsProgress = isatty(STDERR_FILENO) == 1

        var isPublished = Array(repeating: false, count: batches.count)
        var failures: [Int: any Error] = [:]
        var published = 0
        var matched = 0
        await withTaskGroup(of: (Int, Result<[PublishResult], any Error>).self) { group in
            guard let client else { return }
            var next = 0
            func sendNextBatch() {
                let index = next
                let publications = events[batches[index]].map(\.publication)
                group.addTask {
                    do {
                        return (index, .success(try await client.publishBatch(publications)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
                next += 1
            }

            while next < min(batchesInFlight, batches.count) {
                sendNextBatch()
            }
            while let (index, outcome) = await group.next() {
                switch outcome {
                case .success(let results):
                    isPublished[index] = true
                    published += results.count
                    matched += results.reduce(0) { $0 + $1.matchedWebhooks }
                    if showsProgress {
                        context.writeError("\rpublished \(published)/\(events.count) events")
                    }
                case .failure(let error):
                    failures[index] = error
                }
                if failures.isEmpty, next < batches.count {
                    sendNextBatch()
                }
            }
        }
        if showsProgress, published > 0 {
            context.writeError("\n")
        }

        if let failedBatch = failures.keys.min(), let error = failures[failedBatch] {
            throw CommandFailure(
                message: batchFailureMessage(
                    path: path, events: events, batches: batches, failedBatch: failedBatch, error: error,
                    isPublished: isPublished))
        }
        context.emit(
            json: .object([("events", .integer(Int64(published))), ("matchedWebhooks", .integer(Int64(matched)))]),
            human: "published \(published) events, \(matched) deliveries queued\n")
    }

    /// Checks every event against the payload limit the server announced, as the server
    /// measures it, so that an event over it stops the command before anything is sent.
    /// - Throws: `CommandFailure` naming the file and line of the first event over the limit.
    static func checkPayloadSizes(_ events: [FileEvent], path: String, limit: Int) throws {
        for event in events {
            let size = EventEnvelope.payloadSize(of: event.publication)
            guard size <= limit else {
                throw CommandFailure(
                    message: "\(path) line \(event.line): event \(event.publication.event) is \(size) bytes, over the "
                        + "server's limit of \(limit) bytes (hookwired --max-payload-size); nothing was published")
            }
        }
    }

    /// Splits the events into consecutive batches of at most `batchSize` events whose
    /// PublishBatch request frame is at most `maxFrameSize` bytes.
    /// - Returns: The index range into `events` of each batch, in file order.
    /// - Throws: `CommandFailure` naming the file and line of an event that is over the limit
    ///   even in a batch of its own.
    static func makeBatches(_ events: [FileEvent], path: String, maxFrameSize: Int) throws -> [Range<Int>] {
        // Repeated protobuf fields encode one after another, so a batch's frame length is the
        // length of an empty batch plus what each event adds to it.
        let emptyBatchLength = HookwireCall.publishBatch([]).requestFrameLength
        var batches: [Range<Int>] = []
        var start = 0
        var frameLength = emptyBatchLength
        for (index, event) in events.enumerated() {
            let aloneLength = HookwireCall.publishBatch([event.publication]).requestFrameLength
            guard aloneLength <= maxFrameSize else {
                throw CommandFailure(
                    message: "\(path) line \(event.line): the event needs a request of \(aloneLength) bytes, over "
                        + "the server's maximum frame size of \(maxFrameSize) bytes; nothing was published")
            }
            let eventLength = aloneLength - emptyBatchLength
            if index - start == batchSize || frameLength + eventLength > maxFrameSize {
                batches.append(start..<index)
                start = index
                frameLength = emptyBatchLength
            }
            frameLength += eventLength
        }
        if start < events.count {
            batches.append(start..<events.count)
        }
        return batches
    }

    /// Returns the error message of a rejected batch. It names the file and the line of the
    /// event at fault, or the batch's lines when the server names no event. It ends with how
    /// many events were published before and after that batch, and from which lines.
    static func batchFailureMessage(
        path: String, events: [FileEvent], batches: [Range<Int>], failedBatch: Int, error: any Error,
        isPublished: [Bool]
    ) -> String {
        let batch = batches[failedBatch]
        let position: String
        let reason: String
        let subject: String
        if let hookwireError = error as? HookwireError,
            let (offset, message) = rejectedEvent(in: hookwireError, batchCount: batch.count)
        {
            position = "line \(events[batch.lowerBound + offset].line)"
            reason = message
            subject = "this one"
        } else {
            position = "lines \(events[batch.lowerBound].line) to \(events[batch.upperBound - 1].line)"
            reason = (error as? HookwireError)?.message ?? "\(error)"
            subject = "these"
        }

        let before = publishedSummary(events: events, batches: batches, isPublished: isPublished, in: 0..<failedBatch)
        let after = publishedSummary(
            events: events, batches: batches, isPublished: isPublished, in: (failedBatch + 1)..<batches.count)
        if before == nil, after == nil {
            return "\(path) \(position): \(reason); the server published no event of the file"
        }
        return "\(path) \(position): \(reason); the server published \(before ?? "no event") before \(subject) and "
            + "\(after ?? "no event") after"
    }

    /// Returns "N events (lines A to B, C to D)" for the published batches among `batchIndices`,
    /// or nil when none of them was published.
    private static func publishedSummary(
        events: [FileEvent], batches: [Range<Int>], isPublished: [Bool], in batchIndices: Range<Int>
    ) -> String? {
        var count = 0
        var lineRanges: [String] = []
        var runStart: Int?
        for index in batchIndices.lowerBound...batchIndices.upperBound {
            let isIncluded = index < batchIndices.upperBound && isPublished[index]
            if isIncluded {
                count += batches[index].count
                if runStart == nil { runStart = index }
            } else if let first = runStart {
                let firstLine = events[batches[first].lowerBound].line
                let lastLine = events[batches[index - 1].upperBound - 1].line
                lineRanges.append("\(firstLine) to \(lastLine)")
                runStart = nil
            }
        }
        guard count > 0 else { return nil }
        return "\(count) event\(count == 1 ? "" : "s") (lines \(lineRanges.joined(separator: ", ")))"
    }

    /// Returns the 0-based index of the event that the server rejected a batch for, and the
    /// server's message without the index, or nil when the error is not about one event.
    ///
    /// The engine prefixes the error of an event in a batch of several with "event N of the
    /// batch: ". A batch of one event gets the event's own error, which is about that event
    /// when it is `invalidArgument` or `tooLarge`.
    // NOTE: This parses the engine's message text because the protocol's status carries no
    // event index. If that prefix changes, errors name the batch's lines instead of the line.
    static func rejectedEvent(in error: HookwireError, batchCount: Int) -> (index: Int, message: String)? {
        if batchCount == 1 {
            return error.code == .invalidArgument || error.code == .tooLarge ? (0, error.message) : nil
        }
        let prefix = "event "
        let separator = " of the batch: "
        guard error.message.hasPrefix(prefix), let separatorRange = error.message.range(of: separator) else {
            return nil
        }
        let digits = error.message[error.message.index(error.message.startIndex, offsetBy: prefix.count)..<separatorRange.lowerBound]
        guard let index = Int(digits), index >= 0, index < batchCount else { return nil }
        return (index, String(error.message[separatorRange.upperBound...]))
    }
}
