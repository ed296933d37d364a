import Foundation
import IOVSimKit
import NIC
import PCIe
import Proofs
import Testing

/// The repository's Models/ folder.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func model(_ name: String) -> String { root.appendingPathComponent("Models/\(name)").path }
    /// The smallest valid model: one PF, no SR-IOV, no platform, no VMs.
    static let plainModel = """
        name = "plain"
        [[device.pf]]
        vendor_id = 0x8086
        device_id = 0x10d3
        revision = 0
        class = 0x020000
        subsystem_vendor_id = 0x8086
        subsystem_id = 0
        bar = [{ index = 0, type = "mem32", size = 0x20000 }]
        pcie = { offset = 0xa0, link_speed = 1, link_width = 1 }
        """

    static func device(_ name: String, bus: UInt8 = 3) throws -> (ModelFile, SRIOVDevice) {
        let file = try ModelLoader.load(path: model(name))
        return (file, try ModelDevice.device(file, bus: bus))
    }
}

/// Runs a program, returning its exit status and output.
func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    // stderr goes to a file so a long stdout and stderr can never block each other.
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errPath) }
    let err = try FileHandle(forWritingTo: errPath)
    let out = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // A program that hangs fails the test after 5 minutes instead of hanging it.
    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    try err.close()
    let stderr = try Data(contentsOf: errPath)
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

extension PFDriver where Access == MMIOAccess {
    /// A register read that blocks the test until its completion (the CPU's load between
    /// clocks); the driver's own `read` is the async one programs use.
    mutating func load(_ name: String) -> UInt32 { access.read(offset: map.register(named: name)!.offset) }
}

/// Runs the replay command `report` prints for `result`, as a user would paste it (the TLP log
/// to a temporary file), for `cycles` clocks: its status and output, and the TLP log's text.
func runReplay(_ report: ProveReport, _ result: PropertyResult, cycles: Int = 10_000) throws -> (status: Int32, stdout: String, log: String) {
    let replay = try #require(report.replayCommand(result), "\(result.subject) has no replay")
    let arguments = Array(replay.split(separator: " ").dropFirst().map(String.init))
    let log = temporaryPath("replay.log")
    defer { try? FileManager.default.removeItem(atPath: log) }
    let run = try IOVSimBinary.run(arguments.map { $0 == "replay.log" ? log : $0 } + ["--cycles", "\(cycles)"])
    return (run.status, run.stdout + run.stderr, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// Parsing model `text` fails with an error at `key` whose message contains `message`.
func expectModelError(_ text: String, key: String, message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try ModelLoader.parse(text, file: "model.toml")
        Issue.record("no error at \(key)", sourceLocation: sourceLocation)
    } catch let error as ModelError {
        #expect(error.keyPath == key && error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("not a model error: \(error)", sourceLocation: sourceLocation)
    }
}
