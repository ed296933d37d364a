import NIC
import PCIe

/// Turns a validated model file into the PCIe model: PF definitions with their capabilities
/// placed where the file says, and the SR-IOV device.
public enum ModelDevice {
    /// The register maps a model's `device.nic.registers` may name.
    public static let registerMaps: [String: RegisterMap] = ["82576": .i82576, "82599": .i82599]
    public static func registerMap(_ name: String) -> RegisterMap? { registerMaps[name] }

    public static func device(_ model: ModelFile, bus: UInt8) throws -> SRIOVDevice {
        try SRIOVDevice(pfs: definitions(model), bus: bus)
    }

    public static func definitions(_ model: ModelFile) -> [PFDefinition] {
        let multiFunction = model.device.pf.count > 1
        return model.device.pf.enumerated().map { index, pf in
            let header = Type0Header(
                vendorID: pf.vendorID, deviceID: pf.deviceID, revisionID: pf.revision, classCode: pf.classCode,
                subsystemVendorID: pf.subsystemVendorID, subsystemID: pf.subsystemID, multiFunction: multiFunction,
                bars: (pf.bar ?? []).map(bar), expansionROMSize: pf.expansionROMSize, capabilitiesPointer: 0,
                interruptPin: pf.interruptPin ?? 1)
            return PFDefinition(
                header: header, capabilities: capabilities(of: pf, lowestNumbered: index == 0),
                routingTable: pf.sriov.map(routingTable) ?? VFRoutingTable(entries: []),
                vfCapabilities: pf.sriov.map { vfCapabilities(of: $0.vf) } ?? [])
        }
    }

    static func bar(_ model: BARModel) -> BARDefinition {
        BARDefinition(index: model.index, kind: model.type, prefetchable: model.prefetchable ?? false, size: model.size)
    }

    static func msix(_ m: MSIXModel) -> MSIXCapability {
        MSIXCapability(tableSize: m.tableSize, tableBAR: m.tableBAR, tableOffset: m.tableOffset, pbaBAR: m.pbaBAR, pbaOffset: m.pbaOffset)
    }

    static func pcie(_ m: PCIeModel, flrDefault: Bool) -> PCIExpressCapability {
        var cap = PCIExpressCapability(portType: .endpoint, flrCapable: m.flr ?? flrDefault, linkSpeed: m.linkSpeed, linkWidth: m.linkWidth)
        if let payload = m.maxPayload { cap.maxPayloadSupported = UInt32((payload / 128).trailingZeroBitCount) }
        return cap
    }

    static func ats(_ m: ATSModel, vf: Bool) -> ATSCapability {
        ATSCapability(invalidateQueueDepth: m.invalidateQueueDepth, pageAlignedRequest: m.pageAlignedRequest, stuWritable: !vf)
    }

    static func routingTable(_ sriov: SRIOVModel) -> VFRoutingTable {
        VFRoutingTable(entries: sriov.routing.map { entry in
            let range = entry.numVFs.flatMap { $0.count == 2 && $0[0] <= $0[1] ? $0[0]...$0[1] : nil } ?? 1...UInt16.max
            return VFRoutingTable.Entry(ari: entry.ari, numVFs: range,
                                        routing: VFRouting(firstVFOffset: entry.firstVFOffset, vfStride: entry.vfStride))
        })
    }

    /// The PF's capabilities where the file puts them. ARI Capable Hierarchy exists only in the
    /// lowest-numbered PF (SR-IOV 1.1 §3.3.3.5).
    static func capabilities(of pf: PFModel, lowestNumbered: Bool = true) -> [PlacedCapability] {
        var list: [PlacedCapability] = []
        if let m = pf.powerManagement { list.append(.init(offset: m.offset, capability: PowerManagementCapability())) }
        if let m = pf.msi { list.append(.init(offset: m.offset, capability: MSICapability())) }
        if let m = pf.msix { list.append(.init(offset: m.offset, capability: msix(m))) }
        if let m = pf.pcie { list.append(.init(offset: m.offset, capability: pcie(m, flrDefault: true))) }
        if let m = pf.aer { list.append(.init(offset: m.offset, capability: AERCapability())) }
        if let m = pf.dsn { list.append(.init(offset: m.offset, capability: DeviceSerialNumberCapability(serialNumber: m.serialNumber))) }
        if let m = pf.ari { list.append(.init(offset: m.offset, capability: ARICapability(nextFunctionNumber: m.nextFunction))) }
        if let m = pf.acs { list.append(.init(offset: m.offset, capability: ACSCapability(capabilities: m.capabilities))) }
        if let m = pf.ats { list.append(.init(offset: m.offset, capability: ats(m, vf: false))) }
        if let m = pf.sriov {
            let table = routingTable(m)
            let reset = table.routing(numVFs: 0, ari: false) ?? VFRouting(firstVFOffset: 0, vfStride: 0)
            let sriov = SRIOVCapability(
                initialVFs: m.initialVFs, totalVFs: m.totalVFs, functionDependencyLink: m.functionDependencyLink ?? 0,
                vfDeviceID: m.vfDeviceID, supportedPageSizes: m.supportedPageSizes, vfMigrationCapable: m.vfMigration ?? false,
                hasARICapableHierarchy: lowestNumbered, vfBARs: m.vfBAR.map(bar), resetRouting: reset)
            list.append(.init(offset: m.offset, capability: sriov))
        }
        return list
    }

    /// Model-file key of each capability, by capability name (for error messages).
    static func capabilityKeys(of pf: PFModel) -> [String: String] {
        ["Power Management": "power_management", "MSI": "msi", "MSI-X": "msix", "PCI Express": "pcie", "AER": "aer",
         "Device Serial Number": "dsn", "ARI": "ari", "ACS": "acs", "ATS": "ats", "SR-IOV": "sriov"]
    }

    static func capabilityKeys(ofVF vf: VFModel) -> [String: String] {
        ["MSI-X": "msix", "PCI Express": "pcie", "AER": "aer", "ARI": "ari", "ATS": "ats"]
    }

    static func vfCapabilities(of vf: VFModel) -> [PlacedCapability] {
        var list: [PlacedCapability] = []
        if let m = vf.msix { list.append(.init(offset: m.offset, capability: msix(m))) }
        if let m = vf.pcie { list.append(.init(offset: m.offset, capability: pcie(m, flrDefault: true))) }
        if let m = vf.aer { list.append(.init(offset: m.offset, capability: AERCapability())) }
        if let m = vf.ari { list.append(.init(offset: m.offset, capability: ARICapability(nextFunctionNumber: m.nextFunction))) }
        if let m = vf.ats { list.append(.init(offset: m.offset, capability: ats(m, vf: true))) }
        return list
    }
}
