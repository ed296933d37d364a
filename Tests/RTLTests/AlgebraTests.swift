import Foundation
import RTL
import Testing

typealias W8 = Bits<Concrete, 8>
typealias W16 = Bits<Concrete, 16>
typealias W32 = Bits<Concrete, 32>
typealias W64 = Bits<Concrete, 64>

@Suite("Concrete algebra")
struct AlgebraTests {
    @Test("arithmetic wraps modulo 2^N")
    func wrapping() {
        #expect((W8(0xFF) + W8(1)).value == 0)
        #expect((W8(0) - W8(1)).value == 0xFF)
        #expect((W16(0x8000) * W16(2)).value == 0)
        #expect((W64(~0) + W64(1)).value == 0)
        #expect(W8(0x1FF).value == 0xFF, "constants drop bits above the width")
        #expect((~W8(0x0F)).value == 0xF0)
    }

    @Test("shifts are logical; overshift gives zero; arithmetic shift only by name")
    func shifts() {
        #expect((W8(0x81) << 1).value == 0x02)
        #expect((W8(0x81) >> 1).value == 0x40)
        #expect((W8(0x81) >> 8).value == 0)
        #expect((W8(0x81) << 9).value == 0)
        #expect(W8(0x81).shiftedRightArithmetic(by: 1).value == 0xC0)
        #expect(W8(0x81).shiftedRightArithmetic(by: 200).value == 0xFF)
    }

    @Test("comparisons are unsigned; signed ones by name")
    func comparisons() {
        #expect((W8(0x80) .> W8(0x7F)).isSet)
        #expect(W8(0x80).signedLessThan(W8(0x7F)).isSet)
        #expect((W8(3) .<= W8(3)).isSet)
        #expect(!(W8(3) .< W8(3)).isSet)
        #expect((W8(3) .!= W8(4)).isSet)
        #expect(W8(0xFF).signedLessOrEqual(W8(0)).isSet)
    }

    @Test("extension, extraction and concatenation name their result widths")
    func widths() {
        let x = W8(0x9A)
        let z: W16 = x.zeroExtended()
        let s: W16 = x.signExtended()
        #expect(z.value == 0x009A)
        #expect(s.value == 0xFF9A)
        let rid = W16(0x0482)
        let bus: W8 = rid.extract(from: 8)
        let device: Bits<Concrete, 5> = rid.extract(from: 3)
        #expect(bus.value == 0x04)
        #expect(device.value == 0x10)
        #expect(rid[bit: 1].isSet && !rid[bit: 0].isSet)
        let joined: W16 = concat(bus, W8(0x82))
        #expect(joined == rid)
        let low: W8 = W32(0x1234_5678).truncated()
        #expect(low.value == 0x78)
    }

    @Test("mux selects, lookup reads zero past the table")
    func selection() {
        #expect(mux(Bit<Concrete>(true), W8(1), W8(2)).value == 1)
        #expect(mux(Bit<Concrete>(false), W8(1), W8(2)).value == 2)
        let table: [W16] = [0x10, 0x20, 0x30]
        #expect(lookup(table, W8(2)).value == 0x30)
        #expect(lookup(table, W8(3)).value == 0)
        #expect(Bit<Concrete>.all([1, 1, 0]).value == 0)
        #expect(Bit<Concrete>.any([0, 0, 1]).value == 1)
        #expect(Bit<Concrete>(true).implies(Bit(false)).value == 0)
    }

    @Test("random operations agree with UInt8/UInt16 arithmetic")
    func randomAgreement() {
        var rng = DeterministicRNG(seed: 7)
        for _ in 0..<10_000 {
            let a = UInt16.random(in: .min ... .max, using: &rng), b = UInt16.random(in: .min ... .max, using: &rng)
            #expect((W16(UInt64(a)) + W16(UInt64(b))).value == UInt64(a &+ b))
            #expect((W16(UInt64(a)) * W16(UInt64(b))).value == UInt64(a &* b))
            #expect((W16(UInt64(a)) - W16(UInt64(b))).value == UInt64(a &- b))
            #expect((W16(UInt64(a)) .< W16(UInt64(b))).isSet == (a < b))
            #expect(W16(UInt64(a)).signedLessThan(W16(UInt64(b))).isSet == (Int16(bitPattern: a) < Int16(bitPattern: b)))
        }
    }

    @Test("the RNG is deterministic per seed")
    func rng() {
        var a = DeterministicRNG(seed: 42), b = DeterministicRNG(seed: 42), c = DeterministicRNG(seed: 43)
        let sa = (0..<8).map { _ in a.next() }, sb = (0..<8).map { _ in b.next() }, sc = (0..<8).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
    }
}
