import PCIe
import RTL

/// The device's side of PCIe requests it masters (PCIe Base 4.0 §2.2.5, §2.2.7, §2.3.1.1, §2.4):
/// DMA writes split into memory writes no larger than Max Payload Size that never cross a
/// 4 KiB boundary, with byte enables for unaligned starts and ends; DMA reads split into memory
/// reads no larger than Max Read Request Size, each holding a tag until its last completion
/// (at most `tags` outstanding); completions matched by tag, checked (status, byte count),
/// and the reads' data handed back in the order the reads were asked for, whatever order
/// their completions come in. Every request carries the requester ID it was asked with.
///
/// Posted requests go first: PCIe lets a posted write pass a read, never the reverse, so a
/// read issued after a write never overtakes it (§2.4.1).
public struct DMARequester: Sendable {
    /// Link settings: from the PF's Device Control (Max Payload Size, Max Read Request Size,
    /// Extended Tag Field Enable: 32 tags without it, 256 with it), capped by the model.
    public struct Settings: Sendable, Equatable {
        public var maxPayload: Int
        public var maxReadRequest: Int
        public var tags: Int
        public init(maxPayload: Int = 128, maxReadRequest: Int = 512, tags: Int = 32) {
            self.maxPayload = maxPayload
            self.maxReadRequest = maxReadRequest
            self.tags = tags
        }
    }

    /// What became of a read.
    public enum Outcome: Sendable, Equatable {
        case data([UInt8])
        /// A completion came back unsuccessful (UR, CA) or malformed.
        case failed(TLP.CompletionStatus)
    }

    /// A finished read: whose it was (`owner`, the caller's token) and its outcome.
    public struct Finished: Sendable {
        public let owner: UInt64
        public let requester: UInt16
        public let outcome: Outcome
    }

    struct Read {
        let owner: UInt64
        let requester: UInt16
        var data: [UInt8]
        /// Requests of this read not yet fully completed.
        var pendingRequests: Int
        var failure: TLP.CompletionStatus?

        /// `count` bytes of a completion's payload from byte lane `lane` on, into the data at `offset`.
        mutating func take(_ payload: [UInt32], lane: Int, count: Int, at offset: Int) {
            #if _endian(little)
            // A dword's bytes lie in memory in lane order: one copy.
            if count > 0, lane >= 0, lane + count <= 4 * payload.count, offset >= 0, offset + count <= data.count {
                payload.withUnsafeBytes { src in
                    data.withUnsafeMutableBytes { dst in
                        dst.baseAddress!.advanced(by: offset).copyMemory(from: src.baseAddress!.advanced(by: lane), byteCount: count)
                    }
                }
                return
            }
            #endif
            for k in 0..<count {
                let b = lane + k
                data[offset + k] = UInt8(truncatingIfNeeded: payload[b / 4] >> UInt32(8 * (b % 4)))
            }
        }

        /// The first failure stays.
        mutating func fail(_ status: TLP.CompletionStatus) { failure = failure ?? status }
    }

    /// An issued read request waiting for completions: which read, where in it, bytes to come.
    struct Outstanding {
        let read: UInt64
        var offset: Int
        var remaining: Int
    }

    public var settings: Settings
    var posted = FIFO<TLP>()
    var nonPosted = FIFO<(tlp: TLP, read: UInt64, offset: Int, bytes: Int)>()
    /// Issued requests waiting for completions, by tag, and how many there are.
    var outstanding: [Outstanding?] = Array(repeating: nil, count: 256)
    var tagsOutstanding = 0
    var freeTags: [UInt8]
    /// Reads asked for and not yet handed back, in the order they were asked for (read number
    /// `firstRead + k` at `k`, from `readsHead` on); finished ones are handed back from the
    /// front. Found by index: a completion comes per request.
    var reads: [Read?] = []
    var readsHead = 0
    var firstRead: UInt64 = 0
    /// Counters.
    public private(set) var writesIssued: UInt64 = 0
    public private(set) var readsIssued: UInt64 = 0
    public private(set) var completionsReceived: UInt64 = 0
    public private(set) var unexpectedCompletions: UInt64 = 0
    public private(set) var failedReads: UInt64 = 0
    public private(set) var tagStalls: UInt64 = 0

    // ATS (PCIe ATS 1.1 §2-§3): the functions with ATS enabled and their caches.
    /// The Address Translation Cache of each requester with ATS enabled.
    public internal(set) var atc: [UInt16: DeviceATC] = [:]
    /// A model of a device bug: Invalidate Requests are taken and neither applied nor completed.
    public var ignoresInvalidations = false
    /// Translation requests in flight, by tag: (requester, page).
    var translating: [ATCKey?] = Array(repeating: nil, count: 256)
    /// Pages the IOMMU gave no translation for (R = W = 0): the request waiting for it fails.
    var untranslatable: Set<ATCKey> = []
    public private(set) var translationRequests: UInt64 = 0
    public private(set) var translatedRequests: UInt64 = 0
    public private(set) var translationFailures: UInt64 = 0
    public private(set) var invalidationsApplied: UInt64 = 0

