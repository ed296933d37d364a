import CZ3

/// An error reported by Z3 (a sort mismatch, a bad parameter, ...), thrown instead of Z3's
/// default handler, which prints and calls `exit(1)` (z3-notes.md §3.2).
public struct Z3Error: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int
    public let message: String
    public var description: String { "Z3 error \(code): \(message)" }
}

/// One Z3 context in reference-counting mode, owned by one proof and one task.
///
/// Every AST Z3 returns is wrapped at once in a `Term`, which takes a reference (`Z3_inc_ref`)
/// before any other Z3 call can run: in rc mode Z3 protects only the last returned AST, and a
/// missed inc_ref silently corrupts terms on 4.8.12 (z3-notes.md §3.1, §6.4). The default
/// error handler is removed; every call is followed by an error-code check.
///
/// Deliberately not `Sendable`: Z3 contexts are not thread-safe (z3-notes.md §3.9).
public final class Z3Context {
    @usableFromInline let raw: Z3_context
    /// The first error raised inside the symbolic algebra, whose operations cannot throw; a
    /// solver check on this context rethrows it.
    public internal(set) var deferredError: Z3Error?

    public init() throws {
        guard let config = Z3_mk_config() else { throw Z3Error(code: -1, message: "Z3_mk_config failed") }
        defer { Z3_del_config(config) }
        Z3_set_param_value(config, "model", "true")
        guard let context = Z3_mk_context_rc(config) else {
            throw Z3Error(code: -1, message: "Z3_mk_context_rc failed")
        }
        Z3_set_error_handler(context, nil)
        raw = context
    }

    deinit { Z3_del_context(raw) }

    /// Throws if the last Z3 call failed.
    @usableFromInline
    func check() throws {
        let code = Z3_get_error_code(raw)
        guard code == Z3_OK else {
            let message = Z3_get_error_msg(raw, code).map { String(cString: $0) } ?? "unknown"
            throw Z3Error(code: Int(code.rawValue), message: message)
        }
    }

    /// Runs one AST-returning Z3 call and wraps the result, or throws Z3's error.
    @usableFromInline
    func make(_ call: (Z3_context) -> Z3_ast?) throws -> Term {
        let ast = call(raw)
        try check()
        guard let ast else { throw Z3Error(code: -1, message: "Z3 returned no term") }
        return Term(self, ast)
    }

    // MARK: The raw layer: terms of any sort, checked by Z3 itself.

    public func bitVectorSort(width: Int) throws -> Z3_sort {
        let sort = Z3_mk_bv_sort(raw, UInt32(width))
        try check()
        return sort!
    }

    /// A fresh bit-vector constant named `name`.
    public func variable(_ name: String, width: Int) throws -> Term {
        let symbol = Z3_mk_string_symbol(raw, name)
        try check()
        return try make { Z3_mk_const($0, symbol, Z3_mk_bv_sort($0, UInt32(width))) }
    }

    /// A bit-vector numeral (widths up to 64 bits).
    public func numeral(_ value: UInt64, width: Int) throws -> Term {
        try make { Z3_mk_unsigned_int64($0, value, Z3_mk_bv_sort($0, UInt32(width))) }
    }

    public func boolean(_ value: Bool) throws -> Term { try make { value ? Z3_mk_true($0) : Z3_mk_false($0) } }

    public func bvadd(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvadd($0, a.ast, b.ast) } }
    public func bvsub(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvsub($0, a.ast, b.ast) } }
    public func bvmul(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvmul($0, a.ast, b.ast) } }
    public func bvand(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvand($0, a.ast, b.ast) } }
    public func bvor(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvor($0, a.ast, b.ast) } }
    public func bvxor(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvxor($0, a.ast, b.ast) } }
    public func bvnot(_ a: Term) throws -> Term { try make { Z3_mk_bvnot($0, a.ast) } }
    public func bvshl(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvshl($0, a.ast, b.ast) } }
    public func bvlshr(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvlshr($0, a.ast, b.ast) } }
    public func bvashr(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvashr($0, a.ast, b.ast) } }
    public func bvult(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvult($0, a.ast, b.ast) } }
    public func bvule(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvule($0, a.ast, b.ast) } }
    public func bvslt(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvslt($0, a.ast, b.ast) } }
    public func bvsle(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_bvsle($0, a.ast, b.ast) } }
    public func eq(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_eq($0, a.ast, b.ast) } }
    public func not(_ a: Term) throws -> Term { try make { Z3_mk_not($0, a.ast) } }
    public func ite(_ c: Term, _ t: Term, _ e: Term) throws -> Term { try make { Z3_mk_ite($0, c.ast, t.ast, e.ast) } }
    public func zeroExtend(_ a: Term, by bits: Int) throws -> Term { try make { Z3_mk_zero_ext($0, UInt32(bits), a.ast) } }
    public func signExtend(_ a: Term, by bits: Int) throws -> Term { try make { Z3_mk_sign_ext($0, UInt32(bits), a.ast) } }
    public func extract(_ a: Term, high: Int, low: Int) throws -> Term {
        try make { Z3_mk_extract($0, UInt32(high), UInt32(low), a.ast) }
    }
    public func concat(_ a: Term, _ b: Term) throws -> Term { try make { Z3_mk_concat($0, a.ast, b.ast) } }

    public func and(_ terms: [Term]) throws -> Term {
        let asts: [Z3_ast?] = terms.map(\.ast)
        return try asts.withUnsafeBufferPointer { buffer in
            try make { Z3_mk_and($0, UInt32(buffer.count), buffer.baseAddress) }
        }
    }

    /// `name` applied to `argument`: an uninterpreted function from `argument`'s bit-vectors to
    /// `range`-bit ones, the same function for every application with the same name and widths.
    public func apply(_ name: String, _ argument: Term, range: Int) throws -> Term {
        let domainWidth = try width(of: argument)
        let symbol = Z3_mk_string_symbol(raw, name)
        try check()
        var domain: [Z3_sort?] = [try bitVectorSort(width: domainWidth)]
        let declaration = Z3_mk_func_decl(raw, symbol, 1, &domain, try bitVectorSort(width: range))
        try check()
        let arguments: [Z3_ast?] = [argument.ast]
        return try arguments.withUnsafeBufferPointer { buffer in try make { Z3_mk_app($0, declaration, 1, buffer.baseAddress) } }
    }

    /// The width of a bit-vector term.
    public func width(of term: Term) throws -> Int {
        let width = Z3_get_bv_sort_size(raw, Z3_get_sort(raw, term.ast))
        try check()
        return Int(width)
    }

    /// The term in SMT-LIB2 syntax.
    public func smtlib2(_ term: Term) -> String {
        Z3_ast_to_string(raw, term.ast).map { String(cString: $0) } ?? ""
    }
}

/// A Z3 AST with one reference held for the life of this object. It keeps its context alive.
public final class Term {
    public let context: Z3Context
    @usableFromInline let ast: Z3_ast

    init(_ context: Z3Context, _ ast: Z3_ast) {
        self.context = context
        self.ast = ast
        Z3_inc_ref(context.raw, ast)
    }

    deinit { Z3_dec_ref(context.raw, ast) }
}
