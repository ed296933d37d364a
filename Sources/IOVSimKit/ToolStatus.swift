/// The exit statuses of every `iovsim` command, one meaning each (README "Exit status"). 1 means
/// "a property is violated" and nothing else; the error statuses follow BSD sysexits(3), so
/// scripts can tell a usage slip from a bad model from a full disk.
public enum ToolStatus: Int32, Sendable, CaseIterable {
    /// Done; for `prove` and `layout`: every property proved.
    case success = 0
    /// Some property is violated (a counterexample is printed).
    case violated = 1
    /// Some property could not be decided within the solver's limits; none violated.
    case unknown = 2
    /// Bring-up did not give what the model asks for (a device that did not enumerate, a PF that
    /// refused VF Enable, a VM naming a function that never appeared) or nothing was checked:
    /// no verdict can be given.
    case vacuous = 3
    /// Bad command line (sysexits EX_USAGE; also ArgumentParser's status for validation errors).
    case usage = 64
    /// The model file is not a valid model (EX_DATAERR): the message names the file and the key.
    case modelError = 65
    /// An input file cannot be read: missing, a directory, not text (EX_NOINPUT).
    case noInput = 66
    /// An internal error, e.g. the solver failed (EX_SOFTWARE).
    case internalError = 70
    /// An output file or directory cannot be written (EX_CANTCREAT).
    case cannotWrite = 73

    /// One line per status, for `--help` texts and the README.
    public static let summary = "Exit status: 0 done (all proved), 1 a property violated, 2 unknown (solver limit), " +
        "3 vacuous (bring-up did not give what the model asks for, or nothing to check), 64 usage error, " +
        "65 model error, 66 input unreadable, 70 internal error, 73 output not writable."
}

/// An error with the exit status it stands for.
public protocol StatusError: Error, CustomStringConvertible {
    var status: ToolStatus { get }
}

extension ModelError: StatusError {
    public var status: ToolStatus { unreadable ? .noInput : .modelError }
}

/// An output file or directory that cannot be created or written.
public struct OutputError: StatusError {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var status: ToolStatus { .cannotWrite }
    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Bring-up did not give what the model asks for, or there is nothing to check: a verdict on
/// this state would be vacuous.
public struct VacuousError: StatusError {
    public let file: String
    public let reasons: [String]
    public init(file: String, reasons: [String]) {
        self.file = file
        self.reasons = reasons
    }
    public var status: ToolStatus { .vacuous }
    public var description: String { "\(file): no verdict: " + reasons.joined(separator: "; ") }
}

/// A command-line value that cannot be used, found after parsing (e.g. a `--write` function
/// that does not exist after bring-up).
public struct UsageError: StatusError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var status: ToolStatus { .usage }
    public var description: String { message }
}
