/// Filters and paging for listing webhooks. Every filter is optional and they combine with AND.
public struct WebhookFilter: Sendable, Hashable {
    /// Exact name.
    public var name: String?
    /// An event name. A hook listening to `*` or to `entity.*` matches too.
    public var event: String?
    /// Exact application token.
    public var applicationToken: String?
    /// A state. `.unknown` means any state.
    public var state: WebhookState
    /// At most this many hooks are returned.
    public var limit: Int
    /// Only hooks with an id greater than this are returned; pass the last id of one page to get
    /// the next.
    public var afterId: Int64

    public static let defaultLimit = 1000

    public init(
        name: String? = nil, event: String? = nil, applicationToken: String? = nil,
        state: WebhookState = .unknown, limit: Int = WebhookFilter.defaultLimit, afterId: Int64 = 0
    ) {
        self.name = name
        self.event = event
        self.applicationToken = applicationToken
        self.state = state
        self.limit = limit
        self.afterId = afterId
    }
}
