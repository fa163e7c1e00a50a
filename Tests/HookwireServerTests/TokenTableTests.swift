import HookwireCore
import Testing

@testable import HookwireServer

@Suite struct TokenTableTests {
    @Test func parsesTokensCommentsAndBlankLines() throws {
        let table = try TokenTable(
            parsing: """
                # tokens for the CRM integrations
                k3J9xQ2mWb7rT4vZ crm-sync

                \tq8Lz0PfR2sYd6hNc   billing  
                """)
        #expect(table.count == 2)
        #expect(table.application(presenting: Array("k3J9xQ2mWb7rT4vZ".utf8)) == "crm-sync")
        #expect(table.application(presenting: Array("q8Lz0PfR2sYd6hNc".utf8)) == "billing")
    }

    @Test func rejectsUnknownAndPrefixTokens() throws {
        let table = try TokenTable(parsing: "k3J9xQ2mWb7rT4vZ crm-sync\n")
        #expect(table.application(presenting: Array("k3J9xQ2mWb7rT4vY".utf8)) == nil)
        #expect(table.application(presenting: Array("k3J9xQ2mWb7rT4v".utf8)) == nil)
        #expect(table.application(presenting: Array("k3J9xQ2mWb7rT4vZZ".utf8)) == nil)
        #expect(table.application(presenting: [UInt8]()) == nil)
    }

    @Test func namesTheLineOfAMalformedEntry() {
        #expect(throws: HookwireError.self) { try TokenTable(parsing: "# header\nk3J9xQ2mWb7rT4vZ\n") }
        do {
            _ = try TokenTable(parsing: "# header\nk3J9xQ2mWb7rT4vZ\n")
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("line 2"))
            #expect(!error.message.contains("k3J9xQ2mWb7rT4vZ"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsShortAndDuplicateTokens() throws {
        do {
            _ = try TokenTable(parsing: "short crm-sync\n")
            Issue.record("a 5-character token was accepted")
        } catch let error as HookwireError {
            #expect(error.message.contains("at least 16"))
            #expect(!error.message.contains("short "))
        }
        do {
            _ = try TokenTable(parsing: "k3J9xQ2mWb7rT4vZ crm-sync\nk3J9xQ2mWb7rT4vZ billing\n")
            Issue.record("a repeated token was accepted")
        } catch let error as HookwireError {
            #expect(error.message.contains("line 2"))
        }
    }

    @Test func constantTimeComparisonMatchesEquality() {
        let expected = Array("abcdefghijklmnop".utf8)
        #expect(TokenTable.constantTimeEquals(expected, Array("abcdefghijklmnop".utf8)))
        #expect(!TokenTable.constantTimeEquals(expected, Array("abcdefghijklmnoq".utf8)))
        #expect(!TokenTable.constantTimeEquals(expected, Array("bbcdefghijklmnop".utf8)))
        #expect(!TokenTable.constantTimeEquals(expected, Array("abcdefghijklmno".utf8)))
        #expect(!TokenTable.constantTimeEquals(expected, [UInt8]()))
    }
}
