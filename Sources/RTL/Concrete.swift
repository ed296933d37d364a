/// The concrete interpretation: a `width`-bit value held in a `UInt64`, always masked.
///
/// Everything is `@inlinable` so that generic decision logic specialises to plain integer
/// code in the simulator (z3-notes.md: a non-inlinable cross-module call costs 11-18 ns).
@frozen
public enum Concrete: BitVectorAlgebra {
    public typealias Word = UInt64

    /// All ones in the low `width` bits.
    @inlinable @inline(__always)
    public static func mask(_ width: Int) -> UInt64 {
        width >= 64 ? ~0 : (1 &<< UInt64(width)) &- 1
    }

    @inlinable @inline(__always)
    public static func constant(_ value: UInt64, width: Int) -> UInt64 { value & mask(width) }

    @inlinable @inline(__always)
    public static func add(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { (a &+ b) & mask(width) }
    @inlinable @inline(__always)
    public static func subtract(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { (a &- b) & mask(width) }
    @inlinable @inline(__always)
    public static func multiply(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { (a &* b) & mask(width) }
    @inlinable @inline(__always)
    public static func and(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a & b }
    @inlinable @inline(__always)
    public static func or(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a | b }
    @inlinable @inline(__always)
    public static func xor(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a ^ b }
    @inlinable @inline(__always)
    public static func not(_ a: UInt64, width: Int) -> UInt64 { ~a & mask(width) }

    @inlinable @inline(__always)
    public static func shiftLeft(_ a: UInt64, by amount: UInt64, width: Int) -> UInt64 {
        amount >= UInt64(width) ? 0 : (a << amount) & mask(width)
    }
    @inlinable @inline(__always)
    public static func shiftRightLogical(_ a: UInt64, by amount: UInt64, width: Int) -> UInt64 {
        amount >= UInt64(width) ? 0 : a >> amount
    }
    @inlinable @inline(__always)
    public static func shiftRightArithmetic(_ a: UInt64, by amount: UInt64, width: Int) -> UInt64 {
        let extended = Int64(bitPattern: signExtend(a, from: width, to: 64))
        let shift = amount >= UInt64(width) ? UInt64(width - 1) : amount
        return UInt64(bitPattern: extended >> Int64(shift)) & mask(width)
    }

    @inlinable @inline(__always)
    public static func equal(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a == b ? 1 : 0 }
    @inlinable @inline(__always)
    public static func unsignedLessThan(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a < b ? 1 : 0 }
    @inlinable @inline(__always)
    public static func unsignedLessOrEqual(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 { a <= b ? 1 : 0 }
    @inlinable @inline(__always)
    public static func signedLessThan(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 {
        Int64(bitPattern: signExtend(a, from: width, to: 64)) < Int64(bitPattern: signExtend(b, from: width, to: 64)) ? 1 : 0
    }
    @inlinable @inline(__always)
    public static func signedLessOrEqual(_ a: UInt64, _ b: UInt64, width: Int) -> UInt64 {
        Int64(bitPattern: signExtend(a, from: width, to: 64)) <= Int64(bitPattern: signExtend(b, from: width, to: 64)) ? 1 : 0
    }

    @inlinable @inline(__always)
    public static func zeroExtend(_ a: UInt64, from: Int, to: Int) -> UInt64 { a }
    @inlinable @inline(__always)
    public static func signExtend(_ a: UInt64, from: Int, to: Int) -> UInt64 {
        let negative = (a >> UInt64(from - 1)) & 1 == 1
        return negative ? (a | ~mask(from)) & mask(to) : a
    }
    @inlinable @inline(__always)
    public static func extract(_ a: UInt64, low: Int, count: Int, width: Int) -> UInt64 {
        (a >> UInt64(low)) & mask(count)
    }
    @inlinable @inline(__always)
    public static func concat(_ high: UInt64, highWidth: Int, _ low: UInt64, lowWidth: Int) -> UInt64 {
        (high << UInt64(lowWidth)) | low
    }

    @inlinable @inline(__always)
    public static func mux(_ select: UInt64, _ whenTrue: UInt64, _ whenFalse: UInt64, width: Int) -> UInt64 {
        select != 0 ? whenTrue : whenFalse
    }
    @inlinable @inline(__always)
    public static func lookup(_ table: [UInt64], _ index: UInt64, indexWidth: Int, width: Int) -> UInt64 {
        index < UInt64(table.count) ? table[Int(index)] : 0
    }
}
