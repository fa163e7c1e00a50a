import Foundation
import HookwireCore
import Testing

/// The Swift side and the C header report one version.
@Suite struct VersionTests {
    @Test func matchesHeaderVersion() throws {
        let header = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("include/hookwire.h")
        let text = try String(contentsOf: header, encoding: .utf8)
        #expect(text.contains("#define HW_VERSION_STRING \"\(HookwireVersion.string)\""))
    }
}
