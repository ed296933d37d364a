import PCIe

/// lspci-style views of a modelled device: the listing (`lspci`), the hex dump `lspci -F`
/// reads back (`-x`, `-xxx`, `-xxxx`), and decoded registers drawn from the one definition of
/// each field (`-v`, `-vv`, `-vvv`).
public struct LspciView {
    public let device: SRIOVDevice

    public init(device: SRIOVDevice) { self.device = device }

    /// "Ethernet controller" etc. for the common classes, else the numeric class.
    static func className(_ classCode: UInt32) -> String {
        switch classCode >> 8 {
        case 0x0200: "Ethernet controller"
        case 0x0604: "PCI bridge"
        case 0x0600: "Host bridge"
        default: "Class \(hex(classCode >> 8, 4))"
        }
    }

    func headerLine(_ id: SRIOVDevice.FunctionID, rid: UInt16) -> String {
        let config = device.config(of: id)
        let pf: PhysicalFunction
        let deviceID: UInt16
        switch id {
        case .pf(let p):
            pf = device.pfs[p]
            deviceID = pf.definition.header.deviceID
        case .vf(let p, _):
            pf = device.pfs[p]
            deviceID = pf.definition.sriov?.capability.vfDeviceID ?? 0xFFFF
        }
        let classCode = config.read(offset: 0x08, size: 4)! >> 8
        let revision = config.read(offset: 0x08, size: 1)!
        let kind = if case .vf = id { " Virtual Function" } else { "" }
        return "\(BDF(rid)) \(Self.className(classCode)) [\(hex(classCode >> 8, 4))]: Device [\(hex(UInt32(pf.definition.header.vendorID), 4)):\(hex(UInt32(deviceID), 4))]\(kind) (rev \(hex(revision, 2)))"
    }

    /// Every function, PFs first, each with its hex dump of `bytes` bytes (64, 256 or 4096),
    /// or none when `bytes` is 0. Functions are sorted by routing ID as lspci sorts them.
    public func listing(dumpBytes bytes: Int, verbosity: Int = 0) -> String {
        var out = ""
        for (id, rid) in device.functions.sorted(by: { $0.rid < $1.rid }) {
            out += headerLine(id, rid: rid) + "\n"
            if verbosity > 0 { out += decoded(device.config(of: id), verbosity: verbosity) }
            if bytes > 0 { out += device.config(of: id).hexDump(bytes: bytes) }
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
