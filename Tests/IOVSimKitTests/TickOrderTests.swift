import Foundation
import IOVSimKit
import RTL
import Testing

/// Two-phase update (DESIGN.md §3): what a component does in a clock is seen by the others from
/// the next, so the order components tick in within a clock cannot change what happens. Each
/// model runs with its components ticked in declaration order and in reverse; everything it
/// writes must agree: the summary, the VCD byte for byte, and the TLP and frame logs clock by
/// clock (their lines within one clock are written in tick order, so each clock's lines are
/// compared as a set).
@Suite("Tick order cannot change results", .serialized)
struct TickOrderTests {
    struct Outputs {
        let summary: String
        let vcd: Data
        let tlpLog: [String]
        let frameLog: [String]
    }

    static func run(_ model: String, clocks: UInt64, order: Simulator.TickOrder) throws -> Outputs {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tick-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = Runner.Options()
        options.cycles = clocks
        options.tickOrder = order
        options.vcd = dir.appendingPathComponent("w.vcd").path
        options.vcdDate = "pinned"
        options.tlpLog = dir.appendingPathComponent("t.log").path
        options.frameLog = dir.appendingPathComponent("f.log").path
        let summary = try Runner.run(file: Repository.model(model), options: options)
        func lines(_ name: String) throws -> [String] {
            try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        // Everything but the wall time and the count of ticks (a reversed clock ticks the same
        // components; the count is compared below all the same).
        let text = summary.render().split(separator: "\n").dropFirst().joined(separator: "\n")
        return Outputs(summary: "\(summary.componentTicks) ticks\n" + text, vcd: try Data(contentsOf: dir.appendingPathComponent("w.vcd")),
                       tlpLog: try lines("t.log"), frameLog: try lines("f.log"))
    }

    /// The lines of a log, each clock's sorted (the clock is the first field).
    static func byClock(_ lines: [String]) -> [String] {
        lines.enumerated().sorted { a, b in
            let ca = UInt64(a.element.prefix { $0 != " " }) ?? 0, cb = UInt64(b.element.prefix { $0 != " " }) ?? 0
            return ca != cb ? ca < cb : a.element < b.element
        }.map(\.element)
    }

    @Test("the shipped models and the 63-VF pipeline: the same outputs with components ticked in reverse order",
          arguments: [("i82599.toml", UInt64(150_000)), ("i82576.toml", 150_000), ("scale/i82599-64vf-forward.toml", 45_000)])
    func reversed(_ model: String, clocks: UInt64) throws {
        let forward = try Self.run(model, clocks: clocks, order: .declaration)
        let backward = try Self.run(model, clocks: clocks, order: .reversed)
        #expect(forward.tlpLog.count > 1_000 && forward.frameLog.count > 100, "the run carried traffic: \(forward.tlpLog.count) TLP hops, \(forward.frameLog.count) frame stages")
        // Compared as Bools with the first difference in the message (an expectation on two
        // long arrays makes the test library diff them, which takes minutes).
        #expect(forward.summary == backward.summary)
        let sameVCD = forward.vcd == backward.vcd
        #expect(sameVCD, "VCDs of \(forward.vcd.count) and \(backward.vcd.count) bytes")
        for (name, a, b) in [("TLP log", forward.tlpLog, backward.tlpLog), ("frame log", forward.frameLog, backward.frameLog)] {
            let (x, y) = (Self.byClock(a), Self.byClock(b))
            let same = x == y
            #expect(same, "\(name): first difference \(zip(x, y).first { $0 != $1 }.map { "\($0) / \($1)" } ?? "in length, \(x.count) / \(y.count) lines")")
        }
    }

    @Test("`iovsim run --tick-order reversed`: a user checks a model with it; the same summary as declaration order; a bad order, or one with --sweep-frame-sizes, is a usage error")
    func commandLine() throws {
        func summary(_ order: String) throws -> String {
            let r = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--cycles", "40000", "--quiet", "--tick-order", order])
            #expect(r.status == 0, "\(r.stderr)")
            // Without the first line's wall time and clocks per second.
            return r.stdout.split(separator: "\n").dropFirst().joined(separator: "\n")
        }
        let declaration = try summary("declaration"), reversed = try summary("reversed")
        #expect(declaration.contains("wire in") && declaration.contains("vm1: received"), "\(declaration)")
        #expect(declaration == reversed)
        let bad = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--tick-order", "sideways"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--tick-order") && bad.stderr.contains("reversed"), "\(bad.stderr)")
        // The frame-size sweep runs platforms of its own, in declaration order: not silently ignored.
        let sweep = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--sweep-frame-sizes", "--tick-order", "reversed"])
        #expect(sweep.status == 64 && sweep.stderr.contains("--tick-order"), "\(sweep.stderr)")
    }
}
