import NIC
import RTL
import SMT
import Testing

/// The sorter's rules restated here in plain Swift, from the datasheet's prose (sriov-facts
/// §1.3, §4.7) and Linux's hash (igb_hash_mc_addr), independent of `L2Sorter`: addresses as
/// six octets, tables as arrays of integers, stages as `if`s.
struct ReferenceSorter {
    struct Table {
        var rar: [(mac: [UInt8], valid: Bool, pools: UInt64)] = []
        var mta = [UInt32](repeating: 0, count: 128), uta = [UInt32](repeating: 0, count: 128)
        var mo = 0
        var vfe = false
        var vlvf: [(vid: Int, valid: Bool, pools: UInt64)] = []
        var pools: [(aupe: Bool, rompe: Bool, rope: Bool, bam: Bool, mpme: Bool, lpe: Bool, rlpml: Int)] = []
        var defaultPool = 0, disableDefault = false
        var vfre: UInt64 = 0
        var lpe = false, rlpml = 0
    }

    struct Frame {
        var dst: [UInt8], src: [UInt8]
        var vlan: Int?
        var length: Int
    }

    static func octets(_ mac: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: mac >> UInt64(40 - 8 * $0)) } }

    /// Linux igb_hash_mc_addr for mc_filter_type 0...3.
    static func hash(_ a: [UInt8], _ mo: Int) -> Int {
        let v: Int
        switch mo {
        case 0: v = Int(a[4] >> 4) | Int(a[5]) << 4
        case 1: v = Int(a[4] >> 3) | Int(a[5]) << 5
        case 2: v = Int(a[4] >> 2) | Int(a[5]) << 6
        default: v = Int(a[4]) | Int(a[5]) << 8
        }
        return v & 0xFFF
    }

    static func sort(_ f: Frame, _ t: Table) -> UInt64 {
        let standard = f.vlan == nil ? 1518 : 1522
        if f.length > (t.lpe ? t.rlpml : standard) { return 0 }
        let broadcast = f.dst.allSatisfy { $0 == 0xFF }
        let multicast = !broadcast && f.dst[0] & 1 == 1
        var pools: UInt64 = 0
        func each(_ test: (Int) -> Bool) -> UInt64 { t.pools.indices.filter(test).reduce(0) { $0 | 1 << UInt64($1) } }
        if broadcast {
            pools = each { t.pools[$0].bam }
        } else {
            let exact = t.rar.filter { $0.valid && $0.mac == f.dst }
            if !exact.isEmpty {
                pools = exact.reduce(0) { $0 | $1.pools }
            } else {
                let h = hash(f.dst, t.mo)
                let table = multicast ? t.mta : t.uta
                if table[h / 32] >> (h % 32) & 1 == 1 { pools = each { multicast ? t.pools[$0].rompe : t.pools[$0].rope } }
            }
            if multicast { pools |= each { t.pools[$0].mpme } }
        }
        if t.vfe {
            if let vid = f.vlan {
                pools &= t.vlvf.filter { $0.valid && $0.vid == vid }.reduce(0) { $0 | $1.pools }
            } else {
                pools &= each { t.pools[$0].aupe }
            }
        }
        if pools == 0 && !broadcast && !multicast && !t.disableDefault { pools = 1 << UInt64(t.defaultPool) }
        pools &= t.vfre
        pools &= each { f.length <= (t.pools[$0].lpe ? t.pools[$0].rlpml : standard) }
        return pools
    }
}

