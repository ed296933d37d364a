/// An interpretation of fixed-width bit-vector logic.
///
/// Decision logic in IOVSim (routing-ID arithmetic, BAR decode, ACS checks, the L2 sorter's
/// match, ...) is written once against this protocol, through the width-typed facade `Bits`.
/// Two interpretations exist: `Concrete` (machine integers masked to the width, used by the
/// cycle simulator) and `Symbolic` in the SMT module (Z3 bit-vector terms, used by the prover).
/// DESIGN.md §1.
///
/// Every operation receives the widths it needs, so an interpretation never has to recover a
/// width from a raw word. Widths are between 1 and 64 bits; comparisons return a 1-bit word.
/// Signed operations exist only under their own names (`signedLessThan`, `shiftRightArithmetic`).
public protocol BitVectorAlgebra {
    /// The raw representation of one bit-vector value.
    associatedtype Word

    static func constant(_ value: UInt64, width: Int) -> Word

    static func add(_ a: Word, _ b: Word, width: Int) -> Word
    static func subtract(_ a: Word, _ b: Word, width: Int) -> Word
    static func multiply(_ a: Word, _ b: Word, width: Int) -> Word
    static func and(_ a: Word, _ b: Word, width: Int) -> Word
    static func or(_ a: Word, _ b: Word, width: Int) -> Word
    static func xor(_ a: Word, _ b: Word, width: Int) -> Word
    static func not(_ a: Word, width: Int) -> Word
    /// Logical shift left; a shift amount of `width` or more gives zero.
    static func shiftLeft(_ a: Word, by amount: Word, width: Int) -> Word
    /// Logical shift right; a shift amount of `width` or more gives zero.
    static func shiftRightLogical(_ a: Word, by amount: Word, width: Int) -> Word
    /// Arithmetic shift right (sign bit copied in).
    static func shiftRightArithmetic(_ a: Word, by amount: Word, width: Int) -> Word

    /// 1-bit results.
    static func equal(_ a: Word, _ b: Word, width: Int) -> Word
    static func unsignedLessThan(_ a: Word, _ b: Word, width: Int) -> Word
    static func unsignedLessOrEqual(_ a: Word, _ b: Word, width: Int) -> Word
    static func signedLessThan(_ a: Word, _ b: Word, width: Int) -> Word
    static func signedLessOrEqual(_ a: Word, _ b: Word, width: Int) -> Word

    static func zeroExtend(_ a: Word, from: Int, to: Int) -> Word
    static func signExtend(_ a: Word, from: Int, to: Int) -> Word
    /// Bits `low ..< low + count` of a `width`-bit word.
    static func extract(_ a: Word, low: Int, count: Int, width: Int) -> Word
    /// `high` in the upper `highWidth` bits, `low` in the lower `lowWidth` bits.
    static func concat(_ high: Word, highWidth: Int, _ low: Word, lowWidth: Int) -> Word

    /// `select` is a 1-bit word: `whenTrue` if it is 1, else `whenFalse`.
    static func mux(_ select: Word, _ whenTrue: Word, _ whenFalse: Word, width: Int) -> Word
    /// `table[index]`, or zero when `index` is past the end of the table (a ROM zero-filled
    /// to its address range). Each interpretation uses its native form: direct indexing on
    /// machine integers, a mux chain on terms.
    static func lookup(_ table: [Word], _ index: Word, indexWidth: Int, width: Int) -> Word
}
