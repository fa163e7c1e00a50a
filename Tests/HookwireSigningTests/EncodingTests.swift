import HookwireSigning
import Testing

@Suite struct Base64Tests {
    // RFC 4648 section 10 test vectors.
    static let vectors: [(plain: String, encoded: String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func encodesRFC4648Vectors() {
        for vector in Self.vectors {
            #expect(Base64.encodedString(Array(vector.plain.utf8)) == vector.encoded, "plain \(vector.plain)")
        }
    }

    @Test func decodesRFC4648Vectors() {
        for vector in Self.vectors {
            #expect(Base64.decode(vector.encoded) == Array(vector.plain.utf8), "encoded \(vector.encoded)")
        }
    }

    @Test func roundTripsEveryByteValue() {
        let bytes = binaryBody
        let encoded = Base64.encodedString(bytes)
        #expect(encoded.utf8.count == Base64.encodedLength(of: 256))
        #expect(Base64.decode(encoded) == bytes)
    }

    @Test func rejectsInvalidText() {
        let invalid = [
            "Zg", "Zg=", "Zm9vY", // length not a multiple of 4
            "Zg=a", "Z===", "=Zg=", "Zm=v", // misplaced padding
            "Zm9v\n", "Zm 9", "Zm9-", "Zm9_", "Zm9\u{00e9}", // characters outside the alphabet
            "Zh==", "Zm9=", // non-zero bits after the last byte
        ]
        for text in invalid {
            #expect(Base64.decode(text) == nil, "text \(text.debugDescription)")
        }
    }
}

@Suite struct HexTests {
    @Test func encodesLowercase() {
        let text = [UInt8]([0x00, 0x0f, 0xa0, 0xff]).withUnsafeBytes { Hex.encodedString($0) }
        #expect(text == "000fa0ff")
    }

    @Test func decodesEitherCase() {
        #expect(Hex.decode("000FA0ff") == [0x00, 0x0f, 0xa0, 0xff])
    }

    @Test func rejectsInvalidText() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0x12") == nil)
    }
}
