import Testing

@testable import HookwireDelivery

/// Credentials in a target URL, in its user part or its query, never reach an attempt's error text.
@Suite struct URLRedactionTests {
    @Test(arguments: [
        ("http://user:pass@127.0.0.1:8082/h", "http://***@127.0.0.1:8082/h"),
        ("https://token@example.com/a@b", "https://***@example.com/a@b"),
        ("http://a:b@c@host/x?q=@", "http://***@host/x?q=***"),
        ("https://example.com/hook?token=s3cr3t&tenant=north", "https://example.com/hook?token=***&tenant=***"),
        ("https://example.com/hook?flag&key=v#part", "https://example.com/hook?***&key=***#***"),
        ("http://127.0.0.1:18999/cb?SECRETTOKEN123", "http://127.0.0.1:18999/cb?***"),
        ("http://host/x#tok=FRAGSECRET", "http://host/x#***"),
        ("http://host/x?a=1#tok=FRAGSECRET", "http://host/x?a=***#***"),
        ("https://u:p@example.com?k=v", "https://***@example.com?k=***"),
        ("http://127.0.0.1:8082/h", "http://127.0.0.1:8082/h"),
        ("http://127.0.0.1/path@x", "http://127.0.0.1/path@x"),
        ("not a url", "not a url"),
    ])
    func redactsCredentials(_ url: String, _ expected: String) {
        #expect(Transfer.redactingCredentials(url) == expected)
    }
}
