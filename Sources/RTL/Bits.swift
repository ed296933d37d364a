/// A `N`-bit word in the algebra `A`: the type decision logic is written in.
///
/// The width is part of the type, so adding a 16-bit routing ID to a 64-bit address is a
/// compile error; changing width takes an explicit `zeroExtended()`, `signExtended()`,
/// `truncated()`, `extract(from:)` or `concat`, each naming its result width. Arithmetic wraps
/// modulo 2^N as hardware does. Comparisons are unsigned and return a `Bit` (`.<`, `.<=`,
/// `.==`, ...), because a comparison of symbolic words is itself a signal, not a Swift `Bool`;
/// branch on it with `mux`. N is 1...64.
@frozen
public struct Bits<A: BitVectorAlgebra, let N: Int> {
    public var raw: A.Word

    @inlinable @inline(__always)
    public init(raw: A.Word) { self.raw = raw }

    /// A constant; bits above the width are dropped.
    @inlinable @inline(__always)
    public init(_ value: UInt64) { self.raw = A.constant(value, width: N) }

    @inlinable @inline(__always)
    public static var width: Int { N }

    @inlinable @inline(__always)
    public static var zero: Self { Self(0) }

    /// All ones.
    @inlinable @inline(__always)
    public static var max: Self { Self(~0) }
}

/// A single wire: the result of comparisons and the select input of `mux`.
public typealias Bit<A: BitVectorAlgebra> = Bits<A, 1>

extension Bits: ExpressibleByIntegerLiteral {
    @inlinable @inline(__always)
    public init(integerLiteral value: UInt64) { self.init(value) }
}

extension Bits: Sendable where A.Word: Sendable {}

extension Bit {
    /// A 1-bit constant from a Swift `Bool` (a configuration fact, never a signal).
    @inlinable @inline(__always)
    public init(_ value: Bool) { self.init(value ? 1 : 0) }
}

// MARK: Arithmetic and logic (same width on both sides)

