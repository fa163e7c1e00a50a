extension Wire {
    /// The payload of HELLO, the client's first frame.
    public struct Hello: ProtobufMessage {
        /// Protocol versions the client speaks, in order of preference.
        public var versions: [UInt32]
        /// The client's token; empty when the server accepts loopback clients without tokens.
        public var token: String
        /// A label for logs, such as `hookwire-cli/1.0`.
        public var clientName: String
        /// The largest frame the client accepts in bytes; 0 means the 1 MiB default.
        public var maxFrameSize: UInt32

        public init() {
            self.init(versions: [], token: "")
        }

        public init(
            versions: [UInt32] = Wire.supportedVersions, token: String, clientName: String = "",
            maxFrameSize: UInt32 = 0
        ) {
            self.versions = versions
            self.token = token
            self.clientName = clientName
            self.maxFrameSize = maxFrameSize
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendPackedUInt32Field(1, versions)
            buffer.appendStringField(2, token)
            buffer.appendStringField(3, clientName)
            buffer.appendUInt32Field(4, maxFrameSize)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            self.init()
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: try reader.appendUInt32s(field, to: &versions)
                case 2: token = try reader.string(field)
                case 3: clientName = try reader.string(field)
                case 4: maxFrameSize = try reader.uint32(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The payload of WELCOME: the chosen version and the server's limits, or why the handshake
    /// failed.
    public struct Welcome: ProtobufMessage {
        /// The chosen protocol version, 0 on failure.
        public var version: UInt32
        /// The versions the server speaks.
        public var supportedVersions: [UInt32]
        public var maxFrameSize: UInt32
        public var maxMetadataSize: UInt32
        public var maxConcurrentStreams: UInt32
        /// The server closes a connection without frames for this long, in milliseconds.
        public var idleTimeoutMilliseconds: UInt32
        public var serverName: String
        /// The application the token names, empty for an anonymous loopback client.
        public var application: String
        /// Why the handshake failed, empty on success.
        public var message: String
        /// The largest event the server publishes, in bytes of its serialised fields and data,
        /// or 0 when the server announces no limit.
        public var maxEventPayloadBytes: UInt32

        public init() {
            self.init(version: 0)
        }

        public init(
            version: UInt32, supportedVersions: [UInt32] = [], maxFrameSize: UInt32 = 0,
            maxMetadataSize: UInt32 = 0, maxConcurrentStreams: UInt32 = 0, idleTimeoutMilliseconds: UInt32 = 0,
            serverName: String = "", application: String = "", message: String = "", maxEventPayloadBytes: UInt32 = 0
        ) {
            self.version = version
            self.supportedVersions = supportedVersions
            self.maxFrameSize = maxFrameSize
            self.maxMetadataSize = maxMetadataSize
            self.maxConcurrentStreams = maxConcurrentStreams
            self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
            self.serverName = serverName
            self.application = application
            self.message = message
            self.maxEventPayloadBytes = maxEventPayloadBytes
        }

        /// A successful reply announcing `limits`.
        public init(
            version: UInt32, limits: ProtocolLimits, idleTimeoutMilliseconds: UInt32, serverName: String,
            application: String, maxEventPayloadBytes: UInt32 = 0
        ) {
            self.init(
                version: version, supportedVersions: Wire.supportedVersions,
                maxFrameSize: UInt32(limits.maxFrameSize), maxMetadataSize: UInt32(limits.maxMetadataSize),
                maxConcurrentStreams: UInt32(limits.maxConcurrentStreams),
                idleTimeoutMilliseconds: idleTimeoutMilliseconds, serverName: serverName, application: application,
                maxEventPayloadBytes: maxEventPayloadBytes)
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendUInt32Field(1, version)
            buffer.appendPackedUInt32Field(2, supportedVersions)
            buffer.appendUInt32Field(3, maxFrameSize)
            buffer.appendUInt32Field(4, maxMetadataSize)
            buffer.appendUInt32Field(5, maxConcurrentStreams)
            buffer.appendUInt32Field(6, idleTimeoutMilliseconds)
            buffer.appendStringField(7, serverName)
            buffer.appendStringField(8, application)
            buffer.appendStringField(9, message)
            buffer.appendUInt32Field(10, maxEventPayloadBytes)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            self.init()
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: version = try reader.uint32(field)
                case 2: try reader.appendUInt32s(field, to: &supportedVersions)
                case 3: maxFrameSize = try reader.uint32(field)
                case 4: maxMetadataSize = try reader.uint32(field)
                case 5: maxConcurrentStreams = try reader.uint32(field)
                case 6: idleTimeoutMilliseconds = try reader.uint32(field)
                case 7: serverName = try reader.string(field)
                case 8: application = try reader.string(field)
                case 9: message = try reader.string(field)
                case 10: maxEventPayloadBytes = try reader.uint32(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The optional metadata of a REQUEST frame.
    public struct CallMetadata: ProtobufMessage {
        /// The caller gives up after this many milliseconds; 0 means no deadline.
        public var timeoutMilliseconds: UInt32
        /// The associate (user) recorded as registering or updating a webhook.
        public var associateId: Int64
        /// An id the server writes to its log lines about this call.
        public var traceId: String

        public init() {
            self.init(timeoutMilliseconds: 0)
        }

        public init(timeoutMilliseconds: UInt32, associateId: Int64 = 0, traceId: String = "") {
            self.timeoutMilliseconds = timeoutMilliseconds
            self.associateId = associateId
            self.traceId = traceId
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendUInt32Field(1, timeoutMilliseconds)
            buffer.appendInt64Field(2, associateId)
            buffer.appendStringField(3, traceId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            self.init()
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: timeoutMilliseconds = try reader.uint32(field)
                case 2: associateId = try reader.int64(field)
                case 3: traceId = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The payload of ERROR: why a call failed.
    public struct Status: ProtobufMessage {
        /// The gRPC status code, the same as the frame's code field.
        public var code: StatusCode
        /// A message for people that names the value at fault.
        public var message: String
        /// The engine's own error code (`HookwireError.Code.rawValue`), 0 when the error did not
        /// come from the engine.
        public var errorCode: Int32

        public init() {
            self.init(code: .ok, message: "")
        }

        public init(code: StatusCode, message: String, errorCode: Int32 = 0) {
            self.code = code
            self.message = message
            self.errorCode = errorCode
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendUInt32Field(1, UInt32(code.rawValue))
            buffer.appendStringField(2, message)
            buffer.appendInt32Field(3, errorCode)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            self.init()
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: code = StatusCode(rawValue: UInt16(truncatingIfNeeded: try reader.uint32(field)))
                case 2: message = try reader.string(field)
                case 3: errorCode = try reader.int32(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The payload of GOAWAY.
    public struct GoAway: ProtobufMessage {
        /// The highest stream id of a REQUEST the server accepted, 0 when it accepted none.
        /// Clients use increasing stream ids, so a request with a higher id was not run.
        public var lastStreamId: UInt32
        /// Why the connection closes.
        public var message: String

        public init() {
            self.init(lastStreamId: 0, message: "")
        }

        public init(lastStreamId: UInt32, message: String) {
            self.lastStreamId = lastStreamId
            self.message = message
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendUInt32Field(1, lastStreamId)
            buffer.appendStringField(2, message)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            self.init()
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: lastStreamId = try reader.uint32(field)
                case 2: message = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// A response without content.
    public struct Empty: ProtobufMessage {
        public init() {}

        public func encode(into buffer: inout [UInt8]) {}

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() { try reader.skip(field) }
        }
    }
}
