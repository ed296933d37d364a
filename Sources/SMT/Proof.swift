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
        let scripts = parts.map(\.smtlib2).filter { !$0.isEmpty }
        let headers = ["QF_BV", "QF_UFBV"].map { Solver.scriptHeader(logic: $0) }
        // The general logic when any part needs it.
        let header = scripts.contains { $0.hasPrefix(headers[1]) } ? headers[1] : headers[0]
        let bodies = scripts.map { script in headers.first { script.hasPrefix($0) }.map { String(script.dropFirst($0.count)) } ?? script }
        let script = bodies.isEmpty ? "" : header + bodies.map { "(push 1)\n\($0)(pop 1)\n" }.joined()
        return ProofOutcome(result: deciding?.result ?? .proved, seconds: parts.reduce(0) { $0 + $1.seconds }, smtlib2: script)
    }

    /// A query whose answer was too coarse to keep (a counterexample of an abstraction that the
    /// concrete values do not confirm), decided again by `parts`: their verdict, its time and
    /// query kept with theirs.
    public func refined(by parts: [ProofOutcome]) -> ProofOutcome {
        let joined = ProofOutcome.all([self] + parts), verdict = ProofOutcome.all(parts)
        return ProofOutcome(result: verdict.result, seconds: joined.seconds, smtlib2: joined.smtlib2)
    }
}

/// A proof in progress: its own Z3 context, fresh variables, and checks of properties built
/// through the generic decision logic on `Symbolic` words. Use it only inside `withProof`;
/// nothing Z3 leaves it, results are plain values.
public final class ProofSession {
    public let context: Z3Context
    public let limits: SolverLimits
    private var variables: [(name: String, term: Term)] = []
    /// The query uses uninterpreted functions (`predicate`): its logic is QF_UFBV.
    private var usesFunctions = false

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

    /// An uninterpreted predicate over `N`-bit words: the prover may choose its value at every
    /// argument, except where an assumption fixes it. A set too large to write as a disjunction
    /// (the pages a VM owns) is stated through one: `owned(page)` assumed for each page known
    /// to be in it, then a property asks for `owned` of a term.
    public func predicate<let N: Int>(_ name: String, over _: Bits<Symbolic, N>.Type = Bits<Symbolic, N>.self) -> (Bits<Symbolic, N>) -> Bit<Symbolic> {
        let context = context
        usesFunctions = true
        return { argument in
            Bit(raw: Symbolic.build(context) {
                try context.apply(name, Symbolic.term(argument.raw, width: N, in: context), range: 1)
            })
        }
    }

    /// Checks that `property` holds for every value of the variables satisfying every
    /// assumption: asserts the assumptions and the negated property and asks for a model.
    /// unsat -> proved; sat -> violated with the model's variable values; else unknown.
    public func check(_ property: Bit<Symbolic>, assuming assumptions: [Bit<Symbolic>] = []) throws -> ProofOutcome {
        let start = ContinuousClock.now
        let solver = try Solver(context, limits: limits, logic: usesFunctions ? "QF_UFBV" : "QF_BV")
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
