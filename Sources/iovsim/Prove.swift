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
            simulator routes with. Exit status: 0 all proved, 1 some property violated (with a \
            counterexample), 2 unknown (solver limit) or error.
            """
    )

    @Argument(help: "Model file (TOML).") var model: String
    @Flag(help: "Print JSON instead of the table.") var json = false
    @Option(help: "Write every query as SMT-LIB2 into this directory.") var smt2: String?
    @Option(help: "Solver timeout per property, in seconds.") var timeout: Double = 30

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let report: ProveReport
        do {
            report = try ProveReport.run(file: model, limits: SolverLimits(timeout: .milliseconds(Int(timeout * 1000))))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let smt2 { try report.writeSMT2(to: smt2) }
        print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
