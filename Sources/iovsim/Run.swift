import ArgumentParser
import IOVSimKit

/// `iovsim run MODEL`: a cycle run with optional waveforms and TLP log.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model clock by clock: bring-up, then the VMs' DMA traffic; write a VCD and a TLP log.",
        discussion: """
            The VCD (IEEE 1364) opens in GTKWave and Surfer: one scope per hierarchy level (top, rc, \
            rc.rp0, sw0.dp1, nic0.pf0.vf5, ...), TLPs in flight on every link, config registers and \
            fields. The same model and seed give byte-identical files apart from $date. --write \
            targets, --signals globs and output paths are checked before the first clock; a run that \
            fails leaves no output files behind. \(ToolStatus.summary)
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
    @Option(help: ArgumentHelp("After bring-up, FUNCTION writes to ADDRESS (replays a peer-to-peer counterexample).", valueName: "FUNCTION@ADDRESS"))
    var write: [String] = []
    @Flag(help: "No progress line.") var quiet = false

    /// `nic0.pf0.vf0@0x400a060000`.
    static func parseWrite(_ text: String) -> (function: String, address: UInt64)? {
        let parts = text.split(separator: "@")
        guard parts.count == 2 else { return nil }
        let text = parts[1].lowercased()
        guard let address = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text) else { return nil }
        return (String(parts[0]), address)
    }

    func validate() throws {
        guard cycles > 0 else { throw ValidationError("--cycles must be positive") }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
        for w in write where Self.parseWrite(w) == nil { throw ValidationError("--write '\(w)' is not FUNCTION@ADDRESS (e.g. nic0.pf0.vf0@0x400a060000)") }
    }

    func run() throws {
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
        try withExitStatus { print(try Runner.run(file: model, options: options).render(), terminator: "") }
    }
}
