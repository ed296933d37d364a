import Host
import RTL
import SMT
import Testing

/// The IOMMU's second-level translation against a walk written here from the VT-d rules, on
/// random page tables the test builds in host memory; and every fault reason's record.
@Suite("IOMMU translation")
struct IOMMUTranslationTests {
    /// Builds VT-d legacy-mode tables in host memory, table pages from `next` up.
    struct Tables {
        let memory: HostMemory
        var next: UInt64
        let root: UInt64

        init(memory: HostMemory, at base: UInt64) {
            self.memory = memory
            root = base
            next = base + 0x1000
        }

        mutating func page() -> UInt64 {
            defer { next += 0x1000 }
            return next
        }

        /// The context entry of `rid`: present, translation type, 3 or 4 levels, domain.
        mutating func context(_ rid: UInt16, levels: Int, domain: UInt16, type: UInt64 = 0, faultProcessingDisabled: Bool = false) -> UInt64 {
            let rootEntry = root + 16 * UInt64(rid >> 8)
            if memory.read64(rootEntry) & 1 == 0 { memory.write64(rootEntry, page() | 1) }
            let entry = (memory.read64(rootEntry) & ~0xFFF) + 16 * UInt64(rid & 0xFF)
            let top = page()
            memory.write64(entry, top | type << 2 | (faultProcessingDisabled ? 2 : 0) | 1)
            memory.write64(entry + 8, UInt64(levels - 2) | UInt64(domain) << 8)
            return top
        }

        /// Maps `iova` to `hpa` (4 KiB, or 2 MiB with `large`) in the tables under `top`.
        mutating func map(top: UInt64, levels: Int, iova: UInt64, hpa: UInt64, large: Bool, read: Bool, write: Bool) {
            var table = top
            for level in stride(from: levels, to: large ? 2 : 1, by: -1) {
                let slot = table + 8 * ((iova >> UInt64(12 + 9 * (level - 1))) & 0x1FF)
                if memory.read64(slot) & 3 == 0 { memory.write64(slot, page() | 3) }
                table = memory.read64(slot) & 0x000F_FFFF_FFFF_F000
            }
            let level = large ? 2 : 1
            let slot = table + 8 * ((iova >> UInt64(12 + 9 * (level - 1))) & 0x1FF)
            memory.write64(slot, hpa | (large ? 0x80 : 0) | (write ? 2 : 0) | (read ? 1 : 0))
        }
    }

    /// Where a request goes: a host address, or a fault.
    enum Outcome: Equatable {
        case host(UInt64)
        case fault(SecondLevelTranslation.Reason)
    }

    /// The walk, written from the rules with ifs: the host address or the fault reason.
    static func reference(_ memory: HostMemory, root: UInt64, rid: UInt16, address: UInt64, write: Bool) -> Outcome {
        let mask: UInt64 = 0x000F_FFFF_FFFF_F000
        func load(_ a: UInt64) -> UInt64? { a < memory.size - 7 ? memory.read64(a) : nil }
        guard let rootEntry = load((root & mask) + 16 * UInt64(rid >> 8)) else { return .fault(.rootTableAccess) }
        guard rootEntry & 1 == 1 else { return .fault(.rootNotPresent) }
        let contextAt = (rootEntry & mask) + 16 * UInt64(rid & 0xFF)
        guard let low = load(contextAt), let high = load(contextAt + 8) else { return .fault(.contextTableAccess) }
        guard low & 1 == 1 else { return .fault(.contextNotPresent) }
        let type = (low >> 2) & 3, width = high & 7
        if type == 3 || (type != 2 && width != 1 && width != 2) { return .fault(.invalidContext) }
        if type == 2 { return .host(address) }
        let levels = Int(width) + 2
        if address >> UInt64(30 + 9 * Int(width)) != 0 { return .fault(.addressBeyondWidth) }
        var table = low & mask
        var canRead = true, canWrite = true
        for level in stride(from: levels, through: 1, by: -1) {
            let shift = UInt64(12 + 9 * (level - 1))
            guard let entry = load(table + 8 * ((address >> shift) & 0x1FF)) else { return .fault(.pagingEntryAccess) }
            canRead = canRead && entry & 1 == 1
            canWrite = canWrite && entry & 2 == 2
            if entry & 3 == 0 { break }
            if level >= 3 && entry & 0x80 != 0 { return .fault(.reservedInPagingEntry) }
            if level == 1 || (level == 2 && entry & 0x80 != 0) {
                guard write ? canWrite : canRead else { break }
                let offset: UInt64 = (1 << shift) - 1
                return .host((entry & mask & ~offset) | (address & offset))
            }
            table = entry & mask
        }
        return .fault(write ? .writeDenied : .readDenied)
    }

