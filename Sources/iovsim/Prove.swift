import ArgumentParser
import Foundation
import IOVSimKit
import SMT

/// `iovsim prove MODEL`: isolation properties of the platform after bring-up.
struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a model's platform up in simulation, then prove its routing-ID, BAR-aperture and peer-to-peer properties with Z3.",
        discussion: """
            Firmware enumeration and SR-PCIM run as config TLPs through the simulated fabric; each \
            property is then checked on the state they left, through the same generic functions the \
            simulator routes with. The report says what each family covered. A platform that did \
            not come up as the model asks (a device that did not enumerate, a PF that refused VF \
            Enable, a VM's function that does not exist) or has nothing to check gives no verdict \
            (status 3). \(ToolStatus.summary)
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Flag(help: "Print JSON instead of the table (a JSON error object on failure).") var json = false
    @Option(help: "Write every query as SMT-LIB2 into this directory.") var smt2: String?
    @Option(help: "Run the model's traffic to this clock and prove on the state then (default: the model's [prove] at, else right after bring-up).")
    var at: UInt64?
    @Option(help: "Solver timeout per property, in seconds (0 < S <= 604800).") var timeout: Double = 30
    @Option(help: "Z3 resource limit per property (rlimit): a machine-independent bound; past it the property is unknown.")
    var rlimit: UInt32?
    @Option(help: "Properties checked at once, each with its own Z3 context (1 ... 256; default: the machine's cores). The output is the same for any number.")
    var jobs: Int?

    /// Checked in `run`, so that `--json` gets its error object for a bad value too.
    func limits() throws -> SolverLimits {
        do {
            var limits = try solverLimits(timeout: timeout)
            limits.rlimit = rlimit
            limits.recordQueries = smt2 != nil
            return limits
        } catch let error as ValidationError {
            throw UsageError(error.message)
        }
    }

    func run() throws {
        try withExitStatus(json: json ? model : nil) {
            if let at, at > ProveModel.latest { throw UsageError("--at \(at): value out of range: 0...\(ProveModel.latest) clocks") }
            if let jobs, !(1...256).contains(jobs) { throw UsageError("--jobs \(jobs): value out of range: 1...256") }
            let report = try ProveReport.run(file: model, limits: limits(), at: at, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            if let smt2 { try report.writeSMT2(to: smt2) }
            print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        }
    }
}
