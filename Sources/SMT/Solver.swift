import CZ3
import Foundation

/// What a solver check found.
public enum SatResult: Sendable, Equatable {
    case satisfiable
    case unsatisfiable
    case unknown(reason: String)
}

/// Resource limits for one check. `timeout` is wall-clock (for interactive runs); `rlimit` is
/// Z3's deterministic resource counter (for CI, z3-notes.md §3.7).
public struct SolverLimits: Sendable, Equatable {
    public var timeout: Duration?
    public var rlimit: UInt32?
    /// Keep each query's SMT-LIB2 text (for `--smt2`); printing a large query costs as much as
    /// solving it, so a caller that will not write them turns this off.
    public var recordQueries: Bool
    public init(timeout: Duration? = nil, rlimit: UInt32? = nil, recordQueries: Bool = true) {
        self.timeout = timeout
        self.rlimit = rlimit
        self.recordQueries = recordQueries
    }
}

/// A Z3 solver for quantifier-free bit-vector goals (logic QF_BV: 12x faster than the general
/// solver on small goals, z3-notes.md §3.7), with its limits applied.
public final class Solver {
    public let context: Z3Context
    let raw: Z3_solver
    /// Terms asserted so far, kept alive and available for the SMT-LIB2 dump.
    private var assertions: [Term] = []

    /// QF_BV, or QF_UFBV for goals with uninterpreted functions.
    public let logic: String

    public init(_ context: Z3Context, limits: SolverLimits = SolverLimits(), logic: String = "QF_BV") throws {
        self.context = context
        self.logic = logic
        let c = context.raw
        let solver = Z3_mk_solver_for_logic(c, Z3_mk_string_symbol(c, logic))
        try context.check()
        guard let solver else { throw Z3Error(code: -1, message: "Z3_mk_solver_for_logic returned nothing") }
        Z3_solver_inc_ref(c, solver)
        raw = solver
        let params = Z3_mk_params(c)
        Z3_params_inc_ref(c, params)
        defer { Z3_params_dec_ref(c, params) }
        if let timeout = limits.timeout {
            let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            Z3_params_set_uint(c, params, Z3_mk_string_symbol(c, "timeout"), UInt32(clamping: max(1, ms)))
        }
        if let rlimit = limits.rlimit {
            Z3_params_set_uint(c, params, Z3_mk_string_symbol(c, "rlimit"), rlimit)
        }
        Z3_solver_set_params(c, solver, params)
        try context.check()
    }

    deinit { Z3_solver_dec_ref(context.raw, raw) }

    /// Asserts a Boolean term.
    public func assert(_ term: Term) throws {
        Z3_solver_assert(context.raw, raw, term.ast)
        try context.check()
        assertions.append(term)
    }

    /// Checks the assertions. Rethrows an error deferred by the symbolic algebra.
    public func check() throws -> SatResult {
        if let error = context.deferredError { throw error }
        let result = Z3_solver_check(context.raw, raw)
        try context.check()
        if result == Z3_L_TRUE { return .satisfiable }
        if result == Z3_L_FALSE { return .unsatisfiable }
        let reason = Z3_solver_get_reason_unknown(context.raw, raw).map { String(cString: $0) } ?? "unknown"
        return .unknown(reason: reason)
    }

    /// Values of `terms` in the model of the last satisfiable check, with model completion so
    /// unconstrained variables get a value too (z3-notes.md §3.7).
    public func modelValues(_ terms: [Term]) throws -> [UInt64] {
        let c = context.raw
        let model = Z3_solver_get_model(c, raw)
        try context.check()
        guard let model else { throw Z3Error(code: -1, message: "no model") }
        Z3_model_inc_ref(c, model)
        defer { Z3_model_dec_ref(c, model) }
        return try terms.map { term in
            var out: Z3_ast?
            let ok = Z3_model_eval(c, model, term.ast, true, &out)
            try context.check()
            guard ok, let out else { throw Z3Error(code: -1, message: "model evaluation failed") }
            let value = Term(context, out)
            var number: UInt64 = 0
            guard Z3_get_numeral_uint64(c, value.ast, &number) else {
                throw Z3Error(code: -1, message: "model value is not a numeral: \(context.smtlib2(value))")
            }
            return number
        }
    }

    /// The query as an SMT-LIB2 script that any solver can re-run. `(get-model)` only where
    /// the answer was sat: after unsat (or unknown) it is an error in SMT-LIB 2.6 §4.2.4, and
    /// solvers exit non-zero on it.
    /// What every script starts with (once, before any scope).
    public static func scriptHeader(logic: String = "QF_BV") -> String { "(set-option :produce-models true)\n(set-logic \(logic))\n" }

    public func smtlib2(askModel: Bool) -> String {
        let body = Z3_solver_to_string(context.raw, raw).map { String(cString: $0) } ?? ""
        return Self.scriptHeader(logic: logic) + body + "(check-sat)\n" + (askModel ? "(get-model)\n" : "")
    }
}