    static func translate(_ memory: HostMemory, root: UInt64, rid: UInt16, address: UInt64, write: Bool, type: UInt64 = 0) -> Outcome {
        let r = SecondLevelTranslation.translate(rootTable: Bits(root), .init(requester: Bits(UInt64(rid)), address: Bits(address), write: Bit(write),
                                                                             addressType: Bits(type)), tables: HostMemoryTables(memory))
        return r.allowed.isSet ? .host(r.hostAddress.value) : .fault(SecondLevelTranslation.Reason(rawValue: UInt8(r.fault.value))!)
    }

    @Test("random page tables (3- and 4-level, 4 KiB and 2 MiB pages, every permission): the walk agrees with the reference on 20,000 addresses, mapped and not",
          arguments: [3, 4])
    func randomTables(_ levels: Int) {
        var rng = DeterministicRNG(seed: UInt64(levels) * 77)
        let memory = HostMemory(size: 1 << 36)
        var tables = Tables(memory: memory, at: 0x1_0000_0000)
        let rids: [UInt16] = [0x0180, 0x0182, 0x0281]
        var mappings: [(rid: UInt16, iova: UInt64, hpa: UInt64, large: Bool, read: Bool, write: Bool)] = []
        let widthBits = UInt64(levels == 3 ? 39 : 48)
        for (k, rid) in rids.enumerated() {
            let top = tables.context(rid, levels: levels, domain: UInt16(k + 1))
            for _ in 0..<200 {
                let large = rng.next() % 4 == 0
                let size: UInt64 = large ? 1 << 21 : 1 << 12
                let iova = (rng.next() % (1 << widthBits)) & ~(size - 1)
                let hpa = (rng.next() % (1 << 35)) & ~(size - 1)
                let permission = rng.next() % 4
                // Skip an IOVA whose region another mapping of this requester already holds.
                guard !mappings.contains(where: { $0.rid == rid && ($0.iova >> 21 == iova >> 21) }) else { continue }
                tables.map(top: top, levels: levels, iova: iova, hpa: hpa, large: large, read: permission & 1 == 1, write: permission & 2 == 2)
                mappings.append((rid, iova, hpa, large, permission & 1 == 1, permission & 2 == 2))
            }
        }
        var checked = 0, translated = 0
        for n in 0..<20_000 {
            let rid = n % 7 == 0 ? UInt16(0x0300 + n % 5) : rids[n % rids.count]
            let write = rng.next() % 2 == 0
            let address: UInt64
            if n % 2 == 0, let m = mappings.filter({ $0.rid == rid }).randomElement(using: &rng) {
                address = m.iova + rng.next() % (m.large ? 1 << 21 : 1 << 12)
            } else {
                address = rng.next() % (n % 3 == 0 ? UInt64.max : 1 << (widthBits + 1))
            }
            let ours = Self.translate(memory, root: tables.root, rid: rid, address: address, write: write)
            let theirs = Self.reference(memory, root: tables.root, rid: rid, address: address, write: write)
            #expect(ours == theirs, "rid 0x\(String(rid, radix: 16)) \(write ? "write" : "read") 0x\(String(address, radix: 16))")
            if case .host = ours { translated += 1 }
            checked += 1
        }
        // And the mappings themselves, from the builder's side.
        for m in mappings {
            let offset = UInt64(0x123)
            let expected: Outcome = m.read ? .host(m.hpa + offset) : .fault(.readDenied)
            #expect(Self.translate(memory, root: tables.root, rid: m.rid, address: m.iova + offset, write: false) == expected)
        }
        #expect(checked == 20_000 && translated > 2_000, "\(translated) translated")
    }

    /// One IOMMU over fresh tables with requester 0x0180 mapped at IOVA 0x4000 read-only (3-level).
    static func iommu() -> (IOMMU, Tables, UInt64) {
        let memory = HostMemory(size: 1 << 32)
        var tables = Tables(memory: memory, at: 0x10_0000)
        let top = tables.context(0x0180, levels: 3, domain: 1)
        tables.map(top: top, levels: 3, iova: 0x4000, hpa: 0x80_0000, large: false, read: true, write: false)
        let iommu = IOMMU(memory: memory)
        iommu.rootTable = tables.root
        iommu.translationEnabled = true
        return (iommu, tables, top)
    }

    typealias Reason = SecondLevelTranslation.Reason

