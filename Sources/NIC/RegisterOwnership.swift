/// Which VF's own state each PF-side register holds: the specification a VF's register window
/// (`VFRegisterWindow`) must keep to, as the datasheets assign the registers.
///
/// - 82576 (datasheet §7.8.2, §8.27): the mirrors and statistics at 0x10000 + 0x100 n, VTIVAR(n),
///   VTIVAR_MISC(n), V2PMAILBOX(n), VMBMEM(16 n ... 16 n + 15), EITR(22 - 3 n ... 24 - 3 n), and
///   the ring registers of queues n and n + 8.
/// - 82599 (datasheet §8.3): the VF's private block at 0x80000 + 0x1000 n (VFCTRL, VTEI*, VTIVAR,
///   VFMAILBOX, statistics), PFMBMEM(16 n ... 16 n + 15), and the ring registers of queues 2 n and
///   2 n + 1.
///
/// Every other register (the PF's mailbox side, the filters, the device's control) belongs to
/// no VF.
extension RegisterMap {
    /// The VF whose register `register` is, if any.
    public func vf(owning register: MMIORegister) -> Int? {
        let name = register.name
        let base = name.firstIndex(of: "[").map { String(name[..<$0]) } ?? name
        let index = name.firstIndex(of: "[").flatMap { open in Int(name[name.index(after: open)...].prefix { $0.isNumber }) }
        let rings = family == "82576" ? Self.i82576Rings : Self.i82599Rings
        if family == "82576" {
            if (0x10000..<0x10000 + 0x100 * pools).contains(register.offset) { return (register.offset - 0x10000) / 0x100 }
            guard let index else { return nil }
            switch base {
            case "VTIVAR", "VTIVAR_MISC", "V2PMAILBOX": return index
            case "VMBMEM": return index / 16
            case "EITR": return (1...24).contains(index) ? (24 - index) / 3 : nil
            case let ring where rings.contains(ring): return index < 2 * pools ? index % pools : nil
            default: return nil
            }
        }
        let privateBlock = RegisterMap.i82599VFPrivateBase
        if (privateBlock..<privateBlock + 0x1000 * pools).contains(register.offset) { return (register.offset - privateBlock) / 0x1000 }
        guard let index else { return nil }
        switch base {
        case "PFMBMEM": return index / 16
        case let ring where rings.contains(ring): return index / 2
        default: return nil
        }
    }

    static let i82576Rings = Set((RegisterMap.i82576RxQueueRegisters + RegisterMap.i82576TxQueueRegisters).map(\.name))
    static let i82599Rings = Set((RegisterMap.i82599RxQueueRegisters + RegisterMap.i82599TxQueueRegisters).map(\.name))

    /// The offsets of the registers each VF owns, ascending, by VF.
    public var offsetsByVF: [Int: [Int]] {
        var owned: [Int: [Int]] = [:]
        for register in registers { if let vf = vf(owning: register) { owned[vf, default: []].append(register.offset) } }
        return owned
    }
}
