import Foundation
import Testing

/// End-to-end: the built `iovsim` binary, run as a user runs it.
enum IOVSimBinary {
    /// `iovsim` next to the test executable in the build folder.
    static var url: URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("iovsim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try #require(url, "iovsim binary not found next to the tests")
        return try runProgram(binary.path, arguments)
    }
}

@Suite("iovsim layout")
struct LayoutCommandTests {
    @Test("82599 with ARI: VFs at 03:10.0..03:1f.6, all proved, exit 0")
    func ariOn() throws {
        let r = try IOVSimBinary.run(["layout", "--offset", "0x80", "--stride", "2", "--vfs", "64", "--ari", "on"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("VF0 03:10.0 (fn 128)"))
        #expect(r.stdout.contains("VF63 03:1f.6 (fn 254)"))
        #expect(r.stdout.components(separatedBy: "proved").count - 1 == 3)
    }

    @Test("82599 without ARI below a port decoding only bus 03: violated, exit 1, witness on bus 04")
    func ariOffTooFewBuses() throws {
        let r = try IOVSimBinary.run(["layout", "--offset", "0x180", "--stride", "2", "--vfs", "64", "--ari", "off",
                                      "--secondary", "3", "--subordinate", "3"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("VF0 04:10.0"))
        #expect(r.stdout.contains("violated"))
        #expect(r.stdout.contains("needs bus 0x4, outside the port's bus range"))
    }

    @Test("bad arguments are rejected before any work, naming the option")
    func badArguments() throws {
        let r = try IOVSimBinary.run(["layout", "--pf", "3:40.0", "--offset", "0x80", "--stride", "2", "--vfs", "64"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--pf"))
        let n = try IOVSimBinary.run(["layout", "--offset", "0x80", "--stride", "two", "--vfs", "64"])
        #expect(n.status != 0)
        #expect(n.stderr.contains("--stride"))
    }
}