    struct ATCKey: Hashable, Sendable {
        let requester: UInt16
        let page: UInt64
    }

    public init(settings: Settings = Settings()) {
        self.settings = settings
        freeTags = (0..<UInt8(clamping: max(1, min(256, settings.tags)))).reversed()
    }

    /// Requests queued and not yet issued, and tags in use.
    public var queuedPosted: Int { posted.count }
    public var queuedReads: Int { nonPosted.count }
    public var tagsInUse: Int { tagsOutstanding }
    /// Reads asked for and not yet handed back.
    public var readsInFlight: Int { reads.count - readsHead }
    public var idle: Bool { queuedPosted == 0 && queuedReads == 0 && tagsOutstanding == 0 && readsInFlight == 0 }

    /// Where read `id` is kept in `reads`, if it is still there.
    func slot(ofRead id: UInt64) -> Int? {
        guard id >= firstRead, id - firstRead < UInt64(reads.count) else { return nil }
        let k = Int(id - firstRead)
        return k >= readsHead ? k : nil
    }

    /// Tag `tag` waits for `request`'s completions.
    mutating func hold(tag: UInt8, _ request: Outstanding) {
        if outstanding[Int(tag)] == nil { tagsOutstanding += 1 }
        outstanding[Int(tag)] = request
    }

    /// Tag `tag`'s request is complete: the tag may be used again (unless beyond a lowered limit).
    mutating func free(tag: UInt8) {
        if outstanding[Int(tag)] != nil { tagsOutstanding -= 1 }
        outstanding[Int(tag)] = nil
        if Int(tag) < settings.tags { freeTags.insert(tag, at: 0) }
    }

    /// Changes the settings (a config write to Device Control); tags beyond a lowered limit
    /// are not reused once they come back.
    public mutating func update(_ new: Settings) {
        guard new != settings else { return }
        settings = new
        let limit = max(1, min(256, new.tags))
        freeTags = (0..<limit).reversed().map { UInt8($0) }.filter { outstanding[Int($0)] == nil }
    }

    /// The chunks a transfer of `length` bytes at `address` splits into: none larger than
    /// `limit`, none crossing a 4 KiB boundary.
    public static func chunks(address: UInt64, length: Int, limit: Int) -> [(address: UInt64, length: Int)] {
        var out: [(address: UInt64, length: Int)] = []
        forEachChunk(address: address, length: length, limit: limit) { out.append($0) }
        return out
    }

    /// `body(address, length)` of each chunk, in order, without building the list.
    @inline(__always)
    static func forEachChunk(address: UInt64, length: Int, limit: Int, _ body: ((address: UInt64, length: Int)) -> Void) {
        var a = address, left = length
        while left > 0 {
            let toBoundary = Int(0x1000 - (a & 0xFFF))
            let n = min(left, limit, toBoundary)
            body((a, n))
            a &+= UInt64(n)
            left -= n
        }
    }

    /// Dword address, dword count and byte enables of a byte range in one request (§2.2.5).
    static func dwordSpan(address: UInt64, length: Int) -> (address: UInt64, dwords: Int, firstBE: UInt8, lastBE: UInt8) {
        let start = Int(address & 3)
        let dwords = (start + length + 3) / 4
        let end = (start + length - 1) % 4   // last byte's lane in the last dword
        var first = UInt8(0xF << start) & 0xF
        var last = UInt8((1 << (end + 1)) - 1)
        if dwords == 1 {
            first &= last
            last = 0
        }
        return (address & ~3, dwords, first, last)
    }

