import Host
import PCIe
import RTL
import SMT

/// DMA isolation (DESIGN.md §5): every request a function assigned to a VM can issue — any
/// address, read or write — reaches only host pages of that VM, or is blocked. Evaluated through
/// the functions the IOMMU runs: `CachedTranslation` on the IOTLB and context cache as they are
/// at the clock of the proof, then `SecondLevelTranslation` on the tables the VMM wrote, read as
/// terms from a snapshot of the pages the function's walk can reach.
///
/// The pages a VM owns are too many to name in a query (262,144 for 1 GiB), so the query says
/// "owned" through an uninterpreted predicate, assumed true of each page a table entry or an
/// IOTLB entry names that the VM owns, and asks whether an allowed request can reach a page
/// the predicate is not known to hold for: the solver may make it false anywhere else. Leaf
/// tables are read with their targets left out (`AbstractLeaves`): which entries are present
/// is exact, a present entry that maps a page of the VM reads as one free word known only to
/// be present and owned, anything else (a page of another owner, a not-present entry that is
/// not zero) as its value; so the query does not grow with the VM's memory. The root and
/// context entries and the upper tables are the snapshot's values. When that proof finds a
/// request the snapshot's values do not confirm, the function is proved again leaf table by
/// leaf table on the values alone (`Part`).
extension PlatformProofs {
    /// The snapshot's qwords as terms: the word at `address` is selected by its page, then by
    /// its index in the page; a page outside the snapshot reads zero; a page in `abstract`
    /// reads `leaf`.
    struct SnapshotTables: TranslationTables {
        let pages: [(page: UInt64, words: [UInt64])]
        let memorySize: UInt64
        /// Tables read with their entries left out, one level each.
        var abstract: [AbstractLevel] = []

        func read(_ address: Bits<Symbolic, 64>) -> (value: Bits<Symbolic, 64>, ok: Bit<Symbolic>) {
            let page = address >> Bits(12), index = (address >> Bits(3)) & Bits(0x1FF)
            var value = Bits<Symbolic, 64>.zero
            for level in abstract { value = level.read(page: page, index: index, otherwise: value) }
            for (p, words) in pages.reversed() {
                var word = Bits<Symbolic, 64>.zero
                for k in words.indices.reversed() where words[k] != 0 { word = mux(index .== Bits(UInt64(k)), Bits(words[k]), word) }
                value = mux(page .== Bits(p), word, value)
            }
            return (value, address .< Bits(memorySize &- 7))
        }
    }

    /// The tables of one level read with their entries left out: which entries are present is
    /// exact (runs of indices per group of pages alike in that), a present entry that `fits`
    /// reads `entry` (a free word the query constrains to what every fitting entry is: a page
    /// the VM owns, for leaf tables; a pointer to one of the next level's abstract tables with
    /// the entries' common flags, for level-2 tables), any other word its value, zero elsewhere.
    /// A walk reads each level once, so one word per level stands for all of its entries.
    struct AbstractLevel {
        /// (page runs, index runs): a page in the runs has its fitting entries at those indices.
        var groups: [(pages: [(first: UInt64, end: UInt64)], indices: [(first: UInt64, end: UInt64)])] = []
        var exceptions: [(page: UInt64, index: UInt64, value: UInt64)] = []
        let entry: Bits<Symbolic, 64>

        init(pages: [UInt64], dma: DMAState, entry: Bits<Symbolic, 64>, fits: (UInt64) -> Bool) {
            self.entry = entry
            var byPresence: [[UInt64]: [UInt64]] = [:]
            for page in pages {
                guard let words = dma.pages[page] else { continue }
                var present: [UInt64] = []
                for (k, word) in words.enumerated() where word != 0 {
                    if fits(word) { present.append(UInt64(k)) } else { exceptions.append((page, UInt64(k), word)) }
                }
                byPresence[present, default: []].append(page)
            }
            groups = byPresence.sorted { $0.value[0] < $1.value[0] }.map { (runs(Set($0.value)), runs(Set($0.key))) }
        }