extension Bits {
    @inlinable @inline(__always)
    public static func + (a: Self, b: Self) -> Self { Self(raw: A.add(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func - (a: Self, b: Self) -> Self { Self(raw: A.subtract(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func * (a: Self, b: Self) -> Self { Self(raw: A.multiply(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func & (a: Self, b: Self) -> Self { Self(raw: A.and(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func | (a: Self, b: Self) -> Self { Self(raw: A.or(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func ^ (a: Self, b: Self) -> Self { Self(raw: A.xor(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static prefix func ~ (a: Self) -> Self { Self(raw: A.not(a.raw, width: N)) }
    /// Logical shift left by a same-width amount.
    @inlinable @inline(__always)
    public static func << (a: Self, b: Self) -> Self { Self(raw: A.shiftLeft(a.raw, by: b.raw, width: N)) }
    /// Logical shift right by a same-width amount.
    @inlinable @inline(__always)
    public static func >> (a: Self, b: Self) -> Self { Self(raw: A.shiftRightLogical(a.raw, by: b.raw, width: N)) }

    /// Arithmetic shift right (signed), by name only.
    @inlinable @inline(__always)
    public func shiftedRightArithmetic(by amount: Self) -> Self {
        Self(raw: A.shiftRightArithmetic(raw, by: amount.raw, width: N))
    }
}

// MARK: Comparisons (unsigned; signed by name)

extension Bits {
    @inlinable @inline(__always)
    public static func .== (a: Self, b: Self) -> Bit<A> { Bit(raw: A.equal(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func .!= (a: Self, b: Self) -> Bit<A> { ~(a .== b) }
    @inlinable @inline(__always)
    public static func .< (a: Self, b: Self) -> Bit<A> { Bit(raw: A.unsignedLessThan(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func .<= (a: Self, b: Self) -> Bit<A> { Bit(raw: A.unsignedLessOrEqual(a.raw, b.raw, width: N)) }
    @inlinable @inline(__always)
    public static func .> (a: Self, b: Self) -> Bit<A> { b .< a }
    @inlinable @inline(__always)
    public static func .>= (a: Self, b: Self) -> Bit<A> { b .<= a }

    @inlinable @inline(__always)
    public func signedLessThan(_ other: Self) -> Bit<A> { Bit(raw: A.signedLessThan(raw, other.raw, width: N)) }
    @inlinable @inline(__always)
    public func signedLessOrEqual(_ other: Self) -> Bit<A> { Bit(raw: A.signedLessOrEqual(raw, other.raw, width: N)) }

    /// 1 when any bit is set (reduction OR).
    @inlinable @inline(__always)
    public var isNonZero: Bit<A> { self .!= .zero }
}

// MARK: Width changes, always with an explicit result width

extension Bits {
    /// Zero-extends to the result width `M` (M >= N).
    @inlinable @inline(__always)
    public func zeroExtended<let M: Int>(to _: Bits<A, M>.Type = Bits<A, M>.self) -> Bits<A, M> {
        precondition(M >= N, "zeroExtended: result width \(M) is narrower than \(N)")
        return Bits<A, M>(raw: A.zeroExtend(raw, from: N, to: M))
    }

    /// Sign-extends to the result width `M` (M >= N).
    @inlinable @inline(__always)
    public func signExtended<let M: Int>(to _: Bits<A, M>.Type = Bits<A, M>.self) -> Bits<A, M> {
        precondition(M >= N, "signExtended: result width \(M) is narrower than \(N)")
        return Bits<A, M>(raw: A.signExtend(raw, from: N, to: M))
    }

    /// The low `M` bits (M <= N).
    @inlinable @inline(__always)
    public func truncated<let M: Int>(to _: Bits<A, M>.Type = Bits<A, M>.self) -> Bits<A, M> {
        extract(from: 0)
    }

    /// Bits `low ..< low + M`.
    @inlinable @inline(__always)
    public func extract<let M: Int>(from low: Int, as _: Bits<A, M>.Type = Bits<A, M>.self) -> Bits<A, M> {
        precondition(low >= 0 && low + M <= N, "extract: bits \(low)..<\(low + M) outside a \(N)-bit word")
        return Bits<A, M>(raw: A.extract(raw, low: low, count: M, width: N))
    }

    /// Bit `index` as a wire.
    @inlinable @inline(__always)
    public subscript(bit index: Int) -> Bit<A> { extract(from: index) }
}

/// `high` above `low`; the result width `R` must be `H + L`.
@inlinable @inline(__always)
public func concat<A, let H: Int, let L: Int, let R: Int>(
    _ high: Bits<A, H>, _ low: Bits<A, L>, as _: Bits<A, R>.Type = Bits<A, R>.self
) -> Bits<A, R> {
    precondition(R == H + L, "concat: \(H) + \(L) bits do not make \(R)")
    return Bits<A, R>(raw: A.concat(high.raw, highWidth: H, low.raw, lowWidth: L))
}

// MARK: Selection

/// A 2:1 multiplexer: `whenTrue` when `select` is 1. The only way decision logic branches on
/// a signal (DESIGN.md §1: a Swift `if` cannot see a symbolic value).
@inlinable @inline(__always)
public func mux<A, let N: Int>(_ select: Bit<A>, _ whenTrue: Bits<A, N>, _ whenFalse: Bits<A, N>) -> Bits<A, N> {
    Bits(raw: A.mux(select.raw, whenTrue.raw, whenFalse.raw, width: N))
}

/// A small ROM: `table[index]`, zero past its end.
@inlinable @inline(__always)
public func lookup<A, let N: Int, let I: Int>(_ table: [Bits<A, N>], _ index: Bits<A, I>) -> Bits<A, N> {
    Bits(raw: A.lookup(table.map { $0.raw }, index.raw, indexWidth: I, width: N))
}

// MARK: Wires of one bit

extension Bits where N == 1 {
    /// Logical AND of every wire (1 for an empty list).
    @inlinable
    public static func all(_ wires: [Self]) -> Self { wires.reduce(Self(1)) { $0 & $1 } }
    /// Logical OR of every wire (0 for an empty list).
    @inlinable
    public static func any(_ wires: [Self]) -> Self { wires.reduce(Self(0)) { $0 | $1 } }
    /// `self` implies `other`.
    @inlinable @inline(__always)
    public func implies(_ other: Self) -> Self { ~self | other }
}

// MARK: Reading a concrete value

extension Bits where A == Concrete {
    /// The value as an unsigned integer.
    @inlinable @inline(__always)
    public var value: UInt64 { raw }
}

extension Bits: Equatable where A == Concrete {
    @inlinable @inline(__always)
    public static func == (a: Self, b: Self) -> Bool { a.raw == b.raw }
}

extension Bits: Hashable where A == Concrete {
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}

extension Bits: CustomStringConvertible where A == Concrete {
    public var description: String {
        let digits = String(raw, radix: 16)
        let width = (N + 3) / 4
        return "\(N)'h" + String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}

extension Bits where A == Concrete, N == 1 {
    /// A concrete wire read as a Swift `Bool` (simulator side only).
    @inlinable @inline(__always)
    public var isSet: Bool { raw != 0 }
}

/// A word of an algebra whose values are plain data (the concrete one) crosses threads freely.
extension Bits: Sendable where A.Word: Sendable {}

extension Bits {
    /// The same value as a constant of another algebra (a configured value the prover reads).
    @inlinable
    public func lifted<B: BitVectorAlgebra>(to _: B.Type = B.self) -> Bits<B, N> where A == Concrete { Bits<B, N>(value) }
}
