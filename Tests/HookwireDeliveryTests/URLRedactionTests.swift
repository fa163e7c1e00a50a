import Testing

@testable import HookwireDelivery

/// Credentials in a target URL never reach an attempt's error text.
@Suite struct URLRedactionTests {
    @Test(arguments: [
        ("http://user:pass@127.0.0.1:8082/h", "http://***@127.0.0.1:8082/h"),
        ("https://token@example.com/a@b", "https://***@example.com/a@b"),
        ("http://a:b@c@host/x?q=@", "http://***@host/x?q=@"),
        ("http://127.0.0.1:8082/h", "http://127.0.0.1:8082/h"),
        ("http://127.0.0.1/path@x", "http://127.0.0.1/path@x"),
        ("not a url", "not a url"),
    ])
    func redactsUserInfo(_ url: String, _ expected: String) {
        #expect(Transfer.redactingUserInfo(url) == expected)
    }
}
