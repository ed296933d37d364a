import ArgumentParser
import IOVSimKit

/// `iovsim run MODEL`: a cycle run with optional waveforms and TLP log.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model clock by clock: bring-up, then the VMs' DMA traffic; write a VCD and a TLP log.",
        discussion: """
            The VCD (IEEE 1364) opens in GTKWave and Surfer: one scope per hierarchy level (top, rc, \
            rc.rp0, sw0.dp1, nic0.pf0.vf5, ...), TLPs in flight on every link, config registers and \
            fields. The same model and seed give byte-identical files apart from $date.
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
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard cycles > 0 else { throw ValidationError("--cycles must be positive") }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
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
        print(try Runner.run(file: model, options: options).render(), terminator: "")
    }
}