        func read(page: Bits<Symbolic, 64>, index: Bits<Symbolic, 64>, otherwise: Bits<Symbolic, 64>) -> Bits<Symbolic, 64> {
            let present = Bit<Symbolic>.any(groups.map { within(page, $0.pages) & within(index, $0.indices) })
            var value = mux(present, entry, otherwise)
            for e in exceptions.reversed() { value = mux((page .== Bits(e.page)) & (index .== Bits(e.index)), Bits(e.value), value) }
            return value
        }
    }

    /// `x` is in one of `runs` (half-open).
    static func within(_ x: Bits<Symbolic, 64>, _ runs: [(first: UInt64, end: UInt64)]) -> Bit<Symbolic> {
        Bit.any(runs.map { (x .>= Bits($0.first)) & (x .< Bits($0.end)) })
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
    struct Part: Sendable {
        /// (shift, index): address bits shift+8...shift equal index.
        var fixed: [(shift: Int, index: UInt64)] = []
        /// (shift, indices): address bits shift+8...shift equal none of the indices.
        var excluded: (shift: Int, indices: [UInt64])?
        /// Table pages the walk reads here (root and context pages first).
        var pages: [UInt64]
        /// Host pages the tables give here, as (first, count) runs.
        var targets: [(first: UInt64, count: UInt64)] = []
        /// The level of the part's own table (1: a leaf table of 4 KiB pages); 0 for a part
        /// that ends at the root or context entry.
        var level = 0
    }

    /// The parts of `rid`'s IOVA space, following its root and context entries into its
    /// domain's tree; `read64` reads the tables (host memory, or a snapshot of it). `trees`
    /// keeps each tree's parts (below the context entry) for the next function that shares it.
    static func parts(rid: UInt16, rootTable: UInt64, read64: (UInt64) -> UInt64, trees: inout [UInt64: [Part]]) -> [Part] {
        let mask = SecondLevelTranslation.addressMask
        let root = rootTable >> 12
        let rootEntry = read64(rootTable + 16 * UInt64(rid >> 8))
        guard rootEntry & 1 != 0 else { return [Part(pages: [root])] }
        let context = (rootEntry & mask) + 16 * UInt64(rid & 0xFF)
        let low = read64(context), high = read64(context + 8)
        let base = [root, context >> 12]
        guard low & 1 != 0 else { return [Part(pages: base)] }
        let key = (low & mask) | (high & 7)
        if trees[key] == nil { trees[key] = tree((low & mask) >> 12, levels: Int(high & 7) + 2, read64: read64) }
        return trees[key]!.map { part in
            var part = part
            part.pages = base + part.pages
            return part
        }
    }

    /// The parts of the tree whose top table is `page`, `levels` deep, their pages from the top.
    static func tree(_ page: UInt64, levels: Int, read64: (UInt64) -> UInt64) -> [Part] {
        let mask = SecondLevelTranslation.addressMask
        var parts: [Part] = []
        func descend(_ page: UInt64, level: Int, fixed: [(shift: Int, index: UInt64)], pages: [UInt64]) {
            let shift = 12 + 9 * (level - 1)
            var here = Part(fixed: fixed, pages: pages + [page], level: level)
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
        descend(page, level: levels, fixed: [], pages: [])
        return parts
    }

    static func dmaIsolation(_ dma: DMAState, limits: SolverLimits, hooks: TranslationHooks, jobs: Int = 1) throws -> [PropertyResult] {
        guard dma.translationEnabled else { return [] }
        var trees: [UInt64: [Part]] = [:]
        var parts: [UInt16: [Part]] = [:]
        for f in dma.functions { parts[f.rid] = self.parts(rid: f.rid, rootTable: dma.rootTable, read64: dma.read64, trees: &trees) }
        let outcomes = try perVM(dma.functions, jobs: jobs) { [parts] in try isolation($0, vm: $0[0].vm, dma, parts: parts, limits: limits, hooks: hooks) }
        return dma.functions.map { f in
            let outcome = outcomes[f.rid]!, cex = outcome.result.counterexample
            return PropertyResult(family: "DMA isolation", subject: f.name, property: "every request of \(f.vm)'s \(f.name) reaches only \(f.vm)'s pages or is blocked",
                                  outcome: outcome, explanation: cex.map { explainDMA($0, f, dma, hooks: hooks) },
                                  replay: cex.flatMap { $0["iova"] }.map { (f.name, $0 & ~3) })
        }
    }

    /// `query` once for all of each VM's functions (the requester free among them: they share
    /// the VM's domain and tables, so the query is the size of one function's); where that is
    /// not proved, once per function, for each one's own verdict and witness.
    static func perVM(_ functions: [DMAState.Function], jobs: Int, _ query: @escaping @Sendable ([DMAState.Function]) throws -> ProofOutcome) throws -> [UInt16: ProofOutcome] {
        let groups = Set(functions.map(\.vm)).sorted().map { vm in functions.filter { $0.vm == vm } }
        let decided = try parallelMap(groups, jobs: jobs) { group -> [(UInt16, ProofOutcome)] in
            if group.count > 1 {
                let shared = try query(group)
                if shared.result == .proved { return group.map { ($0.rid, shared) } }
            }
            return try group.map { ($0.rid, try query([$0])) }
        }
        return Dictionary(decided.joined().map { $0 }, uniquingKeysWith: { a, _ in a })
    }

    /// DMA isolation of `functions` (all of VM `vm`), the requester free among them: the query
    /// with the leaf tables' targets left out, then, if its counterexample is not confirmed by
    /// the snapshot's values, one query per leaf table on the values alone.
    static func isolation(_ functions: [DMAState.Function], vm: String, _ dma: DMAState, parts byFunction: [UInt16: [Part]], limits: SolverLimits,
                          hooks: TranslationHooks) throws -> ProofOutcome {
        let entries = dma.iotlb.map(CachedTranslation.Entry<Symbolic>.init)
        var parts: [Part] = []
        for f in functions { parts += byFunction[f.rid] ?? [] }
        // The IOTLB entries the functions' requests can hit (their cached domains') that name a
        // page of the VM.
        let domains = Set(functions.compactMap { dma.contexts[$0.rid] })
        let rids = Set(functions.map(\.rid))
        let cached = (dma.iotlb.filter { domains.contains($0.domain) }.map(\.hostPage) + dma.atc.filter { rids.contains($0.requester) }.map(\.entry.hostPage))
            .filter { dma.owners[$0] == vm }.map { (first: $0, count: UInt64(1)) }
        // Leaf tables read by no other level are read with their targets left out; level-2
        // tables whose entries all point to such leaf tables with one set of flags, too.
        let mask = SecondLevelTranslation.addressMask
        // The levels each page is read at (a page read at two levels, or as a root or context
        // page, stays a value).
        var levels: [UInt64: Set<Int>] = [:]
        for part in parts where part.level > 0 {
            for (j, page) in part.pages.enumerated() { levels[page, default: []].insert(j < 2 ? 0 : part.level + part.pages.count - 1 - j) }
        }
        let leaves = Set(levels.filter { $0.value == [1] }.keys)
        let level2 = levels.filter { $0.value == [2] }.keys.sorted()
        let flags = level2.lazy.compactMap { dma.pages[$0]?.first { $0 & 3 != 0 } }.first.map { $0 & ~mask } ?? 0
        let pointers = Set(level2)
        // A pointer stands for any of the leaf tables every entry of which fits; one to a leaf
        // table with a word that does not (read as its value) stays a value itself, so the walk
        // reaches that word only through the index that leads there.
        let ownLeaf = { (word: UInt64) in word & 3 != 0 && dma.owners[(word & mask) >> 12] == vm }
        let clean = leaves.filter { page in dma.pages[page]?.allSatisfy { $0 == 0 || ownLeaf($0) } ?? false }
        let pages = Set(parts.flatMap(\.pages)).subtracting(leaves).subtracting(pointers).sorted().compactMap { p in dma.pages[p].map { (page: p, words: $0) } }
        let known = parts.filter { !leaves.contains($0.pages.last ?? ~0) }.flatMap(\.targets) + cached
        let outcome = try withProof(limits: limits) { proof in
            let entry = try proof.variable("leaf_entry", as: Bits<Symbolic, 64>.self)
            let pointer = try proof.variable("table_entry", as: Bits<Symbolic, 64>.self)
            let owned = proof.predicate("owned", over: Bits<Symbolic, 64>.self)
            let leafLevel = AbstractLevel(pages: leaves.sorted(), dma: dma, entry: entry, fits: ownLeaf)
            let pointerLevel = AbstractLevel(pages: level2, dma: dma, entry: pointer) { $0 & ~mask == flags && clean.contains(($0 & mask) >> 12) }
            let tables = SnapshotTables(pages: pages, memorySize: dma.memorySize, abstract: [leafLevel, pointerLevel])
            let entryPage = (entry & Bits(mask)) >> Bits(12), pointerPage = (pointer & Bits(mask)) >> Bits(12)
            let assumptions = ownedPages(known, vm, dma).map { owned(Bits($0)) } + [(entry & Bits(3)) .!= .zero, owned(entryPage),
                (pointer & Bits(~mask)) .== Bits(flags), within(pointerPage, runs(clean))]
            return try query(functions, dma, proof: proof, tables: tables, entries: entries, owned: owned, assuming: assumptions, hooks: hooks)
        }
        // A request the abstraction allows that the snapshot's values do not confirm: prove
        // again on the values, one leaf table at a time.
        guard let cex = outcome.result.counterexample, !reaches(cex, functions, dma, hooks: hooks) else { return outcome }
        var outcomes: [ProofOutcome] = []
        for part in parts {
            let tables = SnapshotTables(pages: part.pages.compactMap { p in dma.pages[p].map { (p, $0) } }, memorySize: dma.memorySize)
            outcomes.append(try withProof(limits: limits) { proof in
                let owned = proof.predicate("owned", over: Bits<Symbolic, 64>.self)
                let assumptions = ownedPages(part.targets + cached, vm, dma).map { owned(Bits($0)) }
                return try query(functions, dma, proof: proof, tables: tables, entries: entries, owned: owned, assuming: assumptions, part: part, hooks: hooks)
            })
            if outcomes.last?.result.counterexample != nil { break }
        }
        return outcome.refined(by: outcomes)
    }

    /// The pages of `runs` that `vm` owns.
    static func ownedPages(_ runs: [(first: UInt64, count: UInt64)], _ vm: String, _ dma: DMAState) -> [UInt64] {
        var pages = Set<UInt64>()
        for run in runs { for page in run.first..<(run.first + run.count) where dma.owners[page] == vm { pages.insert(page) } }
        return pages.sorted()
    }

    /// Sorted pages as half-open runs.
    static func runs(_ pages: Set<UInt64>) -> [(first: UInt64, end: UInt64)] {
        var runs: [(first: UInt64, end: UInt64)] = []
        for page in pages.sorted() {
            if let last = runs.last, last.end == page { runs[runs.count - 1].end = page + 1 } else { runs.append((page, page + 1)) }
        }
        return runs
    }

    /// The query: any of `functions` as the requester, any address (in `part`, if given), read or
    /// write, any address type (untranslated, translation request, translated); allowed ->
    /// `owned` of the page it reaches (for a translation request: of the translation it returns).
    static func query(_ functions: [DMAState.Function], _ dma: DMAState, proof: ProofSession, tables: SnapshotTables, entries: [CachedTranslation.Entry<Symbolic>],
                      owned: (Bits<Symbolic, 64>) -> Bit<Symbolic>, assuming assumptions: [Bit<Symbolic>], part: Part? = nil,
                      hooks: TranslationHooks) throws -> ProofOutcome {
        let requester = try proof.variable("requester", as: Bits<Symbolic, 16>.self)
        let address = try proof.variable("iova", as: Bits<Symbolic, 64>.self)
        let write = try proof.variable("write", as: Bit<Symbolic>.self)
        let addressType = try proof.variable("address_type", as: Bits<Symbolic, 2>.self)
        func index(_ shift: Int) -> Bits<Symbolic, 64> { (address >> Bits(UInt64(shift))) & Bits(0x1FF) }
        var inPart = (part?.fixed ?? []).map { index($0.shift) .== Bits($0.index) }
        if let excluded = part?.excluded { inPart += excluded.indices.map { index(excluded.shift) .!= Bits($0) } }
        let among = Bit<Symbolic>.any(functions.map { requester .== Bits(UInt64($0.rid)) })
        let (allowed, host) = translate(requester, dma, address: address, write: write, addressType: addressType, tables: tables, entries: entries,
                                        atc: dma.atc.map(CachedTranslation.Entry<Symbolic>.init), hooks: hooks)
        return try proof.check(allowed.implies(owned(host >> Bits(12))), assuming: assumptions + inPart + [among])
    }

    /// Whether the counterexample's request, replayed on the snapshot's values, reaches a page
    /// the functions' VM does not own.
    static func reaches(_ cex: Counterexample, _ functions: [DMAState.Function], _ dma: DMAState, hooks: TranslationHooks) -> Bool {
        let r = translate(Bits<Concrete, 16>(cex["requester"] ?? 0), dma, address: Bits(cex["iova"] ?? 0), write: Bit(cex["write"] == 1),
                          addressType: Bits(cex["address_type"] ?? 0), tables: ConcreteSnapshot(state: dma),
                          entries: dma.iotlb.map(CachedTranslation.Entry<Concrete>.init), atc: dma.atc.map(CachedTranslation.Entry<Concrete>.init), hooks: hooks)
        return r.allowed.isSet && dma.owners[r.host.value >> 12] != functions[0].vm
    }

    /// What a request of `requester` for `address` reaches: a function with ATS sends a
    /// translated request only for an address its ATC translates, to the host address the ATC
    /// gives (`atc`: every function's entries, the requester as their domain); the IOMMU then
    /// takes it from the IOTLB (untranslated requests of a requester whose domain the context
    /// cache holds), else from the walk.
    static func translate<A, T: TranslationTables>(_ requester: Bits<A, 16>, _ dma: DMAState, address: Bits<A, 64>, write: Bit<A>, addressType: Bits<A, 2>,
                                                   tables: T, entries: [CachedTranslation.Entry<A>], atc: [CachedTranslation.Entry<A>],
                                                   hooks: TranslationHooks) -> (allowed: Bit<A>, host: Bits<A, 64>) where T.A == A {
        let ats = Bit<A>.any(dma.deviceTLBs.sorted().map { requester .== Bits(UInt64($0)) })
        let viaATC = ats & (addressType .== Bits(2))
        let device = CachedTranslation.lookup(domain: requester, cached: Bit(1), address: address, write: write, entries: atc)
        let sent = mux(viaATC, device.hostAddress, address)
        var domain = Bits<A, 16>.zero, cached = Bit<A>(0)
        for (rid, d) in dma.contexts.sorted(by: { $0.key < $1.key }) {
            let this = requester .== Bits(UInt64(rid))
            domain = mux(this, Bits(UInt64(d)), domain)
            cached = cached | this
        }
        let cache = CachedTranslation.lookup(domain: domain, cached: cached, address: sent, write: write, addressType: addressType, entries: entries)
        let walk = SecondLevelTranslation.translate(rootTable: Bits(dma.rootTable), .init(requester: requester, address: sent, write: write, addressType: addressType),
                                                    tables: tables, hooks: hooks)
        return ((cache.hit | walk.allowed) & (~viaATC | device.hit), mux(cache.hit, cache.hostAddress, walk.hostAddress))
    }

    /// The counterexample replayed on the concrete functions: which request, through which
    /// cache or table, to whose page.
    static func explainDMA(_ cex: Counterexample, _ f: DMAState.Function, _ dma: DMAState, hooks: TranslationHooks) -> String {
        let address = cex["iova"] ?? 0, addressType = cex["address_type"] ?? 0
        let entries = dma.iotlb.map(CachedTranslation.Entry<Concrete>.init), atc = dma.atc.map(CachedTranslation.Entry<Concrete>.init)
        func concrete(_ write: Bool, cache: [CachedTranslation.Entry<Concrete>], hooks: TranslationHooks = hooks) -> (allowed: Bool, host: Bits<Concrete, 64>) {
            let r = translate(Bits<Concrete, 16>(UInt64(f.rid)), dma, address: Bits(address), write: Bit(write), addressType: Bits(addressType),
                              tables: ConcreteSnapshot(state: dma), entries: cache, atc: atc, hooks: hooks)
            return (r.allowed.isSet, r.host)
        }
        // A write where the same address lets one through (what the replay sends), else the read.
        let asWrite = concrete(true, cache: entries), write = cex["write"] == 1 || (asWrite.allowed && dma.owners[asWrite.host.value >> 12] != f.vm)
        let host = concrete(write, cache: entries).host
        let page = host.value >> 12
        let owner = dma.owners[page] ?? (dma.pages[page] != nil ? "the VMM" : "no VM (free)")
        let target = "host page 0x\(String(page << 12, radix: 16)), which belongs to \(owner)"
        switch addressType {
        case 2 where dma.deviceTLBs.contains(f.rid):
            let walked = translate(Bits<Concrete, 16>(UInt64(f.rid)), dma, address: Bits(address), write: Bit(write), addressType: .zero,
                                   tables: ConcreteSnapshot(state: dma), entries: [], atc: [], hooks: hooks)
            let entry = walked.allowed.isSet ? walked.host.value >> 12 == page ? "an entry of its ATC" : "a stale entry of its ATC (the tables now map it elsewhere)"
                : "a stale entry of its ATC (the tables no longer map it)"
            return "\(f.name) (\(f.vm)) \(write ? "writes" : "reads") IOVA 0x\(String(address, radix: 16)): \(entry) gives \(target); the device sends it as a "
                + "translated request (AT 10), which the IOMMU passes (context entry TT 01, device-TLB)"
        case 2:
            return "\(f.name) (\(f.vm)) \(write ? "writes" : "reads") 0x\(String(address, radix: 16)) as a translated request (AT 10): its context entry allows translated "
                + "requests (TT 01, device-TLB), so the IOMMU passes it untranslated to \(target)"
        default:
            let cached = addressType == 0 && dma.contexts[f.rid].map { d in dma.iotlb.contains { $0.domain == d && $0.page == address >> 12 } } ?? false
            // Stale: the tables alone would not give that page (they no longer map it, or map it elsewhere).
            let walked = concrete(write, cache: [])
            let unhooked = concrete(write, cache: [], hooks: TranslationHooks()).allowed
            let via = !cached ? (walked.allowed && !unhooked ? "the walk lets it through although the entry's permissions deny it, and gives" : "its domain's tables give")
                : walked.allowed && walked.host == host ? "an IOTLB entry gives"
                : "a stale IOTLB entry (the tables \(walked.allowed ? "now map it elsewhere" : "no longer map it")) gives"
            let request = addressType == 1 ? "asks for the translation of IOVA 0x\(String(address, radix: 16)) for a \(write ? "write" : "read") (AT 01)"
                : "\(write ? "writes" : "reads") IOVA 0x\(String(address, radix: 16))"
            return "\(f.name) (\(f.vm)) \(request): \(via) \(target)"
        }
    }

    /// "4 functions of 2 VMs, IOTLB 12 entries" for the coverage line.
    static func dmaCoverage(_ dma: DMAState?) -> [String] {
        guard let dma, dma.translationEnabled, !dma.functions.isEmpty else { return [] }
        let vms = Set(dma.functions.map(\.vm)).count
        return ["\(dma.functions.count) function\(dma.functions.count == 1 ? "" : "s") of \(vms) VM\(vms == 1 ? "" : "s") at clock \(dma.clock) (IOTLB \(dma.iotlb.count) entries, context cache \(dma.contexts.count)"
            + (dma.deviceTLBs.isEmpty ? ")" : "; ATS on for \(dma.deviceTLBs.count) function\(dma.deviceTLBs.count == 1 ? "" : "s"), their ATCs \(dma.atc.count) entries)")]
    }
}
