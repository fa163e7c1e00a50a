import Testing

@testable import HookwireCore

@Suite struct JSONValueTests {
    func text(_ value: JSONValue) -> String { value.serializedString() }

    @Test func serializesScalars() {
        #expect(text(.null) == "null")
        #expect(text(.bool(true)) == "true")
        #expect(text(.bool(false)) == "false")
        #expect(text(.integer(0)) == "0")
        #expect(text(.integer(-42)) == "-42")
        #expect(text(.integer(Int64.max)) == "9223372036854775807")
        #expect(text(.integer(Int64.min)) == "-9223372036854775808")
        #expect(text(.double(1.5)) == "1.5")
        #expect(text(.double(1)) == "1.0")
        #expect(text(.double(.infinity)) == "null")
        #expect(text(.double(.nan)) == "null")
    }

    @Test func escapesStrings() {
        #expect(text(.string("a\"b\\c")) == #""a\"b\\c""#)
        #expect(text(.string("\n\r\t\u{08}\u{0C}")) == #""\n\r\t\b\f""#)
        #expect(text(.string("\u{00}\u{01}\u{1F}")) == #""\u0000\u0001\u001f""#)
        #expect(text(.string("é 日本 😀 \u{7F}")) == "\"é 日本 😀 \u{7F}\"")
        #expect(text(.string("/")) == "\"/\"")
    }

    @Test func sortsObjectKeys() {
        let value: JSONValue = .object(["b": 1, "a": .array([.null, "x"]), "ä": true, "B": .object([:])])
        #expect(text(value) == #"{"B":{},"a":[null,"x"],"b":1,"ä":true}"#)
        var headers: [UInt8] = []
        JSONValue.writeObject(["X-B": "2", "X-A": "1"], into: &headers)
        #expect(String(decoding: headers, as: UTF8.self) == #"{"X-A":"1","X-B":"2"}"#)
    }

    @Test func parsesEveryKind() throws {
        let parsed = try JSONValue(parsing: #" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}} "#)
        #expect(parsed == .object(["a": .array([1, .double(-2.5), .double(300), true, false, .null]), "b": .object(["c": "d"])]))
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try JSONValue(parsing: "9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .integer(Int64.min))
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "1.0") == .double(1))
    }

    @Test func decodesEscapes() throws {
        #expect(try JSONValue(parsing: #""\u00e9\n\/\"\\ \ud83d\ude00""#) == .string("é\n/\"\\ 😀"))
        #expect(try JSONValue(parsing: #""plain ü""#) == .string("plain ü"))
    }

    @Test func roundTripsThroughText() throws {
        let value: JSONValue = .object([
            "nested": .object(["list": .array([.integer(Int64.max), .double(0.1), .string("\u{0}\u{1F}\"\\é😀")])]),
            "empty": .array([]),
            "n": .null,
        ])
        #expect(try JSONValue(parsing: value.serialized()) == value)
        #expect(try JSONValue(parsing: value.serializedString()) == value)
    }

    @Test(arguments: [
        ("", "at the end of the text: unexpected end of text"),
        ("{", "at the end of the text: expected a string key"),
        ("[1,]", #"near "]": expected a value"#),
        ("{\"a\" 1}", #"near "1}": expected ':'"#),
        ("tru", #"near "tru": expected a value"#),
        ("01", "leading zero"),
        ("1 2", #"near "2": unexpected text after the JSON value"#),
        ("\"abc", "unterminated string"),
        ("\"a\u{01}\"", "unescaped control character"),
        (#""\x""#, "invalid escape character"),
        (#""\ud800""#, "unpaired surrogate"),
        ("1e999", "number out of range"),
    ])
    func rejectsInvalidText(input: String, expected: String) {
        do {
            _ = try JSONValue(parsing: input)
            Issue.record("parsed invalid JSON \(input)")
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.hasPrefix("invalid JSON at byte "))
            #expect(error.message.contains(expected), "message: \(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: HookwireError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        let error = #expect(throws: HookwireError.self) { try JSONValue(parsing: deep) }
        #expect(error?.message.contains("nesting deeper than 256 levels") == true)
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        _ = try JSONValue(parsing: fine)
    }

    @Test func quotesMessageValues() {
        #expect(quotedForMessage("a\"b\n") == #""a\"b\n""#)
        #expect(quotedForMessage("\u{1}") == #""\u0001""#)
        #expect(quotedForMessage(String(repeating: "x", count: 150)) == "\"" + String(repeating: "x", count: 100) + "...\"")
    }
}
