/// Who is calling a registry or engine operation.
///
/// A webhook saved with an application token belongs to that application: only a caller
/// presenting the same token may change or delete it. The `administrator` caller (an embedding
/// host, or the server's own maintenance) may change any hook.
public struct Caller: Sendable, Hashable {
    /// The calling application's token, or nil for an anonymous caller.
    public var applicationToken: String?
    /// The associate (user) id recorded as registered/updated by.
    public var associateId: Int64
    /// True for trusted in-process callers that may change hooks of any application.
    public var isAdministrator: Bool

    public init(applicationToken: String? = nil, associateId: Int64 = 0, isAdministrator: Bool = false) {
        self.applicationToken = applicationToken
        self.associateId = associateId
        self.isAdministrator = isAdministrator
    }

    /// A trusted caller that may change every hook.
    public static let administrator = Caller(isAdministrator: true)
}