    @Test("every fault reason: the request is blocked and the record holds the reason, the source-id, the page and read or write",
          arguments: Reason.allCases.filter { $0 != .none })
    func faultRecords(_ reason: Reason) throws {
        var (iommu, tables, top) = Self.iommu()
        let memory = iommu.memory
        var rid: UInt16 = 0x0180, address: UInt64 = 0x4010, write = false, type: UInt8 = 0
        switch reason {
        case .none: return
        case .rootNotPresent: rid = 0x0500
        case .contextNotPresent: rid = 0x0188
        case .invalidContext:
            _ = tables.context(0x0190, levels: 5, domain: 2)                  // AW 3: 5-level, not supported
            rid = 0x0190
        case .addressBeyondWidth: address = 1 << 39
        case .writeDenied: write = true
        case .readDenied: address = 0x5000
        case .pagingEntryAccess:
            memory.write64(top + 8 * 1, 0x1_0000_0000 | 3)                     // level-3 entry 1 points beyond memory
            address = 1 << 30
        case .rootTableAccess: iommu.rootTable = 0x2_0000_0000
        case .contextTableAccess:
            memory.write64(tables.root + 16 * 6, 0x1_0000_0000 | 1)            // bus 6's context table beyond memory
            rid = 0x0600
        case .reservedInPagingEntry:
            memory.write64(top + 8 * 2, tables.page() | 0x83)                 // PS at level 3: no 1 GiB pages
            address = 2 << 30
        case .translationTypeBlocked: type = 2                                 // translated, context TT 00
        }
        let result = iommu.translate(requester: rid, address: address, write: write, addressType: type, clock: 77)
        #expect(result == nil, "blocked")
        let record = try #require(iommu.faults.last)
        #expect(record == FaultRecord(clock: 77, sourceID: rid, address: address & ~0xFFF, reason: reason, isWrite: write))
        let (low, high) = record.register
        #expect(low == address & ~0xFFF && high >> 63 == 1 && UInt8(truncatingIfNeeded: high >> 32) == reason.rawValue && UInt16(truncatingIfNeeded: high) == rid)
        #expect(FaultRecord(register: low, high, clock: 77) == record, "the register decodes back")
    }

    @Test("a mapped read goes through; Fault Processing Disable blocks without a record; a full fault log sets Primary Fault Overflow")
    func recordingRules() {
        var (iommu, tables, _) = Self.iommu()
        #expect(iommu.translate(requester: 0x0180, address: 0x4abc, write: false, clock: 1) == 0x80_0abc)
        #expect(iommu.faults.isEmpty)
        _ = tables.context(0x0181, levels: 3, domain: 3, faultProcessingDisabled: true)
        #expect(iommu.translate(requester: 0x0181, address: 0x4000, write: false, clock: 2) == nil && iommu.faults.isEmpty)
        for k in 0..<(iommu.faultRecords + 3) { _ = iommu.translate(requester: 0x0180, address: 0x4000, write: true, clock: UInt64(k)) }
        #expect(iommu.faults.count == iommu.faultRecords && iommu.primaryFaultOverflow)
        iommu.clearFaults()
        #expect(iommu.faults.isEmpty && !iommu.primaryFaultOverflow)
    }

    /// The configured tables as terms: a read is a choice among the words the tables hold
    /// (zero elsewhere in memory; failed beyond it), as the prover will read them.
    struct SymbolicTables: TranslationTables {
        let words: [(UInt64, UInt64)]
        let size: UInt64
        func read(_ address: Bits<Symbolic, 64>) -> (value: Bits<Symbolic, 64>, ok: Bit<Symbolic>) {
            let value = words.reduce(Bits<Symbolic, 64>.zero) { mux(address .== Bits($1.0), Bits($1.1), $0) }
            return (value, address .< Bits(size - 7))
        }
    }

    @Test("the same walk on Z3 terms: every address of the mapped page reads into the host page and no write gets through; the claim that the requester reaches nothing fails with an address in that page")
    func symbolicWalk() throws {
        let (_, tables, top) = Self.iommu()
        let memory = tables.memory
        // Every 64-bit word the tables hold: the root table, the context table, the walk's pages.
        var words: [(UInt64, UInt64)] = []
        for page in stride(from: tables.root, to: tables.next, by: 0x1000) {
            for a in stride(from: page, to: page + 0x1000, by: 8) where memory.read64(a) != 0 { words.append((a, memory.read64(a))) }
        }
        #expect(words.count >= 5 && top > tables.root)
        let reader = SymbolicTables(words: words, size: memory.size)
        let outcomes = try withProof { proof in
            let address = try proof.variable("address", as: Bits<Symbolic, 64>.self)
            func walk(write: Bool) -> SecondLevelTranslation.Result<Symbolic> {
                SecondLevelTranslation.translate(rootTable: Bits(tables.root), .init(requester: Bits(0x0180), address: address, write: Bit(write)), tables: reader)
            }
            let inPage = (address >> Bits(12)) .== Bits(0x4)
            let read = walk(write: false), write = walk(write: true)
            let reads = try proof.check(read.allowed & (read.hostAddress .== Bits(0x80_0000) + (address & Bits(0xFFF))), assuming: [inPage])
            let writes = try proof.check(write.fault .== Bits(UInt64(Reason.writeDenied.rawValue)), assuming: [inPage])
            let nothing = try proof.check(~read.allowed)
            return [reads, writes, nothing]
        }
        #expect(outcomes[0].result == .proved && outcomes[1].result == .proved, "\(outcomes.map(\.result))")
        let counterexample = try #require(outcomes[2].result.counterexample, "expected to fail: page 0x4000 is mapped")
        #expect(counterexample["address"].map { $0 >> 12 == 0x4 } == true, "\(counterexample)")
    }
}
