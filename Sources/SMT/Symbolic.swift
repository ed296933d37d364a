import RTL

/// A value of the symbolic interpretation: a constant (folded on machine integers, needing no
/// context) or a Z3 bit-vector term.
public enum SymbolicWord {
    case constant(UInt64)
    case term(Term)
}

/// The symbolic interpretation of the algebra: the same generic decision logic the simulator
/// runs builds Z3 bit-vector terms here (DESIGN.md §1). Operations on constants fold with the
/// `Concrete` interpretation, so configuration values cost nothing; a term brings its context.
///
/// The algebra's operations cannot throw. Widths are fixed by the `Bits` types, so Z3 should
/// never reject a term built here; if it does, the error is recorded on the context
/// (`Z3Context.deferredError`) and the next solver check on that context throws it.
public enum Symbolic: BitVectorAlgebra {
    public typealias Word = SymbolicWord

    @inlinable
    public static func constant(_ value: UInt64, width: Int) -> SymbolicWord {
        .constant(Concrete.constant(value, width: width))
    }

    /// The context of the first term among `words`, if any.
    @usableFromInline
    static func context(of words: SymbolicWord...) -> Z3Context? {
        for case .term(let term) in words { return term.context }
        return nil
    }

    /// `word` as a term of `width` bits in `context`.
    @usableFromInline
    static func term(_ word: SymbolicWord, width: Int, in context: Z3Context) throws -> Term {
        switch word {
        case .term(let term): return term
        case .constant(let value): return try context.numeral(value, width: width)
        }
    }

    /// Runs a Z3 construction; a failure is deferred to the next check (see the type's doc).
    @usableFromInline
    static func build(_ context: Z3Context, _ body: () throws -> Term) -> SymbolicWord {
        do {
            return .term(try body())
        } catch let error as Z3Error {
            if context.deferredError == nil { context.deferredError = error }
            return .constant(0)
        } catch {
            if context.deferredError == nil { context.deferredError = Z3Error(code: -1, message: "\(error)") }
            return .constant(0)
        }
    }