/// Random frames against random filter tables: the generic sorter on machine words agrees with
/// the reference above on every frame, and its Z3 interpretation agrees on a thousand.
@Suite("L2 sorter fuzz", .serialized)
struct L2SorterFuzzTests {
    /// A random port configuration, both as the sorter's tables and as the reference's. Few
    /// distinct addresses and VLANs, so that random frames hit them often.
    static func randomTables(_ rng: inout DeterministicRNG) -> (FilterTables<C>, ReferenceSorter.Table, macs: [UInt64], vlans: [Int]) {
        func flip(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        let poolCount = flip(50) ? 8 : 64
        let macs: [UInt64] = (0..<6).map { k in
            let random = rng.next() & 0xFFFF_FFFF_FFFF
            return k == 0 ? 0xFFFF_FFFF_FFFF : k == 1 ? random | 1 << 40 : random & ~(1 << 40)
        }
        let vlans = (0..<4).map { _ in Int(rng.next() % 4096) }
        var ref = ReferenceSorter.Table()
        let poolMask: UInt64 = poolCount == 64 ? ~0 : (1 << UInt64(poolCount)) - 1
        ref.rar = (0..<Int(rng.next() % 10)).map { _ in
            (ReferenceSorter.octets(macs[Int(rng.next() % 6)]), flip(85), rng.next() & (flip(30) ? ~0 : poolMask))
        }
        for _ in 0..<Int(rng.next() % 40) {
            let bit = Int(rng.next() % 4096)
            if flip(50) { ref.mta[bit / 32] |= 1 << UInt32(bit % 32) } else { ref.uta[bit / 32] |= 1 << UInt32(bit % 32) }
        }
        // Sometimes the hash of one of the addresses is set, so hashing is exercised.
        ref.mo = Int(rng.next() % 4)
        for mac in macs where flip(30) {
            let h = ReferenceSorter.hash(ReferenceSorter.octets(mac), ref.mo)
            ref.mta[h / 32] |= 1 << UInt32(h % 32)
            ref.uta[h / 32] |= 1 << UInt32(h % 32)
        }
        ref.vfe = flip(50)
        ref.vlvf = (0..<Int(rng.next() % 6)).map { _ in (vlans[Int(rng.next() % 4)], flip(80), rng.next() & poolMask) }
        ref.pools = (0..<poolCount).map { _ in
            (flip(50), flip(40), flip(30), flip(50), flip(20), flip(30), Int(rng.next() % 2048) + 1000)
        }
        ref.defaultPool = Int(rng.next() % UInt64(poolCount))
        ref.disableDefault = flip(30)
        ref.vfre = rng.next() & rng.next() | (flip(50) ? poolMask : 0)
        ref.vfre &= poolMask
        ref.lpe = flip(40)
        ref.rlpml = Int(rng.next() % 4096) + 1000

        func word(_ o: [UInt8]) -> UInt64 { o.reduce(0) { $0 << 8 | UInt64($1) } }
        func map(_ option: ((aupe: Bool, rompe: Bool, rope: Bool, bam: Bool, mpme: Bool, lpe: Bool, rlpml: Int)) -> Bool) -> Bits<C, 64> {
            Bits(ref.pools.indices.filter { option(ref.pools[$0]) }.reduce(0) { $0 | 1 << UInt64($1) })
        }
        let tables = FilterTables<C>(
            receiveAddresses: ref.rar.map { .init(address: Bits(word($0.mac)), valid: Bit($0.valid), pools: Bits($0.pools)) },
            multicastTable: ref.mta.map { Bits(UInt64($0)) }, unicastTable: ref.uta.map { Bits(UInt64($0)) },
            multicastOffset: Bits(UInt64(ref.mo)), vlanFilterEnable: Bit(ref.vfe),
            vlanFilters: ref.vlvf.map { .init(vlanID: Bits(UInt64($0.vid)), valid: Bit($0.valid), pools: Bits($0.pools)) },
            acceptUntagged: map { $0.aupe }, acceptHashedMulticast: map { $0.rompe }, acceptHashedUnicast: map { $0.rope },
            acceptBroadcast: map { $0.bam }, multicastPromiscuous: map { $0.mpme }, poolLongPacketEnable: map { $0.lpe },
            poolMaxLength: ref.pools.map { Bits(UInt64($0.rlpml)) },
            defaultPool: Bits(UInt64(ref.defaultPool)), disableDefaultPool: Bit(ref.disableDefault), receiveEnable: Bits(ref.vfre),
            longPacketEnable: Bit(ref.lpe), maxLength: Bits(UInt64(ref.rlpml)))
        return (tables, ref, macs, vlans)
    }

    static func randomFrame(_ rng: inout DeterministicRNG, macs: [UInt64], vlans: [Int]) -> (FrameHeader<C>, ReferenceSorter.Frame) {
        let dst = rng.next() % 4 == 0 ? rng.next() & 0xFFFF_FFFF_FFFF : macs[Int(rng.next() % UInt64(macs.count))]
        let src = rng.next() & 0xFFFF_FFFF_FFFF
        let vlan: Int? = rng.next() % 2 == 0 ? nil : (rng.next() % 4 == 0 ? Int(rng.next() % 4096) : vlans[Int(rng.next() % 4)])
        let length = rng.next() % 4 == 0 ? Int(rng.next() % 10_000) : Int(60 + rng.next() % 1500)
        return (Port.frame(to: dst, from: src, vlan: vlan.map(UInt64.init), length: UInt64(length)),
                ReferenceSorter.Frame(dst: ReferenceSorter.octets(dst), src: ReferenceSorter.octets(src), vlan: vlan, length: length))
    }

    @Test("1,000,000 random frames against random tables: the generic sorter agrees with the reference")
    func concrete() {
        var rng = DeterministicRNG(seed: 0x50F7)
        var disagreements: [String] = []
        var delivered = 0, reasons = Set<UInt64>()
        for _ in 0..<2_000 {
            let (tables, ref, macs, vlans) = Self.randomTables(&rng)
            for _ in 0..<500 {
                let (frame, refFrame) = Self.randomFrame(&rng, macs: macs, vlans: vlans)
                let decision = L2Sorter.receive(frame, tables)
                let expected = ReferenceSorter.sort(refFrame, ref)
                if decision.pools.value != expected, disagreements.count < 5 {
                    disagreements.append("dst \(frame.destination) vlan \(refFrame.vlan.map(String.init) ?? "-") len \(refFrame.length): pools 0x\(String(decision.pools.value, radix: 16)), reference 0x\(String(expected, radix: 16))")
                }
                if expected != 0 { delivered += 1 }
                #expect((decision.dropReason.value == 0) == (decision.pools.value != 0))
                reasons.insert(decision.dropReason.value)
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
        // Both outcomes and every drop reason occurred.
        #expect(delivered > 100_000 && delivered < 900_000, "\(delivered) delivered")
        #expect(reasons == Set(L2Sorter.DropReason.allCases.map(\.rawValue)))
    }

    @Test("the symbolic interpretation, evaluated by Z3 with the frame's fields as variables, agrees on 1,000 frames")
    func symbolic() throws {
        var rng = DeterministicRNG(seed: 0x5A7)
        var checked = 0
        for round in 0..<50 {
            let (concreteTables, _, macs, vlans) = Self.randomTables(&rng)
            let frames = (0..<20).map { _ in Self.randomFrame(&rng, macs: macs, vlans: vlans).0 }
            let outcome = try withProof { proof in
                // The tables as constants of the symbolic interpretation.
                func s<let N: Int>(_ b: Bits<C, N>) -> Bits<Symbolic, N> { Bits(b.value) }
                let tables = concreteTables.lifted(to: Symbolic.self)
                var agree: [Bit<Symbolic>] = [], pinned: [Bit<Symbolic>] = []
                for (k, f) in frames.enumerated() {
                    let dst = try proof.variable("f\(k)_dst", as: Bits<Symbolic, 48>.self)
                    let tagged = try proof.variable("f\(k)_tagged", as: Bit<Symbolic>.self)
                    let vid = try proof.variable("f\(k)_vid", as: Bits<Symbolic, 12>.self)
                    let length = try proof.variable("f\(k)_len", as: Bits<Symbolic, 16>.self)
                    pinned += [dst .== s(f.destination), tagged .== s(f.tagged), vid .== s(f.vlanID), length .== s(f.length)]
                    let d = L2Sorter.receive(FrameHeader(destination: dst, source: s(f.source), tagged: tagged, vlanID: vid, length: length), tables)
                    let expected = L2Sorter.receive(f, concreteTables)
                    agree += [d.pools .== s(expected.pools), d.dropReason .== s(expected.dropReason), d.exactMatch .== s(expected.exactMatch)]
                }
                return try proof.check(Bit.all(agree), assuming: pinned)
            }
            #expect(outcome.result == .proved, "round \(round): \(outcome.result)")
            checked += frames.count
        }
        #expect(checked == 1_000)
    }
}
