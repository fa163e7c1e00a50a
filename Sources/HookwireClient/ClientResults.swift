import Foundation
import HookwireCore

/// One page of a webhook listing.
public struct WebhookPage: Sendable, Hashable {
    /// The hooks of this page, ordered by id, without secrets.
    public var webhooks: [Webhook]
    /// The `afterId` that fetches the next page, or nil when this page is the last.
    public var nextAfterId: Int64?

    public init(webhooks: [Webhook], nextAfterId: Int64?) {
        self.webhooks = webhooks
        self.nextAfterId = nextAfterId
    }
}

/// One page of a delivery listing.
public struct DeliveryPage: Sendable, Hashable {
    /// The deliveries of this page, ordered by id.
    public var deliveries: [Delivery]
    /// The `afterId` that fetches the next page, or nil when this page is the last.
    public var nextAfterId: Int64?

    public init(deliveries: [Delivery], nextAfterId: Int64?) {
        self.deliveries = deliveries
        self.nextAfterId = nextAfterId
    }
}

/// A webhook's new secret after a rotation.
public struct SecretRotation: Sendable, Hashable {
    /// The new `whsec_` secret. Deliveries are signed with it from now on.
    public var secret: String
    /// Until when deliveries also carry a signature with the previous secret, or nil when the
    /// server reported no time.
    public var previousSecretExpires: Date?

    public init(secret: String, previousSecretExpires: Date?) {
        self.secret = secret
        self.previousSecretExpires = previousSecretExpires
    }
}
