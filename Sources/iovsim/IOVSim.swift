import ArgumentParser
import Foundation
import IOVSimKit
import PCIe
import Proofs
import SMT

@main
struct IOVSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iovsim",
        abstract: "Cycle-level SR-IOV controller model and isolation prover.",
        discussion: ToolStatus.summary,
        subcommands: [Run.self, Prove.self, Topology.self, Lspci.self, Layout.self]
    )
}

/// `0x..` hex or decimal, inside `range`; nil for anything else (negative numbers included).
func parseNumber(_ text: String, in range: ClosedRange<Int> = 0...Int.max) -> Int? {
    let value = text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    return value.flatMap { range.contains($0) ? $0 : nil }
}

/// A usage error for a number option that is not a number in `range`.
func numberError(_ option: String, _ text: String, _ range: ClosedRange<Int>) -> ValidationError {
    ValidationError("\(option) '\(text)' is not a number in \(range.lowerBound)...\(range.upperBound) (decimal or 0x hex)")
}

/// Solver time limit per property: a positive, finite number of seconds no larger than a week
/// (Z3 takes milliseconds as a 32-bit number).
func solverLimits(timeout: Double) throws -> SolverLimits {
    guard timeout.isFinite, timeout > 0, timeout <= 604_800 else {
        throw ValidationError("--timeout \(timeout) is not a number of seconds in (0, 604800]")
    }
    return SolverLimits(timeout: .milliseconds(Int64((timeout * 1000).rounded(.up))))
}

/// Runs a command's work. An error becomes one line on stderr, `error: ...`, and the exit
/// status it stands for (`ToolStatus`); with `json`, also a JSON error object on stdout.
func withExitStatus(json jsonFile: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let failure: any StatusError = (error as? any StatusError) ?? InternalError(underlying: error)
        FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
        if let jsonFile { print(ProveReport.jsonError(failure, file: jsonFile)) }
        throw ExitCode(failure.status.rawValue)
    }
}

/// Anything that is not the user's doing: the solver failed, a bug.
struct InternalError: StatusError {
    let underlying: any Error
    var status: ToolStatus { .internalError }
    var description: String { "internal error: \(underlying)" }
}
