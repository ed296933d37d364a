import Host
import RTL
import SMT

/// DMA isolation (DESIGN.md §5): every request a function assigned to a VM can issue — any
/// address, read or write — reaches only host pages of that VM, or is blocked. Evaluated through
/// the functions the IOMMU runs: `CachedTranslation` on the IOTLB and context cache as they are
/// at the clock of the proof, then `SecondLevelTranslation` on the tables the VMM wrote, read as
/// terms from a snapshot of the pages the function's walk can reach. The host pages a request
/// can reach are the targets of those tables' present leaf entries (4 KiB pages and 2 MiB
/// superpages) and of the IOTLB's entries: the proof asks whether some address reaches one of
/// them that another owner holds, split by the tables' structure (`Part`).
extension PlatformProofs {
    /// The snapshot's qwords as terms: the word at `address` is selected by its page, then by
    /// its index in the page; a page outside the snapshot reads zero.
    struct SnapshotTables: TranslationTables {
        let pages: [(page: UInt64, words: [UInt64])]
        let memorySize: UInt64

        func read(_ address: Bits<Symbolic, 64>) -> (value: Bits<Symbolic, 64>, ok: Bit<Symbolic>) {
            let page = address >> Bits(12), index = (address >> Bits(3)) & Bits(0x1FF)
            var value = Bits<Symbolic, 64>.zero
            for (p, words) in pages.reversed() {
                var word = Bits<Symbolic, 64>.zero
                for k in words.indices.reversed() where words[k] != 0 { word = mux(index .== Bits(UInt64(k)), Bits(words[k]), word) }
                value = mux(page .== Bits(p), word, value)
            }
            return (value, address .< Bits(memorySize &- 7))
        }
    }

    /// The same snapshot for the concrete replay of a counterexample.
    struct ConcreteSnapshot: TranslationTables {
        let state: DMAState
        func read(_ address: Bits<Concrete, 64>) -> (value: Bits<Concrete, 64>, ok: Bit<Concrete>) {
            (Bits(state.read64(address.value)), Bit(address.value < state.memorySize &- 7))
        }
    }

    /// A part of the IOVA space, fixed by the walk's table indices, and what a walk of it can
    /// read and reach: the proof is split by the structure of the function's tables (one part
    /// per leaf table, one per table for the indices that lead to no further table), every
    /// part still symbolic in every address bit it does not fix, the parts together covering
    /// every address.
    struct Part {
        /// (shift, index): address bits shift+8...shift equal index.
        var fixed: [(shift: Int, index: UInt64)] = []
        /// (shift, indices): address bits shift+8...shift equal none of the indices.
        var excluded: (shift: Int, indices: [UInt64])?
        /// Table pages the walk reads here (root and context pages first).
        var pages: [UInt64]
        /// Host pages the tables give here, as (first, count) runs.
        var targets: [(first: UInt64, count: UInt64)] = []
    }

    /// The parts of `rid`'s IOVA space, following its root and context entries into its
    /// domain's tree; `read64` reads the tables (host memory, or a snapshot of it).
    static func parts(rid: UInt16, rootTable: UInt64, read64: (UInt64) -> UInt64) -> [Part] {
        let mask = SecondLevelTranslation.addressMask
        let root = rootTable >> 12
        let rootEntry = read64(rootTable + 16 * UInt64(rid >> 8))
        guard rootEntry & 1 != 0 else { return [Part(pages: [root])] }
        let context = (rootEntry & mask) + 16 * UInt64(rid & 0xFF)
        let low = read64(context), high = read64(context + 8)
        let base = [root, context >> 12]
        guard low & 1 != 0 else { return [Part(pages: base)] }
        var parts: [Part] = []
        func descend(_ page: UInt64, level: Int, fixed: [(shift: Int, index: UInt64)], pages: [UInt64]) {
            let shift = 12 + 9 * (level - 1)
            var here = Part(fixed: fixed, pages: pages + [page])
            var children: [UInt64] = []
            for k in 0..<UInt64(512) {
                let entry = read64(page << 12 + 8 * k)
                guard entry & 3 != 0 else { continue }
                let target = (entry & mask) >> 12
                if level == 1 {
                    here.targets.append((target, 1))
                } else if level == 2, entry & 0x80 != 0 {
                    here.targets.append((target & ~0x1FF, 512))
                } else {
                    children.append(k)
                    descend(target, level: level - 1, fixed: fixed + [(shift, k)], pages: pages + [page])
                }
            }
            if !children.isEmpty { here.excluded = (shift, children) }
            parts.append(here)
        }
        descend((low & mask) >> 12, level: Int(high & 7) + 2, fixed: [], pages: base)
        return parts
    }

