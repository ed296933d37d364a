import PCIe

/// The PF/VF mailbox and the reset handshakes, in hardware (82576 datasheet §7.8.2.9; 82599
/// §7.9.2.2; sriov-facts §1.3, §3.3). Per VF: a VF-side register (82576 V2PMAILBOX, 82599
/// VFMAILBOX), a PF-side register (P2VMAILBOX, PFMAILBOX), 16 dwords of mailbox memory the
/// window gives only that VF (VMBMEM, PFMBMEM), and the PF's cause bits (MBVFICR, PFMBICR).
///
/// - VF writes REQ or ACK: the PF's VFREQ or VFACK bit for the VF is set, the PF's mailbox
///   interrupt raised. Neither is stored.
/// - PF writes STS or ACK: the VF's PFSTS or PFACK is set (read-to-clear), the VF's mailbox
///   interrupt raised. Neither is stored.
/// - VFU and PFU: a side's write of its bit takes the buffer only when the other side's bit is
///   clear (never both); writing 0 gives it back. RVFU (PF) takes the VF's VFU away and clears
///   its cause bits.
/// - PF reset (CTRL.RST) sets RSTI in every VF-side register; the PF driver's CTRL_EXT.PFRSTD
///   clears RSTI and sets RSTD (read-to-clear).
/// - VF reset (its CTRL.RST, or a Function Level Reset): its queues stop, its VFRE and VFTE bits
///   clear, its VFLRE bit is set (82599: VFLREC), RSTD is set (unless the PF is in reset), its
///   buffer ownership is dropped, and the PF's mailbox interrupt is raised.
public final class Mailbox {
    /// What a mailbox write did that others must act on.
    public enum Effect: Sendable, Equatable {
        case interrupt(SRIOVDevice.FunctionID)
        /// A VF's reset: its queues stop.
        case vfReset(pf: Int, vf: Int)
    }

    struct Indices {
        let vfSide: [Int], pfSide: [Int], vfControl: [Int]
        let control: Int, controlExtended: Int
    }

    let map: RegisterMap
    let indices: Indices
    /// Register index -> (role, VF).
    let roles: RegisterIndexed<(Role, Int)>
    let vfBits: (req: UInt32, ack: UInt32, vfu: UInt32, pfu: UInt32, pfsts: UInt32, pfack: UInt32, rsti: UInt32, rstd: UInt32)
    let pfBits: (sts: UInt32, ack: UInt32, vfu: UInt32, pfu: UInt32, rvfu: UInt32)
    let reset: RegisterField, pfResetDone: RegisterField

    enum Role { case vfSide, pfSide, vfControl, control, controlExtended }

    init(map: RegisterMap) {
        self.map = map
        let i82576 = map.family == "82576"
        func index(_ name: String) -> Int { map.index(named: name)! }
        let vfs = map.pools
        indices = Indices(vfSide: (0..<vfs).map { index(i82576 ? "V2PMAILBOX[\($0)]" : "VFMAILBOX[\($0)]") },
                          pfSide: (0..<vfs).map { index(i82576 ? "P2VMAILBOX[\($0)]" : "PFMAILBOX[\($0)]") },
                          vfControl: (0..<vfs).map { index(i82576 ? "PVTCTRL[\($0)]" : "VFCTRL[\($0)]") },
                          control: index("CTRL"), controlExtended: index("CTRL_EXT"))
        var roles = RegisterIndexed<(Role, Int)>()
        for n in 0..<vfs {
            roles[indices.vfSide[n]] = (.vfSide, n)
            roles[indices.pfSide[n]] = (.pfSide, n)
            roles[indices.vfControl[n]] = (.vfControl, n)
        }
        roles[indices.control] = (.control, 0)
        roles[indices.controlExtended] = (.controlExtended, 0)
        self.roles = roles
        let v = map.registers[indices.vfSide[0]], p = map.registers[indices.pfSide[0]]
        func bit(_ r: MMIORegister, _ f: String) -> UInt32 { r.field(f)!.mask }
        vfBits = (bit(v, "REQ"), bit(v, "ACK"), bit(v, "VFU"), bit(v, "PFU"), bit(v, "PFSTS"), bit(v, "PFACK"), bit(v, "RSTI"), bit(v, "RSTD"))
        pfBits = (bit(p, "STS"), bit(p, "ACK"), bit(p, "VFU"), bit(p, "PFU"), bit(p, "RVFU"))
        reset = map.registers[indices.control].field("RST")!
        pfResetDone = map.registers[indices.controlExtended].field("PFRSTD")!
    }

    func handles(_ index: Int) -> Bool { roles[index] != nil }

    /// Every register a mailbox write or a VF reset may change: both sides' mailboxes, the
    /// VFs' and the PF's control registers, the PF's cause registers, VFRE, VFTE and VFLRE
    /// (found once, at the first access).
    private(set) lazy var reach: [Int] = {
        var all = Set(indices.vfSide + indices.pfSide + indices.vfControl + [indices.control, indices.controlExtended])
        for n in indices.vfSide.indices {
            all.insert(causeBits(n).index)
            for name in ["VFRE", "VFTE", "VFLRE"] { if let (k, _) = bitmap(name, n) { all.insert(k) } }
        }
        return all.sorted()
    }()

