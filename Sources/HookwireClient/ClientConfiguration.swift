extension HookwireClient {
    /// Where a client connects and how long its calls may take.
    public struct Configuration: Sendable {
        /// The server to connect to.
        public var address: ServerAddress
        /// The token sent in the handshake, or nil to send none. A server without a token file
        /// accepts loopback clients without one.
        public var token: String?
        /// The time a call may take when it is given no timeout of its own. The default is 30
        /// seconds. A server-streaming call such as `watch` has no deadline.
        public var callTimeout: Duration
        /// The time the handshake may take before the connection is given up. The default is 5
        /// seconds.
        public var handshakeTimeout: Duration
        /// The associate (user) the server records as registering or updating hooks; 0 for
        /// none.
        public var associateId: Int64

        public init(
            address: ServerAddress = ServerAddress(host: "127.0.0.1", port: 7600), token: String? = nil,
            callTimeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(5), associateId: Int64 = 0
        ) {
            self.address = address
            self.token = token
            self.callTimeout = callTimeout
            self.handshakeTimeout = handshakeTimeout
            self.associateId = associateId
        }

        /// Creates a configuration for a server written `HOST:PORT`.
        /// - Throws: `HookwireError` with code `invalidArgument` for a malformed address.
        public init(server: String, token: String? = nil, callTimeout: Duration = .seconds(30)) throws {
            self.init(address: try ServerAddress(parsing: server), token: token, callTimeout: callTimeout)
        }
    }
}