    static func dmaIsolation(_ dma: DMAState, limits: SolverLimits) throws -> [PropertyResult] {
        guard dma.translationEnabled else { return [] }
        var results: [PropertyResult] = []
        let entries = dma.iotlb.map(CachedTranslation.Entry<Symbolic>.init)
        for f in dma.functions {
            // The IOTLB entries the function's requests can hit: its cached domain's.
            let domain = dma.contexts[f.rid]
            let cached = dma.iotlb.filter { $0.domain == domain }.map { (first: $0.hostPage, count: UInt64(1)) }
            var outcomes: [ProofOutcome] = []
            for part in parts(rid: f.rid, rootTable: dma.rootTable, read64: dma.read64) {
                // Another owner's pages among those this part can reach (the IOTLB's included).
                // None: the part needs no query. This rests on the walk giving only pages its
                // present entries name (and the IOTLB its entries' pages); checking that by the
                // solver too, per part, is the next step (a walk that ignored the present bit
                // would not show on a clean configuration today).
                let foreign = (part.targets + cached).filter { run in (0..<run.count).contains { dma.owners[run.first + $0] != f.vm } }
                guard !foreign.isEmpty else { continue }
                let tables = SnapshotTables(pages: part.pages.compactMap { p in dma.pages[p].map { (p, $0) } }, memorySize: dma.memorySize)
                outcomes.append(try withProof(limits: limits) { proof in
                    let address = try proof.variable("iova", as: Bits<Symbolic, 64>.self)
                    let write = try proof.variable("write", as: Bit<Symbolic>.self)
                    func index(_ shift: Int) -> Bits<Symbolic, 64> { (address >> Bits(UInt64(shift))) & Bits(0x1FF) }
                    var inPart = part.fixed.map { index($0.shift) .== Bits($0.index) }
                    if let excluded = part.excluded { inPart += excluded.indices.map { index(excluded.shift) .!= Bits($0) } }
                    let (allowed, host) = translate(f, dma, address: address, write: write, tables: tables, entries: entries)
                    let page = host >> Bits(12)
                    var lands = Bit<Symbolic>(0)
                    for run in foreign { lands = lands | ((page .>= Bits(run.first)) & (page .< Bits(run.first + run.count))) }
                    return try proof.check(~(allowed & lands), assuming: inPart)
                })
                if outcomes.last?.result.counterexample != nil { break }
            }
            // Every part discharged by its tables: the query that remains says so (no page of
            // another owner is reachable, so no request lands on one).
            if outcomes.isEmpty { outcomes.append(try withProof(limits: limits) { try $0.check(Bit(1)) }) }
            let outcome = ProofOutcome.all(outcomes)
            results.append(PropertyResult(family: "DMA isolation", subject: f.name, property: "every request of \(f.vm)'s \(f.name) reaches only \(f.vm)'s pages or is blocked",
                                          outcome: outcome, explanation: outcome.result.counterexample.map { explainDMA($0, f, dma) },
                                          replay: outcome.result.counterexample.flatMap { $0["iova"] }.map { (f.name, $0 & ~3) }))
        }
        return results
    }

    /// What the IOMMU does with an untranslated request of `f`: the IOTLB, else the walk.
    static func translate<A, T: TranslationTables>(_ f: DMAState.Function, _ dma: DMAState, address: Bits<A, 64>, write: Bit<A>, tables: T,
                                                   entries: [CachedTranslation.Entry<A>]) -> (allowed: Bit<A>, host: Bits<A, 64>) where T.A == A {
        let cachedDomain = dma.contexts[f.rid]
        let cache = CachedTranslation.lookup(domain: Bits(UInt64(cachedDomain ?? 0)), cached: Bit(cachedDomain != nil), address: address, write: write,
                                             entries: entries)
        let walk = SecondLevelTranslation.translate(rootTable: Bits(dma.rootTable), .init(requester: Bits(UInt64(f.rid)), address: address, write: write),
                                                    tables: tables)
        return (cache.hit | walk.allowed, mux(cache.hit, cache.hostAddress, walk.hostAddress))
    }

    /// The counterexample replayed on the concrete functions: which request, through which
    /// cache or table, to whose page.
    static func explainDMA(_ cex: Counterexample, _ f: DMAState.Function, _ dma: DMAState) -> String {
        let address = cex["iova"] ?? 0
        let entries = dma.iotlb.map(CachedTranslation.Entry<Concrete>.init)
        func concrete(_ write: Bool, cache: [CachedTranslation.Entry<Concrete>]) -> (allowed: Bool, host: Bits<Concrete, 64>) {
            let r = translate(f, dma, address: Bits<Concrete, 64>(address), write: Bit(write), tables: ConcreteSnapshot(state: dma), entries: cache)
            return (r.allowed.isSet, r.host)
        }
        // A write where the same address lets one through (what the replay sends), else the read.
        let asWrite = concrete(true, cache: entries), write = cex["write"] == 1 || (asWrite.allowed && dma.owners[asWrite.host.value >> 12] != f.vm)
        let host = concrete(write, cache: entries).host
        let cached = dma.contexts[f.rid].map { d in dma.iotlb.contains { $0.domain == d && $0.page == address >> 12 } } ?? false
        // Stale: the tables alone would not give that page (they no longer map it, or map it elsewhere).
        let walked = concrete(write, cache: [])
        let via = !cached ? "its domain's tables give" : walked.allowed && walked.host == host ? "an IOTLB entry gives"
            : "a stale IOTLB entry (the tables \(walked.allowed ? "now map it elsewhere" : "no longer map it")) gives"
        let page = host.value >> 12
        let owner = dma.owners[page] ?? (dma.pages[page] != nil ? "the VMM" : "no VM (free)")
        return "\(f.name) (\(f.vm)) \(write ? "writes" : "reads") IOVA 0x\(String(address, radix: 16)): \(via) host page 0x\(String(page << 12, radix: 16)), which belongs to \(owner)"
    }

    /// "4 functions of 2 VMs, IOTLB 12 entries" for the coverage line.
    static func dmaCoverage(_ dma: DMAState?) -> [String] {
        guard let dma, dma.translationEnabled, !dma.functions.isEmpty else { return [] }
        let vms = Set(dma.functions.map(\.vm)).count
        return ["\(dma.functions.count) function\(dma.functions.count == 1 ? "" : "s") of \(vms) VM\(vms == 1 ? "" : "s") at clock \(dma.clock) (IOTLB \(dma.iotlb.count) entries, context cache \(dma.contexts.count))"]
    }
}