    /// Queues a DMA write of `bytes` at `address` by `requester`.
    public mutating func write(requester: UInt16, address: UInt64, bytes: ArraySlice<UInt8>) {
        var offset = bytes.startIndex
        Self.forEachChunk(address: address, length: bytes.count, limit: settings.maxPayload) { chunk in
            let span = Self.dwordSpan(address: chunk.address, length: chunk.length)
            var payload = [UInt32](copies: 0, count: span.dwords)
            let lane = Int(chunk.address & 3)
            #if _endian(little)
            // A dword's bytes lie in memory in lane order: one copy.
            bytes.withUnsafeBytes { src in
                payload.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.advanced(by: lane).copyMemory(from: src.baseAddress!.advanced(by: offset - bytes.startIndex), byteCount: chunk.length)
                }
            }
            #else
            for k in 0..<chunk.length {
                let b = lane + k
                payload[b / 4] |= UInt32(bytes[offset + k]) << UInt32(8 * (b % 4))
            }
            #endif
            offset += chunk.length
            posted.append(TLP(kind: .memoryWrite, requesterID: requester, length: span.dwords, firstBE: span.firstBE, lastBE: span.lastBE,
                              address: span.address, payload: payload))
        }
    }

    /// Queues a DMA write of dwords (descriptor write-back, MSI-X messages): one request.
    public mutating func write(requester: UInt16, address: UInt64, dwords: [UInt32]) {
        // Aligned and within one request (Max Payload Size, one 4 KiB page): the dwords are the
        // payload, every byte enabled, as the split below would make it.
        if address & 3 == 0, !dwords.isEmpty, 4 * dwords.count <= settings.maxPayload,
           (address & 0xFFF) + UInt64(4 * dwords.count) <= 0x1000 {
            posted.append(TLP(kind: .memoryWrite, requesterID: requester, length: dwords.count, firstBE: 0xF, lastBE: dwords.count > 1 ? 0xF : 0,
                              address: address, payload: dwords))
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * dwords.count)
        for dw in dwords { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: dw >> UInt32(8 * k))) } }
        write(requester: requester, address: address, bytes: bytes[...])
    }

    /// Queues a DMA read of `length` bytes at `address` by `requester`; its data comes back
    /// from `finished()` tagged with `owner`, in the order reads were asked for.
    public mutating func read(requester: UInt16, address: UInt64, length: Int, owner: UInt64) {
        let id = firstRead + UInt64(reads.count)
        var offset = 0, pieces = 0
        Self.forEachChunk(address: address, length: length, limit: settings.maxReadRequest) { chunk in
            pieces += 1
            let span = Self.dwordSpan(address: chunk.address, length: chunk.length)
            nonPosted.append((TLP(kind: .memoryRead, requesterID: requester, length: span.dwords, firstBE: span.firstBE, lastBE: span.lastBE,
                                  address: span.address), id, offset, chunk.length))
            offset += chunk.length
        }
        reads.append(Read(owner: owner, requester: requester, data: [UInt8](copies: 0, count: length), pendingRequests: pieces))
    }

    /// Turns ATS on for exactly `requesters` (their ATS Control Enable): a new one starts with an
    /// empty cache, one turned off loses its cache.
    public mutating func enableATS(_ requesters: Set<UInt16>, capacity: Int = 32) {
        for rid in atc.keys where !requesters.contains(rid) { atc[rid] = nil }
        for rid in requesters where atc[rid] == nil { atc[rid] = DeviceATC(capacity: capacity) }
    }

    /// An Invalidate Request for `requester`: the `pages` pages from `page` leave its cache.
    /// False when the device ignores it (`ignoresInvalidations`): no completion is owed then.
    public mutating func invalidate(requester: UInt16, page: UInt64, pages: UInt64) -> Bool {
        guard !ignoresInvalidations else { return false }
        atc[requester]?.invalidate(page: page, pages: pages)
        invalidationsApplied += 1
        return true
    }

    /// What the translation stage does with a request at the head of its queue.
    enum Translation {
        /// It may go (translated if its function has ATS and the cache held the page).
        case go
        /// It waits for a translation; the Translation Request to send first, if one is due.
        case wait(TLP?)
        /// The IOMMU gave no translation: the request is not sent.
        case fail
    }

    /// The translation stage: a request of a function with ATS, not yet translated and not an
    /// interrupt message, goes to the host address its cache holds, as a translated request;
    /// on a miss a Translation Request (a memory read with Address Type 01 for the page, one
    /// 8-byte Translation Completion entry) goes first and the request waits for it.
    mutating func translate(_ tlp: inout TLP) -> Translation {
        guard var cache = atc[tlp.requesterID], tlp.addressType == 0, tlp.address >> 20 != 0xFEE else { return .go }
        let key = ATCKey(requester: tlp.requesterID, page: tlp.address >> 12)
        if let host = cache.lookup(address: tlp.address, write: tlp.kind == .memoryWrite) {
            atc[tlp.requesterID] = cache
            tlp.address = host
            tlp.addressType = 2
            translatedRequests += 1
            return .go
        }
        if untranslatable.remove(key) != nil { return .fail }
        guard !translating.contains(key) else { return .wait(nil) }
        guard tagsOutstanding < settings.tags, let tag = freeTags.popLast() else {
            tagStalls += 1
            return .wait(nil)
        }
        translating[Int(tag)] = key
        hold(tag: tag, Outstanding(read: .max, offset: 0, remaining: 8))
        translationRequests += 1
        return .wait(TLP(kind: .memoryRead, requesterID: key.requester, tag: tag, length: 2, lastBE: 0xF, address: key.page << 12, addressType: 1))
    }

    /// The next request to put on the link, if one may go: a posted write, else a read when a
    /// tag is free; a Translation Request first when either waits for one.
    public mutating func next() -> TLP? {
        if var tlp = posted.first {
            switch translate(&tlp) {
            case .go: break
            case .wait(let request): return request
            case .fail:
                posted.removeFirst()
                translationFailures += 1
                return nil
            }
            posted.removeFirst()
            writesIssued += 1
            return tlp
        }
        guard let oldestRead = nonPosted.first else { return nil }
        guard tagsOutstanding < settings.tags, let tag = freeTags.popLast() else {
            tagStalls += 1
            return nil
        }
        var (tlp, read, offset, bytes) = oldestRead
        switch translate(&tlp) {
        case .go: break
        case .wait(let request):
            freeTags.append(tag)
            return request
        case .fail:
            freeTags.append(tag)
            nonPosted.removeFirst()
            translationFailures += 1
            if let k = slot(ofRead: read) {
                reads[k]!.failure = .unsupportedRequest
                reads[k]!.pendingRequests -= 1
            }
            return nil
        }
        nonPosted.removeFirst()
        tlp.tag = tag
        hold(tag: tag, Outstanding(read: read, offset: offset, remaining: bytes))
        readsIssued += 1
        return tlp
    }

    /// Takes a completion: its data goes where its tag's read wants it; the tag is free once
    /// the last byte arrived. A completion for no outstanding tag is counted and dropped; an
    /// unsuccessful or inconsistent one fails its read.
    public mutating func complete(_ tlp: TLP) {
        completionsReceived += 1
        if tlp.isCompletion, let key = translating[Int(tlp.tag)], key.requester == tlp.requesterID {
            // A Translation Completion (ATS 1.1 §2.2.2): R (bit 0), W (bit 1), the translated
            // address in bits 63:12 of the 8-byte entry; R = W = 0 or an unsuccessful status:
            // no translation.
            translating[Int(tlp.tag)] = nil
            free(tag: tlp.tag)
            let low = tlp.payload.first ?? 0, high = tlp.payload.count > 1 ? tlp.payload[1] : 0
            if tlp.status == .successful, tlp.kind == .completionWithData, low & 3 != 0 {
                atc[key.requester]?.insert(DeviceATC.Entry(page: key.page, hostPage: (UInt64(high) << 32 | UInt64(low & ~0xFFF)) >> 12,
                                                           readable: low & 1 != 0, writable: low & 2 != 0))
            } else {
                untranslatable.insert(key)
            }
            return
        }
        guard tlp.isCompletion, var o = outstanding[Int(tlp.tag)], let r = slot(ofRead: o.read), reads[r]!.requester == tlp.requesterID else {
            unexpectedCompletions += 1
            return
        }
        let lane = Int(tlp.lowerAddress & 3)
        let carried = min(o.remaining, 4 * tlp.payload.count - lane)
        let consistent = tlp.status == .successful && tlp.kind == .completionWithData && tlp.byteCount == o.remaining && carried > 0
        // The read is changed where the table holds it (a copy would copy its data).
        if consistent {
            reads[r]!.take(tlp.payload, lane: lane, count: carried, at: o.offset)
            o.offset += carried
            o.remaining -= carried
        } else {
            reads[r]!.fail(tlp.status == .successful ? .completerAbort : tlp.status)
            o.remaining = 0
        }
        if o.remaining == 0 {
            free(tag: tlp.tag)
            reads[r]!.pendingRequests -= 1
        } else {
            outstanding[Int(tlp.tag)] = o
        }
    }

    /// Reads whose data is complete (or that failed), in the order they were asked for; a read
    /// still waiting holds back the ones after it.
    public mutating func finished() -> [Finished] {
        var out: [Finished] = []
        takeFinished(into: &out)
        return out
    }

    /// The same, appended to `out` (a list the caller reuses).
    public mutating func takeFinished(into out: inout [Finished]) {
        while readsHead < reads.count, reads[readsHead]!.pendingRequests == 0 {
            let read = reads[readsHead].take()!
            readsHead += 1
            if read.failure != nil { failedReads += 1 }
            out.append(Finished(owner: read.owner, requester: read.requester, outcome: read.failure.map { .failed($0) } ?? .data(read.data)))
        }
        if readsHead > 256, readsHead * 2 > reads.count {
            reads.removeFirst(readsHead)
            firstRead += UInt64(readsHead)
            readsHead = 0
        }
    }
}
