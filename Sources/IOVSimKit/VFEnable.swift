import PCIe

/// Enables VFs the way Linux's `sriov_enable` does, through config writes only (sriov-facts
/// §3.1): ARI Capable Hierarchy in the lowest-numbered PF first, then for each PF NumVFs and
/// VF Enable | VF MSE, reading back VF Enable to see whether the device accepted it.
public enum VFEnable {
    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let pf: Int
        public let reason: String
        public var description: String { "PF \(pf): \(reason)" }
    }

    public static func enable(_ device: inout SRIOVDevice, numVFs: UInt16, ari: Bool) throws {
        guard let first = device.pfs.first, let s0 = first.definition.sriov?.offset else {
            if numVFs > 0 { throw Refused(pf: 0, reason: "the device has no SR-IOV capability") }
            return
        }
        let control0 = s0 + SRIOVCapability.controlOffset
        let current = device.configRead(rid: device.rid(ofPF: 0), offset: control0, size: 2)!
        let ariBit = ari ? SRIOVCapability.ariCapableHierarchy : 0
        device.configWrite(rid: device.rid(ofPF: 0), offset: control0, size: 2, value: (current & ~SRIOVCapability.ariCapableHierarchy) | ariBit)
        for p in device.pfs.indices {
            guard let s = device.pfs[p].definition.sriov?.offset else { continue }
            let rid = device.rid(ofPF: p)
            let total = device.pfs[p].totalVFs
            guard numVFs <= total else {
                throw Refused(pf: p, reason: "NumVFs \(numVFs) exceeds TotalVFs \(total)")
            }
            device.configWrite(rid: rid, offset: s + SRIOVCapability.numVFsOffset, size: 2, value: UInt32(numVFs))
            guard numVFs > 0 else { continue }
            let control = device.configRead(rid: rid, offset: s + SRIOVCapability.controlOffset, size: 2)!
            device.configWrite(rid: rid, offset: s + SRIOVCapability.controlOffset, size: 2,
                               value: control | SRIOVCapability.vfEnable | SRIOVCapability.vfMemorySpaceEnable)
            guard device.pfs[p].vfEnable else { throw Refused(pf: p, reason: "the device refused VF Enable") }
        }
    }
}
