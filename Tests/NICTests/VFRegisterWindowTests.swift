import NIC
import RTL
import SMT
import Testing

/// A VF's BAR0 reaches only its own pool's registers: checked on every offset of every VF of
/// the 82576, and proved with Z3 on the same generic function for all offsets at once.
@Suite("VF register window")
struct VFRegisterWindowTests {
    /// The PF registers that belong to VF n (pool n): its queues n and n+8, its mailbox and
    /// mailbox memory, its control and interrupt mirrors, its three EITRs.
    static func own(_ name: String, vf n: Int) -> Bool {
        guard let open = name.firstIndex(of: "["), let index = Int(name[name.index(after: open)...].dropLast()) else { return false }
        switch String(name[..<open]) {
        case "VMBMEM": return index / 16 == n
        case "EITR": return (22 - 3 * n...24 - 3 * n).contains(index)
        case "RDBAL", "RDBAH", "RDLEN", "SRRCTL", "RDH", "RXCTL", "RDT", "RXDCTL",
             "TDBAL", "TDBAH", "TDLEN", "TDH", "TXCTL", "TDT", "TXDCTL", "TDWBAL", "TDWBAH": return index == n || index == n + 8
        default: return index == n
        }
    }

    @Test("every offset of every VF's 16 KiB BAR0 lands in that VF's own registers or misses; only STATUS is shared, read-only")
    func exhaustive() {
        let map = RegisterMap.i82576
        var writable: [Set<Int>] = Array(repeating: [], count: 8)
        var hits = 0
        for vf in 0..<8 {
            for offset in stride(from: 0, to: 0x4000, by: 1) where offset % 4 == 0 || offset % 97 == 0 {
                let t = VFRegisterWindow.i82576(vf: Bits<Concrete, 3>(UInt64(vf)), offset: Bits(UInt64(offset)))
                guard t.hit.isSet else { continue }
                hits += 1
                #expect(offset % 4 == 0, "VF \(vf) offset 0x\(String(offset, radix: 16)): a misaligned offset hits")
                let register = map.register(at: Int(t.pfOffset.value))
                guard let name = register?.name else {
                    Issue.record("VF \(vf) offset 0x\(String(offset, radix: 16)) lands on 0x\(String(t.pfOffset.value, radix: 16)), no PF register")
                    continue
                }
                if name == "STATUS" {
                    #expect(!t.writable.isSet)
                } else {
                    #expect(Self.own(name, vf: vf), "VF \(vf) offset 0x\(String(offset, radix: 16)) reaches \(name)")
                    #expect(t.writable.isSet)
                    writable[vf].insert(Int(t.pfOffset.value))
                }
            }
        }
        // Per VF: CTRL at two offsets + 6 interrupt registers, 3 EITR, IVAR0, IVAR_MISC,
        // V2PMAILBOX, 16 VMBMEM dwords, 2 queues x (8 Rx + 9 Tx) ring registers, STATUS.
        #expect(hits == 8 * (8 + 3 + 2 + 1 + 16 + 34 + 1))
        for a in 0..<8 { for b in (a + 1)..<8 { #expect(writable[a].isDisjoint(with: writable[b]), "VF \(a) and VF \(b) share a register") } }
    }

    @Test("Z3: no two VFs reach the same writable PF register, for any offsets")
    func proof() throws {
        let outcome = try withProof { proof in
            let a = try proof.variable("vf_a", as: Bits<Symbolic, 3>.self), b = try proof.variable("vf_b", as: Bits<Symbolic, 3>.self)
            let oa = try proof.variable("offset_a", as: Bits<Symbolic, 16>.self), ob = try proof.variable("offset_b", as: Bits<Symbolic, 16>.self)
            let ta = VFRegisterWindow.i82576(vf: a, offset: oa), tb = VFRegisterWindow.i82576(vf: b, offset: ob)
            return try proof.check(~(ta.writable & tb.hit & (ta.pfOffset .== tb.pfOffset)), assuming: [a .!= b])
        }
        #expect(outcome.result == .proved, "\(outcome.result)")
    }

    @Test("Z3: without the writable condition the property fails, at STATUS, the one register VFs share")
    func sharedStatus() throws {
        let outcome = try withProof { proof in
            let a = try proof.variable("vf_a", as: Bits<Symbolic, 3>.self), b = try proof.variable("vf_b", as: Bits<Symbolic, 3>.self)
            let oa = try proof.variable("offset_a", as: Bits<Symbolic, 16>.self), ob = try proof.variable("offset_b", as: Bits<Symbolic, 16>.self)
            let ta = VFRegisterWindow.i82576(vf: a, offset: oa), tb = VFRegisterWindow.i82576(vf: b, offset: ob)
            return try proof.check(~(ta.hit & tb.hit & (ta.pfOffset .== tb.pfOffset)), assuming: [a .!= b])
        }
        let cex = try #require(outcome.result.counterexample)
        #expect(cex["offset_a"] == 0x0008 && cex["offset_b"] == 0x0008, "\(cex)")
        #expect(cex["vf_a"] != cex["vf_b"])
    }
}
