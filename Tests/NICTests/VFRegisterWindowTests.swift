@testable import NIC
import RTL
import SMT
import Testing

/// A VF's BAR0 reaches only its own pool's registers: checked on every offset of every VF of
/// both parts, and proved with Z3 on the same generic functions for all offsets at once.
@Suite("VF register window")
struct VFRegisterWindowTests {
    /// One part's window as the tests use it.
    struct Part: CustomStringConvertible, Sendable {
        let map: RegisterMap
        let window: @Sendable (Int, Int) -> VFRegisterWindow.Target<Concrete>
        /// Registers every VF reads and none writes.
        let shared: Set<String>
        /// Registers a VF sees: the count per VF.
        let perVF: Int
        var description: String { map.family }
    }

    static let parts = [
        // CTRL at two offsets + 6 interrupt registers, 3 EITR, IVAR0, IVAR_MISC, V2PMAILBOX,
        // 16 VMBMEM dwords, 9 statistics, 2 queues x (9 Rx + 9 Tx) ring registers, STATUS.
        Part(map: .i82576, window: { VFRegisterWindow.i82576(vf: Bits(UInt64($0)), offset: Bits(UInt64($1))) }, shared: ["STATUS"],
             perVF: 8 + 3 + 2 + 1 + 16 + 9 + 36 + 1),
        // VFCTRL, 6 interrupt registers, 4 VTIVAR, VTIVAR_MISC, VFMAILBOX, VFPSRTYPE, 3 VTEITR,
        // 16 VFMBMEM dwords, 7 statistics, 2 queues x (9 Rx + 9 Tx), VFSTATUS, VFLINKS.
        Part(map: .i82599, window: { VFRegisterWindow.i82599(vf: Bits(UInt64($0)), offset: Bits(UInt64($1))) }, shared: ["STATUS", "LINKS"],
             perVF: 1 + 6 + 4 + 1 + 1 + 1 + 3 + 16 + 7 + 36 + 2),
    ]

    /// The PF-side registers that belong to VF n (pool n): on the 82576 its queues n and n+8,
    /// mailbox, mailbox memory, control, interrupt and statistics mirrors, three EITRs; on the
    /// 82599 its queues 2n and 2n+1, its mailbox memory and its private block.
    static func own(_ name: String, vf n: Int, family: String) -> Bool {
        guard let open = name.firstIndex(of: "["), let close = name.firstIndex(of: "]"),
              let index = Int(name[name.index(after: open)..<close]) else { return false }
        let queue = ["RDBAL", "RDBAH", "RDLEN", "SRRCTL", "RDH", "RXCTL", "RDT", "RXDCTL", "RQDPC", "DCA_RXCTRL", "RSCCTL",
                     "TDBAL", "TDBAH", "TDLEN", "TDH", "TXCTL", "TDT", "TXDCTL", "TDWBAL", "TDWBAH", "DCA_TXCTRL"]
        switch String(name[..<open]) {
        case "VMBMEM", "PFMBMEM": return index / 16 == n
        case "EITR": return family == "82576" && (22 - 3 * n...24 - 3 * n).contains(index)
        case let base where queue.contains(base): return family == "82576" ? index == n || index == n + 8 : index / 2 == n
        case "PFMAILBOX", "P2VMAILBOX", "MBVFICR", "MBVFIMR", "VFRE", "VFTE", "VMOLR", "VMVIR": return false   // the PF's side
        default: return index == n
        }
    }

