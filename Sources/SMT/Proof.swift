import Foundation
import RTL

/// A counterexample as plain values: each free variable of the query by name.
public struct Counterexample: Sendable, Equatable, CustomStringConvertible {
    public let values: [String: UInt64]
    public subscript(name: String) -> UInt64? { values[name] }
    public var description: String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=0x\(String($0.value, radix: 16))" }.joined(separator: " ")
    }
}

/// The outcome of checking one property: the four answers of formal tools (STYLE.md,
/// SymbiYosys) minus ERROR, which is a thrown error. A property that could not be decided is
/// never reported as proved.
public enum ProofResult: Sendable, Equatable {
    case proved
    case violated(Counterexample)
    case unknown(reason: String)

    public var label: String {
        switch self {
        case .proved: "proved"
        case .violated: "violated"
        case .unknown: "unknown"
        }
    }

    public var counterexample: Counterexample? {
        if case .violated(let cex) = self { return cex }
        return nil
    }
}

/// One checked property with its timing and, on request, its SMT-LIB2 query.
public struct ProofOutcome: Sendable, Equatable {
    public let result: ProofResult
    public let seconds: Double
    public let smtlib2: String

    /// One property checked in parts that together cover every value of its variables: violated
    /// by the first violated part (its model), else unknown if a part is, else proved; the
    /// queries one script, each part in its own (push)/(pop) scope.
    public static func all(_ parts: [ProofOutcome]) -> ProofOutcome {
        let deciding = parts.first { $0.result.counterexample != nil } ?? parts.first { $0.result.label == "unknown" }
        let header = Solver.scriptHeader
        let bodies = parts.map(\.smtlib2).filter { !$0.isEmpty }.map { $0.hasPrefix(header) ? String($0.dropFirst(header.count)) : $0 }
        let script = bodies.isEmpty ? "" : header + bodies.map { "(push 1)\n\($0)(pop 1)\n" }.joined()
        return ProofOutcome(result: deciding?.result ?? .proved, seconds: parts.reduce(0) { $0 + $1.seconds }, smtlib2: script)
    }
}

/// A proof in progress: its own Z3 context, fresh variables, and checks of properties built
/// through the generic decision logic on `Symbolic` words. Use it only inside `withProof`;
/// nothing Z3 leaves it, results are plain values.
public final class ProofSession {
    public let context: Z3Context
    public let limits: SolverLimits
    private var variables: [(name: String, term: Term)] = []

    init(limits: SolverLimits) throws {
        context = try Z3Context()
        self.limits = limits
    }

    /// A fresh `N`-bit variable: the prover chooses its value.
    public func variable<let N: Int>(_ name: String, as _: Bits<Symbolic, N>.Type = Bits<Symbolic, N>.self) throws -> Bits<Symbolic, N> {
        precondition(!variables.contains { $0.name == name }, "variable \(name) declared twice")
        let term = try context.variable(name, width: N)
        variables.append((name, term))
        return Bits(raw: .term(term))
    }

    /// Checks that `property` holds for every value of the variables satisfying every
    /// assumption: asserts the assumptions and the negated property and asks for a model.
    /// unsat -> proved; sat -> violated with the model's variable values; else unknown.
    public func check(_ property: Bit<Symbolic>, assuming assumptions: [Bit<Symbolic>] = []) throws -> ProofOutcome {
        let start = ContinuousClock.now
        let solver = try Solver(context, limits: limits)
        let one = try context.numeral(1, width: 1)
        func isOne(_ wire: Bit<Symbolic>) throws -> Term {
            try context.eq(Symbolic.term(wire.raw, width: 1, in: context), one)
        }
        for assumption in assumptions { try solver.assert(isOne(assumption)) }
        try solver.assert(context.not(isOne(property)))
        let result: ProofResult
        switch try solver.check() {
        case .unsatisfiable:
            result = .proved
        case .satisfiable:
            let values = try solver.modelValues(variables.map(\.term))
            result = .violated(Counterexample(values: Dictionary(uniqueKeysWithValues: zip(variables.map(\.name), values))))
        case .unknown(let reason):
            result = .unknown(reason: reason)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return ProofOutcome(result: result, seconds: seconds, smtlib2: limits.recordQueries ? solver.smtlib2(askModel: result.counterexample != nil) : "")
    }
}

/// Runs `body` with a fresh proof session (its own Z3 context, released at the end). Only
/// `Sendable` values come out, so no Z3 object outlives the proof.
public func withProof<R: Sendable>(limits: SolverLimits = SolverLimits(), _ body: (ProofSession) throws -> R) throws -> R {
    let session = try ProofSession(limits: limits)
    return try body(session)
}
