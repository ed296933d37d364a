import PCIe

/// lspci-style views of modelled functions: the listing (`lspci`), the hex dump `lspci -F`
/// reads back (`-x`, `-xxx`, `-xxxx`), and decoded registers drawn from the one definition of
/// each field (`-v`, `-vv`, `-vvv`).
public struct LspciView {
    /// One function: where it is, its config space, and the IDs to name it by (a VF's config
    /// reads all ones there, so its IDs come from the PF, as Linux does).
    public struct Entry {
        public let rid: UInt16
        public let config: ConfigSpace
        public let vendorID: UInt16
        public let deviceID: UInt16
        public let isVF: Bool
        /// Why the entry cannot be real hardware (a routing ID that wrapped past bus ff), if so.
        public var impossible: String? = nil
    }

    public let entries: [Entry]

    /// Every function of one device.
    public init(device: SRIOVDevice) {
        entries = Self.entries(of: device)
    }

    /// Every function of a platform after bring-up: root ports, switch ports and each device's
    /// PFs and VFs, at the routing IDs enumeration gave them.
    public init(platform: Platform) {
        var list: [Entry] = []
        for node in platform.elements {
            if let up = node.upstreamPort { list.append(Self.entry(node.upstreamRID, up.config)) }
            for (k, port) in node.ports.enumerated() { list.append(Self.entry(node.rid(ofPort: k), port.config)) }
        }
        for name in platform.endpoints.keys.sorted() { list += Self.entries(of: platform.endpoints[name]!.device) }
        entries = list
    }

    static func entry(_ rid: UInt16, _ config: ConfigSpace) -> Entry {
        Entry(rid: rid, config: config, vendorID: UInt16(config.read(offset: 0, size: 2)!), deviceID: UInt16(config.read(offset: 2, size: 2)!), isVF: false)
    }

    static func entries(of device: SRIOVDevice) -> [Entry] {
        device.functions.map { id, rid in
            let config = device.config(of: id)
            switch id {
            case .pf(let p):
                let header = device.pfs[p].definition.header
                return Entry(rid: rid, config: config, vendorID: header.vendorID, deviceID: header.deviceID, isVF: false)
            case .vf(let p, let i):
                let pf = device.pfs[p], definition = pf.definition
                // RID(PF) + First VF Offset + i * VF Stride past 0xFFFF: the 16-bit RID wrapped.
                let layout = SRIOVLayout(pfRID: device.rid(ofPF: p), firstVFOffset: pf.firstVFOffset, vfStride: pf.vfStride,
                                         numVFs: pf.numVFs, ari: device.ariCapableHierarchy)
                let unwrapped = layout.unwrappedVFRID(i)
                return Entry(rid: rid, config: config, vendorID: definition.header.vendorID,
                             deviceID: definition.sriov?.capability.vfDeviceID ?? 0xFFFF, isVF: true,
                             impossible: unwrapped > 0xFFFF ? "VF \(i) of PF \(p) belongs on bus 0x\(String(unwrapped >> 8, radix: 16)), past ff: its routing ID wrapped" : nil)
            }
        }
    }

    /// "Ethernet controller" etc. for the common classes, else the numeric class.
    static func className(_ classCode: UInt32) -> String {
        switch classCode >> 8 {
        case 0x0200: "Ethernet controller"
        case 0x0604: "PCI bridge"
        case 0x0600: "Host bridge"
        default: "Class \(hex(classCode >> 8, 4))"
        }
    }

    func headerLine(_ entry: Entry) -> String {
        let classCode = entry.config.read(offset: 0x08, size: 4)! >> 8
        let revision = entry.config.read(offset: 0x08, size: 1)!
        return "\(BDF(entry.rid)) \(Self.className(classCode)) [\(hex(classCode >> 8, 4))]: Device [\(hex(UInt32(entry.vendorID), 4)):\(hex(UInt32(entry.deviceID), 4))]\(entry.isVF ? " Virtual Function" : "") (rev \(hex(revision, 2)))"
    }

    /// Every function, each with its hex dump of `bytes` bytes (64, 256 or 4096), or none
    /// when `bytes` is 0, sorted by routing ID as lspci sorts them.
    public func listing(dumpBytes bytes: Int, verbosity: Int = 0) -> String {
        var out = ""
        var holders: [UInt16: Int] = [:]
        for entry in entries { holders[entry.rid, default: 0] += 1 }
        for entry in entries.sorted(by: { $0.rid < $1.rid }) {
            out += headerLine(entry) + "\n"
            // Marks for layouts no real bus can have; lspci -F skips lines it does not parse.
            if let why = entry.impossible { out += "!! IMPOSSIBLE: \(why)\n" }
            if let n = holders[entry.rid], n > 1 { out += "!! IMPOSSIBLE: \(n) functions at \(BDF(entry.rid))\n" }
            if verbosity > 0 { out += decoded(entry.config, verbosity: verbosity) }
            if bytes > 0 { out += entry.config.hexDump(bytes: bytes) }
            if bytes > 0 || verbosity > 0 { out += "\n" }
        }
        return out
    }

    /// Registers with their fields, from the register definitions: -v the capability headers
    /// and SR-IOV registers, -vv every register, -vvv every field too.
    public func decoded(_ config: ConfigSpace, verbosity: Int) -> String {
        var out = ""
        for register in config.registers {
            let value = config.read(offset: register.offset, size: register.size)!
            let interesting = register.name.contains("Capability ID") || register.name.contains("Extended Capability Header")
                || register.name.hasPrefix("SR-IOV") || ["InitialVFs", "TotalVFs", "NumVFs", "First VF Offset", "VF Stride",
                                                        "VF Device ID", "System Page Size", "Supported Page Sizes"].contains(register.name)
            guard verbosity >= 2 || interesting else { continue }
            out += "\t[\(hex(UInt32(register.offset), 3))] \(register.name) = \(hex(value, register.size * 2))\n"
            if verbosity >= 3 && register.fields.count > 1 {
                for field in register.fields {
                    out += "\t\t\(field.name) = 0x\(String(config.value(of: field, in: register), radix: 16)) (\(field.access.rawValue))\n"
                }
            }
        }
        return out
    }
}

func hex(_ value: UInt32, _ digits: Int) -> String {
    let s = String(value, radix: 16)
    return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
}