    @Test("every offset of every VF's 16 KiB BAR0 lands in that VF's own registers or misses; only the status registers are shared, read-only",
          arguments: parts)
    func exhaustive(part: Part) {
        let map = part.map
        var writable: [Set<Int>] = Array(repeating: [], count: map.pools)
        var hits = 0
        for vf in 0..<map.pools {
            for offset in 0..<0x4000 where offset % 4 == 0 || offset % 97 == 0 {
                let t = part.window(vf, offset)
                guard t.hit.isSet else { continue }
                hits += 1
                #expect(offset % 4 == 0, "VF \(vf) offset 0x\(String(offset, radix: 16)): a misaligned offset hits")
                guard let name = map.register(at: Int(t.pfOffset.value))?.name else {
                    Issue.record("VF \(vf) offset 0x\(String(offset, radix: 16)) lands on 0x\(String(t.pfOffset.value, radix: 16)), no PF register")
                    continue
                }
                if part.shared.contains(name) {
                    #expect(!t.writable.isSet)
                } else {
                    #expect(Self.own(name, vf: vf, family: map.family), "VF \(vf) offset 0x\(String(offset, radix: 16)) reaches \(name)")
                    #expect(t.writable.isSet)
                    // One offset per register, but for the 82576's CTRL duplicate at 0x4.
                    #expect(!writable[vf].contains(Int(t.pfOffset.value)) || (map.family == "82576" && offset == 4), "VF \(vf): two offsets reach \(name)")
                    writable[vf].insert(Int(t.pfOffset.value))
                }
            }
        }
        #expect(hits == map.pools * part.perVF)
        for a in 0..<map.pools { for b in (a + 1)..<map.pools { #expect(writable[a].isDisjoint(with: writable[b]), "VF \(a) and VF \(b) share a register") } }
        // The 82599 VFs' own registers (VFCTRL, VTEI*, VFMAILBOX, statistics ...) are beyond the
        // PF's BAR0: the PF cannot reach them.
        if map.family == "82599" {
            let own = writable.joined().filter { map.register(at: $0)!.name.hasPrefix("V") }
            #expect(own.count == map.pools * (1 + 6 + 4 + 1 + 1 + 1 + 3 + 7))
            #expect(own.allSatisfy { $0 >= map.pfWindow })
        }
    }

    @Test("the registers remember the window's decisions: every offset of the first and the last VF, asked twice (the second time from the memo), routes as the window decides",
          arguments: parts)
    func remembered(part: Part) {
        let registers = NICRegisters(map: part.map, pfs: 1)
        let vfs = [0, part.map.pools - 1]
        var mismatches = 0, asked = 0
        for round in 0..<2 {
            for vf in vfs {
                for offset in 0..<0x4000 where offset % 4 == 0 || offset % 97 == 0 {
                    let t = part.window(vf, offset)
                    let routed = registers.route(.vf(pf: 0, index: vf), bar: 0, offset: UInt64(offset))
                    let agrees = t.hit.isSet
                        ? routed.map { $0.port == 0 && $0.offset == Int(t.pfOffset.value) && $0.writable == t.writable.isSet } ?? false
                        : routed == nil
                    if !agrees { mismatches += 1 }
                    if round == 0 { asked += 1 }
                    #expect(agrees, "round \(round), VF \(vf) offset 0x\(String(offset, radix: 16))")
                }
            }
        }
        #expect(mismatches == 0)
        #expect(registers.windowDecisions.count == asked, "one decision kept per VF and offset asked")
    }

    /// Whether two different VFs reach one PF register: `onlyWritable` asks it of a write by
    /// one and any access by the other.
    static func collision(_ family: String, onlyWritable: Bool) throws -> ProofOutcome {
        try withProof { proof in
            func targets<let N: Int>(_ width: Bits<Symbolic, N>.Type, _ window: (Bits<Symbolic, N>, Bits<Symbolic, 16>) -> VFRegisterWindow.Target<Symbolic>) throws
                -> (VFRegisterWindow.Target<Symbolic>, VFRegisterWindow.Target<Symbolic>, Bit<Symbolic>) {
                let a = try proof.variable("vf_a", as: width), b = try proof.variable("vf_b", as: width)
                let oa = try proof.variable("offset_a", as: Bits<Symbolic, 16>.self), ob = try proof.variable("offset_b", as: Bits<Symbolic, 16>.self)
                return (window(a, oa), window(b, ob), a .!= b)
            }
            let (ta, tb, differ) = family == "82576" ? try targets(Bits<Symbolic, 3>.self) { VFRegisterWindow.i82576(vf: $0, offset: $1) }
                                                     : try targets(Bits<Symbolic, 6>.self) { VFRegisterWindow.i82599(vf: $0, offset: $1) }
            let first = onlyWritable ? ta.writable : ta.hit
            return try proof.check(~(first & tb.hit & (ta.pfOffset .== tb.pfOffset)), assuming: [differ])
        }
    }

    @Test("Z3: no two VFs reach the same writable PF register, for any offsets", arguments: ["82576", "82599"])
    func proof(family: String) throws {
        let outcome = try Self.collision(family, onlyWritable: true)
        #expect(outcome.result == .proved, "\(outcome.result)")
    }

    @Test("Z3: without the writable condition the property fails, at a status register every VF reads", arguments: ["82576", "82599"])
    func sharedStatus(family: String) throws {
        let outcome = try Self.collision(family, onlyWritable: false)
        let cex = try #require(outcome.result.counterexample)
        let status: Set<UInt64> = family == "82576" ? [0x0008] : [0x0008, 0x0010]
        #expect(status.contains(cex["offset_a"] ?? 0) && cex["offset_a"] == cex["offset_b"], "\(cex)")
        #expect(cex["vf_a"] != cex["vf_b"])
    }
}
