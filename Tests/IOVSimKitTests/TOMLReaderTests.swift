import Foundation
import IOVSimKit
import Testing

/// The project's TOML 1.0 reader: the syntax model files may use, and the errors it reports
/// with line and column (TOML 1.0, toml.io/en/v1.0.0).
@Suite("TOML reader")
struct TOMLReaderTests {
    @Test("dotted and quoted keys, literal and multi-line strings, underscores, multi-line arrays read as their plain spelling")
    func syntax() throws {
        let fancy = """
            # a comment
            "name" = 'plain'   # literal string
            description = \"\"\"
            two \\
              lines\"\"\"
            [[device.pf]]
            vendor_id = 0x80_86
            device_id = 0x10_d3
            revision = +0
            class = 0x02_00_00
            subsystem_vendor_id = 0x8086
            subsystem_id = 0o0
            bar = [
              # the only BAR
              { index = 0, type = "mem32", size = 0x2_0000 },
            ]
            pcie.offset = 0xa0
            pcie.link_speed = 0b1
            pcie.link_width = 1
            """
        let a = try ModelLoader.parse(Repository.plainModel, file: "plain.toml")
        var b = try ModelLoader.parse(fancy, file: "fancy.toml")
        #expect(b.description == "two lines")
        b.description = nil
        #expect(a == b)
    }

    @Test("malformed TOML is an error with its line and column, never a crash", arguments: [
        ("name = \"t\"\nname = \"u\"", "line 2, column 1: duplicate key 'name'"),
        ("[a]\nx = 1\n[a]", "line 3, column 1: table 'a' is defined twice"),
        ("a = { b = 1 }\n[a.c]", "line 2, column 1: 'a' is an inline table and cannot be extended"),
        ("when = 1979-05-27", "dates and times are not model values"),
        ("s = \"\\q\"", "unknown escape"),
        ("n = 0x1_", "misplaced '_'"),
        ("n = 007", "leading zeros"),
        ("n = 99999999999999999999", "is not an integer that fits in 64 signed bits"),
        ("[[a]]\n[a]", "is an array of tables, not a table"),
        ("x = [1, 2", "expected ',' or ']' in an array"),
        ("x = \"abc", "unterminated string"),
        ("= 1", "expected a key"),
        ("x = 1 y = 2", "expected the end of the line"),
        ("[x\n", "expected ']'"),
        ("\u{0}", "expected a key"),
    ])
    func errors(_ text: String, _ message: String) throws {
        do {
            _ = try ModelLoader.parse(text, file: "bad.toml")
            Issue.record("accepted: \(text)")
        } catch let error as ModelError {
            #expect(error.description.hasPrefix("bad.toml: TOML syntax error at line "), "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.status == .modelError)
        }
    }
}
