@testable import NIC
import RTL
import Testing

/// The DMA engine's tables of read owners and Tx frames in flight, kept by number.
@Suite("Token table")
struct TokenTableTests {
    @Test("values come back under their numbers, taken in any order, across skipped numbers and the trimming of the oldest")
    func anyOrder() {
        var table = TokenTable<Int>()
        var rng = DeterministicRNG(seed: 5)
        var held: [UInt64] = [], token: UInt64 = 0, wrong = 0, trimmedAway = 0
        for _ in 0..<20_000 {
            if held.isEmpty || rng.next() % 3 != 0 {
                token += 1 + rng.next() % 3   // numbers skipped now and then (another port's)
                table.insert(Int(token) * 7, at: token)
                held.append(token)
            } else {
                // Mostly one of the oldest few, as reads come back roughly in order.
                let taken = held.remove(at: Int(rng.next() % UInt64(min(held.count, 8))))
                if table.remove(taken) != Int(taken) * 7 { wrong += 1 }
                if table.remove(taken) != nil { wrong += 1 }
                if taken < 1000 { trimmedAway += 1 }
            }
        }
        for taken in held where table.remove(taken) != Int(taken) * 7 { wrong += 1 }
        #expect(wrong == 0, "every value comes back once, under its own number")
        #expect(trimmedAway > 100 && token > 10_000, "the run took old numbers out and went on long after (the table trimmed)")
        #expect(table.remove(token + 1) == nil && table.remove(0) == nil)
    }

    @Test("update changes a held value in place; a number not held gives nil")
    func update() {
        var table = TokenTable<[Int]>()
        table.insert([1], at: 4)
        #expect(table.update(4) { value -> Int in
            value.append(2)
            return value.count
        } == 2)
        #expect(table.remove(4) == [1, 2])
        #expect(table.update(4) { _ in 0 } == nil)
        #expect(table.update(3) { _ in 0 } == nil)
    }

    @Test("a descriptor's dwords from a fetch's bytes are little-endian, dword 0 first")
    func descriptorBytes() {
        let bytes: [UInt8] = (0..<32).map { UInt8($0) }
        let d = DescriptorDwords(bytes: bytes, at: 16)
        #expect(d == DescriptorDwords(0x1312_1110, 0x1716_1514, 0x1B1A_1918, 0x1F1E_1D1C))
        #expect(d.array == [0x1312_1110, 0x1716_1514, 0x1B1A_1918, 0x1F1E_1D1C])
    }
}
