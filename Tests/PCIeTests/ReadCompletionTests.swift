@testable import PCIe
import RTL
import Testing

/// The root complex's answers to memory reads (PCIe Base 4.0 §2.3.1.1).
@Suite("Read completions")
struct ReadCompletionTests {
    @Test("the completions the root complex checks room for are the ones it then sends, for any span, byte enables and completion boundary")
    func countMatches() {
        var rng = DeterministicRNG(seed: 11)
        var mismatches: [String] = []
        for _ in 0..<3000 {
            let length = Int(1 + rng.next() % 128)
            let firstBE = UInt8(rng.next() % 16), lastBE = length == 1 ? 0 : UInt8(1 + rng.next() % 15)
            let tlp = TLP(kind: .memoryRead, requesterID: 0x100, length: length, firstBE: firstBE, lastBE: lastBE, address: rng.next() % 0x10_0000 & ~3)
            for chunk in [64, 128, 256] {
                let sent = FabricNode.readCompletions(tlp, completer: 0, chunk: chunk) { _ in 0 }.count
                let counted = FabricNode.readCompletionCount(tlp, chunk: chunk)
                if sent != counted { mismatches.append("\(tlp) chunk \(chunk): \(counted) counted, \(sent) sent") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
}