    /// The PF's cause register and bits for VF `n` (82576 MBVFICR VFREQ 7:0, VFACK 23:16;
    /// 82599 PFMBICR(n / 16) VFREQ 15:0, VFACK 31:16).
    func causeBits(_ n: Int) -> (index: Int, request: UInt32, ack: UInt32) {
        if map.family == "82576" { return (map.index(named: "MBVFICR")!, 1 << UInt32(n), 1 << UInt32(16 + n)) }
        return (map.index(named: "PFMBICR[\(n / 16)]")!, 1 << UInt32(n % 16), 1 << UInt32(16 + n % 16))
    }

    /// A register and bit of a per-VF bitmap (VFRE, VFTE, VFLRE) for VF `n`.
    func bitmap(_ name: String, _ n: Int) -> (index: Int, bit: UInt32)? {
        if map.family == "82576" {
            let register = name == "VFLRE" ? "VFLRE" : name
            return map.index(named: register).map { ($0, 1 << UInt32(n)) }
        }
        let register = name == "VFLRE" ? "VFLREC[\(n / 32)]" : "\(name)[\(n / 32)]"
        return map.index(named: register).map { ($0, 1 << UInt32(n % 32)) }
    }

    /// A software write of `data` (byte enables applied) to mailbox-related register `index`.
    func write(port p: Int, index: Int, data: UInt32, file: inout RegisterFile) -> [Effect] {
        apply(port: p, index: index, data: data, values: &file.values)
    }

    /// The write's effect on the register values, in place.
    func apply(port p: Int, index: Int, data: UInt32, values: inout [UInt32]) -> [Effect] {
        guard let (role, n) = roles[index] else { return [] }
        switch role {
        case .vfSide:
            let vf = indices.vfSide[n], pf = indices.pfSide[n]
            var effects: [Effect] = []
            let cause = causeBits(n)
            if data & vfBits.req != 0 { values[cause.index] |= cause.request }
            if data & vfBits.ack != 0 { values[cause.index] |= cause.ack }
            if data & (vfBits.req | vfBits.ack) != 0 { effects.append(.interrupt(.pf(p))) }
            Self.claim(data & vfBits.vfu != 0, bits: [(vf, vfBits.vfu), (pf, pfBits.vfu)], blocked: values[pf] & pfBits.pfu != 0, &values)
            return effects
        case .pfSide:
            let vf = indices.vfSide[n], pf = indices.pfSide[n]
            var effects: [Effect] = []
            if data & pfBits.sts != 0 { values[vf] |= vfBits.pfsts }
            if data & pfBits.ack != 0 { values[vf] |= vfBits.pfack }
            if data & (pfBits.sts | pfBits.ack) != 0 { effects.append(.interrupt(.vf(pf: p, index: n))) }
            if data & pfBits.rvfu != 0 {
                values[vf] &= ~vfBits.vfu
                values[pf] &= ~pfBits.vfu
                let cause = causeBits(n)
                values[cause.index] &= ~(cause.request | cause.ack)
            }
            Self.claim(data & pfBits.pfu != 0, bits: [(pf, pfBits.pfu), (vf, vfBits.pfu)], blocked: values[vf] & vfBits.vfu != 0, &values)
            return effects
        case .vfControl:
            values[index] = reset.setting(0, in: data)   // RST self-clears
            guard reset.value(in: data) == 1 else { return [] }
            return resetVF(port: p, n, values: &values)
        case .control:
            values[index] = reset.setting(0, in: data)
            if reset.value(in: data) == 1 {
                for k in indices.vfSide { values[k] = values[k] & ~(vfBits.rstd | vfBits.vfu | vfBits.pfu) | vfBits.rsti }
                for k in indices.pfSide { values[k] &= ~(pfBits.vfu | pfBits.pfu) }
            }
            return []
        case .controlExtended:
            values[index] = data
            if pfResetDone.value(in: data) == 1 {
                for k in indices.vfSide where values[k] & vfBits.rsti != 0 { values[k] = values[k] & ~vfBits.rsti | vfBits.rstd }
            }
            return []
        }
    }

    /// One side's ownership bit (VFU or PFU, shown in both registers): written 1, it is granted
    /// only while the other side does not hold the buffer; written 0, it is given back.
    static func claim(_ wants: Bool, bits: [(index: Int, bit: UInt32)], blocked: Bool, _ values: inout [UInt32]) {
        guard wants else {
            for (k, bit) in bits { values[k] &= ~bit }
            return
        }
        guard !blocked else { return }
        for (k, bit) in bits { values[k] |= bit }
    }

    /// VF `n`'s reset, from its CTRL.RST or a Function Level Reset.
    func resetVF(port p: Int, _ n: Int, values: inout [UInt32]) -> [Effect] {
        for name in ["VFRE", "VFTE"] { if let (k, bit) = bitmap(name, n) { values[k] &= ~bit } }
        if let (k, bit) = bitmap("VFLRE", n) { values[k] |= bit }
        let vf = indices.vfSide[n], pf = indices.pfSide[n]
        values[vf] &= ~(vfBits.vfu | vfBits.pfsts | vfBits.pfack)
        if values[vf] & vfBits.rsti == 0 { values[vf] |= vfBits.rstd }
        values[pf] &= ~pfBits.vfu
        let cause = causeBits(n)
        values[cause.index] &= ~(cause.request | cause.ack)
        return [.vfReset(pf: p, vf: n), .interrupt(.pf(p))]
    }

    /// A Function Level Reset of VF `n`: the same as its CTRL.RST.
    func functionLevelReset(port p: Int, vf n: Int, file: inout RegisterFile) -> [Effect] {
        resetVF(port: p, n, values: &file.values)
    }
}
