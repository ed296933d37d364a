import NIC
import PCIe
import Testing

/// The device's PCIe requests at the TLP level: what the DMA engine puts on the link for a
/// transfer, and how it puts read completions back together.
@Suite("DMA requester")
struct DMARequesterTests {
    /// Every request the requester has queued, in issue order (reads take tags as they go).
    static func drain(_ r: inout DMARequester) -> [TLP] {
        var out: [TLP] = []
        while let tlp = r.next() { out.append(tlp) }
        return out
    }

    /// The bytes a memory write carries, by address (only enabled bytes).
    static func bytes(of tlp: TLP) -> [(UInt64, UInt8)] {
        var out: [(UInt64, UInt8)] = []
        for (k, dw) in tlp.payload.enumerated() {
            let enables = k == 0 ? tlp.firstBE : k == tlp.length - 1 ? tlp.lastBE : 0xF
            for b in 0..<4 where enables >> UInt8(b) & 1 == 1 {
                out.append((tlp.address + UInt64(4 * k + b), UInt8(truncatingIfNeeded: dw >> UInt32(8 * b))))
            }
        }
        return out
    }

    @Test("writes: split at Max Payload Size and at every 4 KiB boundary, byte enables at unaligned ends, bytes and order kept, every TLP well-formed",
          arguments: [(0x1000 as UInt64, 1000, 128), (0x1F83, 300, 256), (0x2FFE, 9, 512), (0x10_0003, 1, 128), (0xFFF, 4097, 4096)])
    func writeSplitting(_ address: UInt64, _ length: Int, _ mps: Int) {
        var r = DMARequester(settings: .init(maxPayload: mps, maxReadRequest: 512, tags: 32))
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 31 + 5) }
        r.write(requester: 0x0182, address: address, bytes: data[...])
        let tlps = Self.drain(&r)
        var written: [(UInt64, UInt8)] = []
        for tlp in tlps {
            let carried = Self.bytes(of: tlp)
            #expect(tlp.kind == .memoryWrite && tlp.requesterID == 0x0182)
            #expect(carried.count <= mps, "no payload larger than MPS \(mps)")
            let first = carried.first!.0, last = carried.last!.0
            #expect(first >> 12 == last >> 12, "a TLP at 0x\(String(first, radix: 16)) crosses a 4 KiB boundary")
            #expect(TLP.decode(tlp.encode()) == .success(tlp), "well-formed on the wire")
            written += carried
        }
        #expect(written.map(\.0) == (0..<UInt64(length)).map { address + $0 }, "contiguous, in order")
        #expect(written.map(\.1) == data)
        let expected = DMARequester.chunks(address: address, length: length, limit: mps).count
        #expect(tlps.count == expected)
        if address == 0x1F83 { #expect(tlps.map { Self.bytes(of: $0).count } == [125, 175], "125 bytes to the boundary, then the rest") }
    }

    @Test("reads: split at Max Read Request Size and 4 KiB; at most `tags` outstanding; a tag comes back with its last completion")
    func readSplittingAndTags() {
        var r = DMARequester(settings: .init(maxPayload: 128, maxReadRequest: 512, tags: 4))
        r.read(requester: 0x0180, address: 0x7F00, length: 2000, owner: 1)   // 256 to the boundary, then 512, 512, 512, 208
        r.read(requester: 0x0180, address: 0x9000, length: 100, owner: 2)
        let first = Self.drain(&r)
        #expect(first.count == 4, "four tags, four reads on the link")
        #expect(first.map { 4 * $0.length } == [256, 512, 512, 512])
        #expect(Set(first.map(\.tag)).count == 4 && r.tagStalls > 0)
        #expect(first.allSatisfy { $0.kind == .memoryRead && $0.requesterID == 0x0180 && TLP.decode($0.encode()) == .success($0) })
        // The first read's completions, split by the root complex at 128 bytes: the tag is
        // free only after the last one.
        let completions = FabricNode.readCompletions(first[0], completer: 0, chunk: 128) { _ in 0x0102_0304 }
        #expect(completions.count == 2)
        r.complete(completions[0])
        #expect(r.next() == nil, "still four tags in use")
        r.complete(completions[1])
        let next = r.next()
        #expect(next?.address == 0x8000 + 3 * 512 && next?.tag == first[0].tag, "the freed tag carries the next read")
    }

    @Test("completions out of order, several per request: each read's data comes back whole, in the order the reads were asked for")
    func reassemblyInOrder() {
        var r = DMARequester(settings: .init(maxPayload: 256, maxReadRequest: 256, tags: 32))
        let memory: (UInt64) -> UInt32 = { UInt32(truncatingIfNeeded: $0 &* 0x9E37_79B9) }
        func expected(_ address: UInt64, _ length: Int) -> [UInt8] {
            (0..<length).map { k in
                let a = address + UInt64(k)
                return UInt8(truncatingIfNeeded: memory(a & ~3) >> UInt32(8 * (a & 3)))
            }
        }
        let reads: [(UInt64, Int)] = [(0x1002, 700), (0x3FF0, 40), (0x5000, 3), (0x6001, 257)]
        for (k, read) in reads.enumerated() { r.read(requester: 0x0100, address: read.0, length: read.1, owner: UInt64(k)) }
        let requests = Self.drain(&r)
        var completions = requests.flatMap { FabricNode.readCompletions($0, completer: 0, chunk: 64, memory: memory) }
        #expect(completions.count > requests.count, "the root complex split them")
        // Completions of different requests in reverse; those of one request stay in address
        // order (PCIe Base 4.0 §2.4.1).
        let byTag = Dictionary(grouping: completions, by: \.tag)
        completions = requests.reversed().flatMap { byTag[$0.tag]! }
        var finished: [DMARequester.Finished] = []
        let firstReadsTags = Set(requests.prefix(3).map(\.tag))   // read 0 (700 bytes) took three requests
        for c in completions {
            r.complete(c)
            let done = r.finished()
            #expect(done.isEmpty || firstReadsTags.contains(c.tag), "nothing comes back before read 0 is whole")
            finished += done
        }
        #expect(finished.map(\.owner) == [0, 1, 2, 3], "handed back in the order asked for")
        for (k, read) in reads.enumerated() { #expect(finished[k].outcome == .data(expected(read.0, read.1)), "read \(k) byte-exact") }
        #expect(r.idle && r.unexpectedCompletions == 0)
    }

    @Test("a UR or CA completion fails its read (and frees its tag); a completion for no outstanding tag is counted and dropped")
    func failedCompletions() {
        var r = DMARequester(settings: .init(maxPayload: 128, maxReadRequest: 512, tags: 2))
        r.read(requester: 0x0100, address: 0x1000, length: 64, owner: 7)
        r.read(requester: 0x0100, address: 0x2000, length: 64, owner: 8)
        let requests = Self.drain(&r)
        r.complete(TLP(kind: .completion, requesterID: 0x0100, tag: requests[0].tag, status: .unsupportedRequest, byteCount: 4))
        r.complete(TLP(kind: .completion, requesterID: 0x0100, tag: requests[1].tag, status: .completerAbort, byteCount: 4))
        r.complete(TLP(kind: .completionWithData, requesterID: 0x0100, tag: 99, length: 1, byteCount: 4, payload: [0]))
        let finished = r.finished()
        #expect(finished.map(\.outcome) == [.failed(.unsupportedRequest), .failed(.completerAbort)])
        #expect(r.unexpectedCompletions == 1 && r.failedReads == 2 && r.tagsInUse == 0)
    }
}
