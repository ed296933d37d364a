import Foundation
import Testing

/// Mixing widths must not compile: run the real compiler on two snippets against the built RTL
/// module, one mixing a 16-bit and a 64-bit word, one not.
@Suite("Width typing")
struct WidthTypingTests {
    /// The build's module folder, found from the test executable's location.
    static var modulesDirectory: URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("Modules/RTL.swiftmodule")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.deletingLastPathComponent() }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    static func typecheck(_ source: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-width-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("snippet.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swiftc", "-typecheck", "-I", modulesDirectory!.path, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("adding a 16-bit and a 64-bit word is a compile error; same widths compile")
    func mixingWidths() throws {
        try #require(Self.modulesDirectory != nil, "RTL.swiftmodule not found next to the test binary")
        let good = try Self.typecheck("""
            import RTL
            let a = Bits<Concrete, 16>(1), b = Bits<Concrete, 16>(2)
            let c = a + b
            """)
        #expect(good.status == 0, "\(good.output)")
        let bad = try Self.typecheck("""
            import RTL
            let a = Bits<Concrete, 16>(1), b = Bits<Concrete, 64>(2)
            let c = a + b
            """)
        #expect(bad.status != 0)
        #expect(bad.output.contains("error"))
    }
}
