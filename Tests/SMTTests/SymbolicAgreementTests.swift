import RTL
import SMT
import Testing

/// The two interpretations must agree: for random operands, Z3 proves that each operation on
/// variables pinned to the operands equals what the concrete interpretation computes.
@Suite("Symbolic and concrete interpretations agree")
struct SymbolicAgreementTests {
    typealias S = Bits<Symbolic, 16>
    typealias C = Bits<Concrete, 16>

    /// Each operation once, written against the generic facade so both interpretations run it.
    static func evaluate<A>(_ a: Bits<A, 16>, _ b: Bits<A, 16>) -> [Bits<A, 16>] {
        let wide: Bits<A, 32> = a.zeroExtended()
        let signed: Bits<A, 32> = b.signExtended()
        let low: Bits<A, 8> = a.extract(from: 4)
        let high: Bits<A, 8> = b.truncated()
        let joined: Bits<A, 16> = concat(high, low)
        let amount = b & 0x1F
        return [
            a + b, a - b, a * b, a & b, a | b, a ^ b, ~a, a << amount, a >> amount,
            a.shiftedRightArithmetic(by: amount),
            mux(a .< b, a, b), mux(a.signedLessThan(b), a, b), mux(a .== b, 1, 2), mux(a .<= b, 3, 4),
            mux(a.signedLessOrEqual(b), 5, 6),
            (wide + signed).truncated(), (wide + signed).extract(from: 16), joined,
            lookup([a, b, 0x1234, 0xBEEF], b & 3), lookup([a], b & 3),
        ]
    }

    @Test("every operation, 16 bits, random operands", arguments: [UInt64(1), 2, 3])
    func agreement(seed: UInt64) throws {
        var rng = DeterministicRNG(seed: seed)
        for _ in 0..<6 {
            let x = UInt64.random(in: 0...0xFFFF, using: &rng)
            var y = UInt64.random(in: 0...0xFFFF, using: &rng)
            if x & 1 == 0 { y = x }   // exercise equality
            let expected = Self.evaluate(C(x), C(y)).map { $0.value }
            let outcome = try withProof { proof in
                let a = try proof.variable("a", as: S.self)
                let b = try proof.variable("b", as: S.self)
                let results = Self.evaluate(a, b)
                let agree = Bit<Symbolic>.all(zip(results, expected).map { $0 .== S($1) })
                return try proof.check(agree, assuming: [a .== S(x), b .== S(y)])
            }
            #expect(outcome.result == .proved, "a=\(x) b=\(y): \(outcome.result)")
        }
    }

    @Test("constants fold without a solver")
    func folding() {
        let a: S = 0x00FF, b: S = 0x0101
        guard case .constant(let value) = (a + b).raw else {
            Issue.record("constant + constant built a term")
            return
        }
        #expect(value == 0x0200)
    }
}
