/// A set of the 256 interrupt vectors of an x86 local APIC (its IRR, or the vectors a program
/// waits for), as four words: membership, the lowest member and intersection are a few
/// instructions, where a `Set<UInt8>` hashed each vector (this runs per waiting driver per
/// interrupt).
public struct InterruptVectors: Equatable, Sendable, ExpressibleByArrayLiteral {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    public init(arrayLiteral vectors: UInt8...) {
        for v in vectors { insert(v) }
    }

    public var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    func word(_ k: Int) -> UInt64 {
        switch k {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
    }

    mutating func update(_ k: Int, _ body: (inout UInt64) -> Void) {
        switch k {
        case 0: body(&words.0)
        case 1: body(&words.1)
        case 2: body(&words.2)
        default: body(&words.3)
        }
    }

    public func contains(_ v: UInt8) -> Bool { word(Int(v >> 6)) >> UInt64(v & 63) & 1 == 1 }
    public mutating func insert(_ v: UInt8) { update(Int(v >> 6)) { $0 |= 1 << UInt64(v & 63) } }
    public mutating func remove(_ v: UInt8) { update(Int(v >> 6)) { $0 &= ~(1 << UInt64(v & 63)) } }

    public func intersection(_ other: InterruptVectors) -> InterruptVectors {
        var both = InterruptVectors()
        both.words = (words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2, words.3 & other.words.3)
        return both
    }

    /// The lowest vector in the set.
    public var lowest: UInt8? {
        for k in 0..<4 where word(k) != 0 { return UInt8(64 * k + word(k).trailingZeroBitCount) }
        return nil
    }

    public static func == (a: InterruptVectors, b: InterruptVectors) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
}
