import ArgumentParser
import IOVSimKit
import Proofs
import RTL

/// `iovsim run MODEL`: a cycle run with optional waveforms and TLP log.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model clock by clock: bring-up, then the VMs' DMA traffic and the NIC's frames; write a VCD, a TLP log, pcaps and a frame log.",
        discussion: """
            The VCD (IEEE 1364) opens in GTKWave and Surfer: one scope per hierarchy level (top, rc, \
            rc.rp0, sw0.dp1, nic0.pf0.vf5, ...), TLPs in flight on every link, config registers and \
            fields. The same model and seed give byte-identical files apart from $date. --write \
            targets, --signals globs and output paths are checked before the first clock; a run that \
            fails leaves no output files behind. Frames: --pcap-in FILE puts a classic pcap's frames on \
            the first device's port 0 wire at the capture's own spacing (never faster than the line rate); \
            FILE@nic0.port1 on another port; FILE@nic0.pf0.vf1 has that VF send them (its pool, \
            through anti-spoofing and VM-to-VM switching). --pcap-out DIR writes PORT.wire-in.pcap, \
            PORT.wire-out.pcap and PORT.poolN.pcap for every pool that received frames, timestamped \
            in simulated time (tcpdump -r reads them). \(ToolStatus.summary)
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Option(help: "Clocks to run (bring-up included).") var cycles: UInt64 = 100_000
    @Option(help: "Seed (default: the model's).") var seed: UInt64?
    @Option(help: "Write a VCD here.") var vcd: String?
    @Option(parsing: .upToNextOption, help: "Signals to write (globs on dotted names, e.g. 'top.rc.*').") var signals: [String] = []
    @Option(help: "First clock written to the VCD.") var from: UInt64 = 0
    @Option(help: "Last clock written to the VCD.") var to: UInt64?
    @Option(name: .customLong("tlp-log"), help: "Write one line per TLP per hop here.") var tlpLog: String?
    @Option(help: ArgumentHelp("After bring-up (or at CLOCK), FUNCTION writes DATA (default 0) to ADDRESS (replays a counterexample of prove).",
                               valueName: "FUNCTION@ADDRESS[@CLOCK][=DATA]"))
    var write: [String] = []
    @Option(name: .customLong("pcap-in"), help: ArgumentHelp("Frames from a pcap file onto a port's wire or sent by a function.", valueName: "FILE[@PORT|@FUNCTION]"))
    var pcapIn: [String] = []
    @Option(name: .customLong("frame"), help: ArgumentHelp("A frame onto a port's wire or sent by a function (replays an L2 or anti-spoofing counterexample of prove).",
                                                           valueName: "from=PORT|FUNCTION,dst=MAC[,src=MAC][,vlan=ID][,len=BYTES][,at=CLOCK]"))
    var frame: [String] = []
    @Option(name: .customLong("pcap-out"), help: ArgumentHelp("Write the wires' and the pools' frames as pcaps into this directory.", valueName: "DIR"))
    var pcapOut: String?
    @Option(name: .customLong("frame-log"), help: "Write one line per frame per stage here.") var frameLog: String?
    @Flag(help: "No progress line.") var quiet = false
    @Option(name: .customLong("tick-order"),
            help: ArgumentHelp("The order components tick in within a clock: declaration or reversed. Results must not depend on it; a run both ways checks a model for it.",
                               valueName: "ORDER"))
    var tickOrder: TickOrderArgument = .declaration
    @Flag(name: .customLong("sweep-frame-sizes"),
          help: "Instead of the model's traffic: for 64 ... 1518-byte frames at line rate to the VMs' VFs, print each port's sustained receive rate (Mpps, Gb/s) and what limits it; --cycles is the window measured per size.")
    var sweepFrameSizes = false

    /// `in.pcap`, `in.pcap@nic0.port1`, `in.pcap@nic0.pf0.vf1` (the last @ splits).
    static func parsePcapIn(_ text: String) -> (path: String, target: String?) {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex else { return (text, nil) }
        let target = String(text[text.index(after: at)...])
        return target.contains(".") ? (String(text[..<at]), target) : (text, nil)
    }

    /// `FUNCTION@ADDRESS`, `FUNCTION@ADDRESS@CLOCK`, either with `=DATA` (the dword written),
    /// e.g. `nic0.pf0.vf0@0x400a060000`, `nic0.pf0.vf0@0xfee00030@150000=0x0`.
    static func parseWrite(_ text: String) -> Runner.ReplayWrite? {
        let sides = text.split(separator: "=", omittingEmptySubsequences: false)
        guard sides.count <= 2 else { return nil }
        let parts = sides[0].split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty else { return nil }
        func number(_ s: Substring) -> UInt64? {
            let text = s.lowercased()
            return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        }
        guard let address = number(parts[1]) else { return nil }
        var data: UInt32 = 0
        if sides.count == 2 {
            guard let value = number(sides[1]).flatMap({ UInt32(exactly: $0) }) else { return nil }
            data = value
        }
        guard parts.count == 3 else { return Runner.ReplayWrite(function: String(parts[0]), address: address, clock: nil, data: data) }
        guard let clock = number(parts[2]) else { return nil }
        return Runner.ReplayWrite(function: String(parts[0]), address: address, clock: clock, data: data)
    }

    func validate() throws {
        guard cycles > 0 else { throw ValidationError("--cycles must be positive") }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
        for f in frame where FrameReplay.parse(f) == nil {
            throw ValidationError("--frame '\(f)' is not from=PORT|FUNCTION,dst=MAC[,src=MAC][,vlan=1...4094][,len=64...9018][,at=CLOCK] (e.g. from=nic0.port0,dst=02:00:00:00:00:00)")
        }
        for w in write where Self.parseWrite(w) == nil { throw ValidationError("--write '\(w)' is not FUNCTION@ADDRESS[@CLOCK][=DATA] (e.g. nic0.pf0.vf0@0x400a060000)") }
        if sweepFrameSizes {
            let others = [("--vcd", vcd != nil), ("--signals", !signals.isEmpty), ("--tlp-log", tlpLog != nil), ("--write", !write.isEmpty),
                          ("--pcap-in", !pcapIn.isEmpty), ("--frame", !frame.isEmpty), ("--pcap-out", pcapOut != nil), ("--frame-log", frameLog != nil),
                          ("--tick-order", tickOrder != .declaration)]
            if let other = others.first(where: { $0.1 }) {
                throw ValidationError("--sweep-frame-sizes runs its own traffic, one platform per frame size: it takes no \(other.0)")
            }
        }
    }

    func run() throws {
        if sweepFrameSizes {
            try withExitStatus { print(try ThroughputSweep.run(file: model, seed: seed, window: cycles).render(), terminator: "") }
            return
        }
        var options = Runner.Options()
        options.cycles = cycles
        options.seed = seed
        options.vcd = vcd
        options.signals = signals
        options.from = from
        options.to = to ?? .max
        options.tlpLog = tlpLog
        options.progress = !quiet
        options.writes = write.compactMap(Self.parseWrite)
        options.pcapIn = pcapIn.map(Self.parsePcapIn)
        options.frames = frame.compactMap(FrameReplay.parse)
        options.pcapOut = pcapOut
        options.frameLog = frameLog
        options.tickOrder = tickOrder.order
        try withExitStatus {
            let summary = try Runner.run(file: model, options: options)
            print(summary.render(), terminator: "")
            // The run-time guard saw a DMA write land in another owner's page, or an interrupt
            // reach another VM: a violation.
            if summary.guardViolations > 0 { throw ExitCode(ToolStatus.violated.rawValue) }
        }
    }
}

/// `--tick-order`: `Simulator.TickOrder` by name.
enum TickOrderArgument: String, ExpressibleByArgument, CaseIterable {
    case declaration, reversed

    var order: Simulator.TickOrder {
        switch self {
        case .declaration: .declaration
        case .reversed: .reversed
        }
    }
}