    @usableFromInline
    static func binary(
        _ a: SymbolicWord, _ b: SymbolicWord, width: Int,
        _ concrete: (UInt64, UInt64, Int) -> UInt64,
        _ symbolic: (Z3Context, Term, Term) throws -> Term
    ) -> SymbolicWord {
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(concrete(x, y, width)) }
        let context = context(of: a, b)!
        return build(context) { try symbolic(context, term(a, width: width, in: context), term(b, width: width, in: context)) }
    }

    /// A comparison: Z3 Boolean turned into a 1-bit word.
    @usableFromInline
    static func predicate(
        _ a: SymbolicWord, _ b: SymbolicWord, width: Int,
        _ concrete: (UInt64, UInt64, Int) -> UInt64,
        _ symbolic: (Z3Context, Term, Term) throws -> Term
    ) -> SymbolicWord {
        binary(a, b, width: width, concrete) { context, x, y in
            try bit(of: symbolic(context, x, y), in: context)
        }
    }

    /// A Z3 Boolean as a 1-bit vector.
    public static func bit(of boolean: Term, in context: Z3Context) throws -> Term {
        try context.ite(boolean, context.numeral(1, width: 1), context.numeral(0, width: 1))
    }

    public static func add(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.add) { try $0.bvadd($1, $2) } }
    public static func subtract(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.subtract) { try $0.bvsub($1, $2) } }
    public static func multiply(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.multiply) { try $0.bvmul($1, $2) } }
    public static func and(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.and) { try $0.bvand($1, $2) } }
    public static func or(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.or) { try $0.bvor($1, $2) } }
    public static func xor(_ a: Word, _ b: Word, width: Int) -> Word { binary(a, b, width: width, Concrete.xor) { try $0.bvxor($1, $2) } }
    public static func not(_ a: Word, width: Int) -> Word {
        switch a {
        case .constant(let x): return .constant(Concrete.not(x, width: width))
        case .term(let t): return build(t.context) { try t.context.bvnot(t) }
        }
    }
    public static func shiftLeft(_ a: Word, by amount: Word, width: Int) -> Word {
        binary(a, amount, width: width, { Concrete.shiftLeft($0, by: $1, width: $2) }) { try $0.bvshl($1, $2) }
    }
    public static func shiftRightLogical(_ a: Word, by amount: Word, width: Int) -> Word {
        binary(a, amount, width: width, { Concrete.shiftRightLogical($0, by: $1, width: $2) }) { try $0.bvlshr($1, $2) }
    }
    public static func shiftRightArithmetic(_ a: Word, by amount: Word, width: Int) -> Word {
        binary(a, amount, width: width, { Concrete.shiftRightArithmetic($0, by: $1, width: $2) }) { try $0.bvashr($1, $2) }
    }

    public static func equal(_ a: Word, _ b: Word, width: Int) -> Word { predicate(a, b, width: width, Concrete.equal) { try $0.eq($1, $2) } }
    public static func unsignedLessThan(_ a: Word, _ b: Word, width: Int) -> Word {
        predicate(a, b, width: width, Concrete.unsignedLessThan) { try $0.bvult($1, $2) }
    }
    public static func unsignedLessOrEqual(_ a: Word, _ b: Word, width: Int) -> Word {
        predicate(a, b, width: width, Concrete.unsignedLessOrEqual) { try $0.bvule($1, $2) }
    }
    public static func signedLessThan(_ a: Word, _ b: Word, width: Int) -> Word {
        predicate(a, b, width: width, Concrete.signedLessThan) { try $0.bvslt($1, $2) }
    }
    public static func signedLessOrEqual(_ a: Word, _ b: Word, width: Int) -> Word {
        predicate(a, b, width: width, Concrete.signedLessOrEqual) { try $0.bvsle($1, $2) }
    }

    public static func zeroExtend(_ a: Word, from: Int, to: Int) -> Word {
        switch a {
        case .constant(let x): return .constant(x)
        case .term(let t): return to == from ? a : build(t.context) { try t.context.zeroExtend(t, by: to - from) }
        }
    }
    public static func signExtend(_ a: Word, from: Int, to: Int) -> Word {
        switch a {
        case .constant(let x): return .constant(Concrete.signExtend(x, from: from, to: to))
        case .term(let t): return to == from ? a : build(t.context) { try t.context.signExtend(t, by: to - from) }
        }
    }
    public static func extract(_ a: Word, low: Int, count: Int, width: Int) -> Word {
        switch a {
        case .constant(let x): return .constant(Concrete.extract(x, low: low, count: count, width: width))
        case .term(let t):
            return count == width ? a : build(t.context) { try t.context.extract(t, high: low + count - 1, low: low) }
        }
    }
    public static func concat(_ high: Word, highWidth: Int, _ low: Word, lowWidth: Int) -> Word {
        if case .constant(let h) = high, case .constant(let l) = low {
            return .constant(Concrete.concat(h, highWidth: highWidth, l, lowWidth: lowWidth))
        }
        let context = context(of: high, low)!
        return build(context) {
            try context.concat(term(high, width: highWidth, in: context), term(low, width: lowWidth, in: context))
        }
    }

    public static func mux(_ select: Word, _ whenTrue: Word, _ whenFalse: Word, width: Int) -> Word {
        switch select {
        case .constant(let s): return s != 0 ? whenTrue : whenFalse
        case .term(let s):
            let context = s.context
            return build(context) {
                try context.ite(
                    context.eq(s, context.numeral(1, width: 1)),
                    term(whenTrue, width: width, in: context),
                    term(whenFalse, width: width, in: context))
            }
        }
    }

    /// A mux chain over the table: the natural QF_BV form for small tables (z3-notes.md §3.6).
    public static func lookup(_ table: [Word], _ index: Word, indexWidth: Int, width: Int) -> Word {
        if case .constant(let i) = index { return i < UInt64(table.count) ? table[Int(i)] : .constant(0) }
        var result = Word.constant(0)
        for (k, entry) in table.enumerated().reversed() where UInt64(k) <= Concrete.mask(indexWidth) {
            result = mux(equal(index, .constant(UInt64(k)), width: indexWidth), entry, result, width: width)
        }
        return result
    }
}
