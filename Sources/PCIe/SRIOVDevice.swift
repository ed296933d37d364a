import RTL

/// What the model file says one PF is: its header, its capabilities and where they sit, its
/// First VF Offset / VF Stride table, and the capabilities of its VFs.
public struct PFDefinition: Sendable {
    public var header: Type0Header
    public var capabilities: [PlacedCapability]
    public var routingTable: VFRoutingTable
    /// Capabilities of each VF (PCIe endpoint, MSI-X, ARI, ...); their header comes from the PF.
    public var vfCapabilities: [PlacedCapability]

    public init(header: Type0Header, capabilities: [PlacedCapability], routingTable: VFRoutingTable, vfCapabilities: [PlacedCapability]) {
        self.header = header
        self.capabilities = capabilities
        self.routingTable = routingTable
        self.vfCapabilities = vfCapabilities
    }

    public var sriov: (offset: Int, capability: SRIOVCapability)? {
        capabilities.lazy.compactMap { p in (p.capability as? SRIOVCapability).map { (p.offset, $0) } }.first
    }

    public func offset<C: Capability>(of type: C.Type) -> Int? {
        capabilities.first { $0.capability is C }?.offset
    }
}

/// A VF: its routing ID and its reduced config space (SR-IOV 1.1 §3.4: Vendor and Device ID read
/// 0xFFFF, BARs read 0, no I/O or INTx; its memory decode follows the PF's VF MSE).
public struct VirtualFunction: Sendable {
    /// 0-based VF index (the spec's VF number is index + 1).
    public let index: Int
    public let rid: UInt16
    public internal(set) var config: ConfigSpace
}

/// One PF and the VFs it has enabled.
public struct PhysicalFunction: Sendable {
    public let definition: PFDefinition
    /// Function number within the device (devfn of the PF with device number 0).
    public let function: UInt8
    public internal(set) var config: ConfigSpace
    public internal(set) var vfs: [VirtualFunction] = []
    /// A VF's config space at reset, built once.
    let vfTemplate: ConfigSpace?
    let sriovOffset: Int?
    let pcieOffset: Int?

    init(definition: PFDefinition, function: UInt8) throws {
        self.definition = definition
        self.function = function
        var header = definition.header
        header.capabilitiesPointer = CapabilityLayout.capabilitiesPointer(definition.capabilities)
        config = try CapabilityLayout.build(header: header.registers, capabilities: definition.capabilities)
        sriovOffset = definition.sriov?.offset
        pcieOffset = definition.offset(of: PCIExpressCapability.self)
        if sriovOffset != nil {
            var vfHeader = definition.header
            vfHeader.vendorID = 0xFFFF
            vfHeader.deviceID = 0xFFFF
            vfHeader.bars = []
            vfHeader.expansionROMSize = nil
            vfHeader.multiFunction = false
            vfHeader.interruptPin = 0
            vfHeader.virtualFunction = true
            vfHeader.capabilitiesPointer = CapabilityLayout.capabilitiesPointer(definition.vfCapabilities)
            vfTemplate = try CapabilityLayout.build(header: vfHeader.registers, capabilities: definition.vfCapabilities)
        } else {
            vfTemplate = nil
        }
    }

    // MARK: SR-IOV state, read from the registers themselves

    func sriovRead(_ register: Int, size: Int) -> UInt32 {
        config.read(offset: sriovOffset! + register, size: size)!
    }

    public var hasSRIOV: Bool { sriovOffset != nil }
    public var sriovControl: UInt32 { hasSRIOV ? sriovRead(SRIOVCapability.controlOffset, size: 2) : 0 }
    public var vfEnable: Bool { sriovControl & SRIOVCapability.vfEnable != 0 }
    /// VF MSE: gates every VF's memory decode.
    public var vfMemorySpaceEnable: Bool { sriovControl & SRIOVCapability.vfMemorySpaceEnable != 0 }
    public var numVFs: UInt16 { hasSRIOV ? UInt16(sriovRead(SRIOVCapability.numVFsOffset, size: 2)) : 0 }
    public var totalVFs: UInt16 { hasSRIOV ? UInt16(sriovRead(SRIOVCapability.totalVFsOffset, size: 2)) : 0 }
    public var firstVFOffset: UInt16 { hasSRIOV ? UInt16(sriovRead(SRIOVCapability.firstVFOffsetOffset, size: 2)) : 0 }
    public var vfStride: UInt16 { hasSRIOV ? UInt16(sriovRead(SRIOVCapability.vfStrideOffset, size: 2)) : 0 }
    public var systemPageSize: UInt32 { hasSRIOV ? sriovRead(SRIOVCapability.systemPageSizeOffset, size: 4) : 0 }

    /// The VF BAR definitions, and each one's programmed base.
    public var vfBARs: [(definition: BARDefinition, base: UInt64)] {
        guard let sriov = definition.sriov else { return [] }
        return sriov.capability.vfBARs.map { bar in
            (bar, bar.base(in: config, at: sriov.offset + SRIOVCapability.vfBAR0Offset + 4 * bar.index))
        }
    }

    /// VF `index`'s aperture of VF BAR `bar`: base + index * size (SR-IOV 1.1 §3.3.14), or nil
    /// when the BAR does not exist or the VF is not enabled. `decodes` is the PF's VF MSE.
    /// Whether the VFs' routing IDs run past 0xFFFF and wrap (an impossible layout the proofs
    /// report): then they no longer grow with the VF index.
    public var vfRIDsWrap: Bool {
        guard let first = vfs.first else { return false }
        return Int(first.rid) + vfRIDStep * (vfs.count - 1) > 0xFFFF
    }

    /// The step from one VF's routing ID to the next, modulo 2^16 (0 with fewer than two VFs).
    var vfRIDStep: Int { vfs.count > 1 ? Int(vfs[1].rid &- vfs[0].rid) : 0 }

    /// The highest VF routing ID: the last VF's, unless the RIDs wrap past 0xFFFF; then the
    /// top of each run between wraps, walked run by run (two runs for stride 1).
    public var maxVFRID: UInt16? {
        guard let first = vfs.first, let last = vfs.last else { return nil }
        guard vfRIDsWrap else { return last.rid }
        let stride = vfRIDStep
        var best = 0, value = Int(first.rid), remaining = vfs.count - 1
        while true {
            let steps = min(remaining, (0xFFFF - value) / stride)
            best = max(best, value + steps * stride)
            remaining -= steps
            guard remaining > 0 else { break }
            value += (steps + 1) * stride - 0x10000
            remaining -= 1
        }
        return UInt16(max(best, value))
    }

    public func vfAperture(vf index: Int, bar: Int) -> (base: UInt64, size: UInt64, decodes: Bool)? {
        guard index < vfs.count, let entry = vfBARs.first(where: { $0.definition.index == bar }) else { return nil }
        let base = VFAperture.base(vfBARBase: Bits<Concrete, 64>(entry.base), perVFSize: Bits(entry.definition.size), vfIndex: Bits(UInt64(index)))
        return (base.value, entry.definition.size, vfMemorySpaceEnable)
    }
}

/// An SR-IOV endpoint device: its PFs at function numbers 0, 1, ... on `bus`, and their VFs at
/// the routing IDs First VF Offset and VF Stride give. Config requests address it by routing ID;
/// one that no enabled function answers is an Unsupported Request (nil / false).
public struct SRIOVDevice: Sendable {
    public private(set) var pfs: [PhysicalFunction]
    /// The bus the PFs are on (captured from Type 0 config writes on a real link).
    public var bus: UInt8
    /// Functions reset by a Function Level Reset since the owner last took the list.
    public internal(set) var resets: [FunctionID] = []

    public init(pfs definitions: [PFDefinition], bus: UInt8) throws {
        self.bus = bus
        pfs = try definitions.enumerated().map { try PhysicalFunction(definition: $1, function: UInt8($0)) }
        updateRouting()
    }

    /// A function of the device.
    public enum FunctionID: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
        case pf(Int)
        case vf(pf: Int, index: Int)

        /// Device order: each PF, then its VFs in order.
        public static func < (a: FunctionID, b: FunctionID) -> Bool { a.place < b.place }

        /// The PF and the function's place among that PF's: 0 for the PF, 1 + n for VF n (device
        /// order; what tables kept per function are indexed by).
        public var place: (pf: Int, index: Int) {
            switch self {
            case .pf(let p): (p, 0)
            case .vf(let p, let v): (p, v + 1)
            }
        }

        /// `pf1`, `pf0.vf5`: the name within the device.
        public var description: String {
            switch self {
            case .pf(let p): "pf\(p)"
            case .vf(let p, let v): "pf\(p).vf\(v)"
            }
        }
    }

    public func rid(ofPF pf: Int) -> UInt16 { UInt16(bus) << 8 | UInt16(pfs[pf].function) }

    /// ARI Capable Hierarchy: held in the lowest-numbered PF, it applies to all.
    public var ariCapableHierarchy: Bool { pfs.first.map { $0.sriovControl & SRIOVCapability.ariCapableHierarchy != 0 } ?? false }

    /// Every enabled function, PFs first, then each PF's VFs in order, with its routing ID.
    public var functions: [(id: FunctionID, rid: UInt16)] {
        var list = pfs.indices.map { (FunctionID.pf($0), rid(ofPF: $0)) }
        for (p, pf) in pfs.enumerated() {
            list += pf.vfs.map { (FunctionID.vf(pf: p, index: $0.index), $0.rid) }
        }
        return list
    }

    /// The routing ID of a function.
    public func rid(of id: FunctionID) -> UInt16 {
        switch id {
        case .pf(let p): rid(ofPF: p)
        case .vf(let p, let i): pfs[p].vfs[i].rid
        }
    }

    /// The highest bus number any enabled function sits on (VFs may spill past the PFs' bus).
    public var lastBus: UInt8 {
        pfs.reduce(bus) { top, pf in pf.maxVFRID.map { max(top, UInt8($0 >> 8)) } ?? top }
    }

    /// The function at `rid`: the PFs first, then each PF's VFs, found by inverting
    /// RID = RID(PF) + First VF Offset + i * VF Stride (SR-IOV 1.1 §3.3.10-11), so a config
    /// request costs the same with 8 VFs or 60,000. The first match in `functions` order wins.
    public func function(at rid: UInt16) -> FunctionID? {
        if let p = pfs.indices.first(where: { self.rid(ofPF: $0) == rid }) { return .pf(p) }
        for (p, pf) in pfs.enumerated() {
            guard let first = pf.vfs.first else { continue }
            let distance = UInt32(rid &- first.rid)
            let stride = UInt32(pf.vfRIDStep)
            guard stride != 0 else {
                if distance == 0 { return .vf(pf: p, index: 0) }
                continue
            }
            // Solve i * stride = distance (mod 2^16): with stride = 2^k * s, s odd, a solution
            // exists when 2^k divides distance, and the smallest is (distance / 2^k) * s^-1
            // modulo 2^(16-k). This holds whether or not the RIDs wrap past 0xFFFF.
            let k = UInt32(stride.trailingZeroBitCount)
            guard distance & ((1 << k) - 1) == 0 else { continue }
            let modulus: UInt32 = 1 << (16 - k)
            let odd = (stride >> k) & (modulus - 1)
            var inverse = odd
            for _ in 0..<5 { inverse = inverse &* (2 &- odd &* inverse) }
            let index = Int(((distance >> k) &* inverse) & (modulus - 1))
            if index < pf.vfs.count { return .vf(pf: p, index: index) }
        }
        return nil
    }

    public func config(of id: FunctionID) -> ConfigSpace {
        switch id {
        case .pf(let p): pfs[p].config
        case .vf(let p, let i): pfs[p].vfs[i].config
        }
    }

    /// A configuration read; nil when no enabled function has `rid` or the access is malformed.
    public func configRead(rid: UInt16, offset: Int, size: Int) -> UInt32? {
        guard let id = function(at: rid) else { return nil }
        return config(of: id).read(offset: offset, size: size)
    }

    /// A configuration write; false (Unsupported Request, logged by `unsupportedRequest`) when
    /// no enabled function has `rid` or the access is malformed. Read-only fields ignore the
    /// write, as the spec says.
    @discardableResult
    public mutating func configWrite(rid: UInt16, offset: Int, size: Int, value: UInt32) -> Bool {
        guard let id = function(at: rid) else {
            unsupportedRequest(by: nil)
            return false
        }
        let done: Bool
        switch id {
        case .pf(let p): done = writePF(p, offset: offset, size: size, value: value)
        case .vf(let p, let i): done = writeVF(pf: p, index: i, offset: offset, size: size, value: value)
        }
        if !done { unsupportedRequest(by: id) }
        return done
    }

    /// Logs a request handled as Unsupported Request (PCIe Base 4.0 §6.2.3.2.3, §6.2.7): Device
    /// Status "Unsupported Request Detected" and, with AER, "Unsupported Request Error Status"
    /// of the function it was for; one that no function claims (nil) is logged in PF 0.
    public mutating func unsupportedRequest(by id: FunctionID?) {
        func log(_ config: inout ConfigSpace) {
            config.signal("unsupportedRequestDetected", in: "Device Status")
            config.signal("unsupportedRequestErrorStatus", in: "Uncorrectable Error Status")
        }
        switch id ?? .pf(0) {
        case .pf(let p): log(&pfs[p].config)
        case .vf(let p, let i): log(&pfs[p].vfs[i].config)
        }
    }

    /// Takes the list of functions reset since the last call.
    public mutating func takeResets() -> [FunctionID] {
        defer { resets = [] }
        return resets
    }

    /// Logs a completion with an unsuccessful status for a request the function issued (PCIe Base
    /// 4.0 §7.5.1.1.4): Status "Received Master Abort" for UR, "Received Target Abort" for CA.
    public mutating func requestFailed(by id: FunctionID, status: TLP.CompletionStatus) {
        let field = status == .unsupportedRequest ? "receivedMasterAbort" : "receivedTargetAbort"
        switch id {
        case .pf(let p): pfs[p].config.signal(field, in: "Status")
        case .vf(let p, let i): pfs[p].vfs[i].config.signal(field, in: "Status")
        }
    }

    // MARK: Write paths

    /// Writes to VF `index` of PF `pf`; a write of 1 to Initiate FLR resets that VF only.
    mutating func writeVF(pf p: Int, index i: Int, offset: Int, size: Int, value: UInt32) -> Bool {
        guard pfs[p].vfs[i].config.write(offset: offset, size: size, value: value) else { return false }
        if initiatesFLR(pcieOffset: pfs[p].definition.vfCapabilities.first { $0.capability is PCIExpressCapability }?.offset,
                        flrCapable: flrCapable(pfs[p].definition.vfCapabilities), offset: offset, size: size, value: value) {
            pfs[p].vfs[i].config.reset()
            resets.append(.vf(pf: p, index: i))
        }
        return true
    }

    mutating func writePF(_ p: Int, offset: Int, size: Int, value: UInt32) -> Bool {
        let before = pfs[p]
        guard pfs[p].config.write(offset: offset, size: size, value: value) else { return false }
        if let s = before.sriovOffset, let sriov = before.definition.sriov?.capability {
            applySRIOVRules(p, cap: s, sriov: sriov, before: before)
        }
        if initiatesFLR(pcieOffset: before.pcieOffset, flrCapable: flrCapable(before.definition.capabilities),
                        offset: offset, size: size, value: value) {
            // A PF's FLR resets the PF, SR-IOV included: its VFs disappear.
            pfs[p].config.reset()
            pfs[p].vfs = []
            resets.append(.pf(p))
        }
        updateRouting()
        return true
    }

    /// Applies `SRIOVRules` to the merged values and creates or removes VFs on VF Enable.
    mutating func applySRIOVRules(_ p: Int, cap s: Int, sriov: SRIOVCapability, before: PhysicalFunction) {
        let oldControl = Bits<Concrete, 16>(UInt64(before.sriovControl))
        let oldNumVFs = Bits<Concrete, 16>(UInt64(before.numVFs))
        let control = SRIOVRules.control(old: oldControl, merged: Bits(UInt64(pfs[p].sriovControl)),
                                         numVFs: oldNumVFs, totalVFs: Bits(UInt64(sriov.totalVFs)))
        let numVFs = SRIOVRules.numVFs(old: oldNumVFs, merged: Bits(UInt64(pfs[p].numVFs)), vfEnable: oldControl[bit: 0])
        let pageSize = SRIOVRules.systemPageSize(old: Bits(UInt64(before.systemPageSize)), merged: Bits(UInt64(pfs[p].systemPageSize)),
                                                 supported: Bits(UInt64(sriov.supportedPageSizes)), vfEnable: oldControl[bit: 0])
        pfs[p].config.hardwareSet(offset: s + SRIOVCapability.controlOffset, size: 2, value: UInt32(control.value))
        pfs[p].config.hardwareSet(offset: s + SRIOVCapability.numVFsOffset, size: 2, value: UInt32(numVFs.value))
        pfs[p].config.hardwareSet(offset: s + SRIOVCapability.systemPageSizeOffset, size: 4, value: UInt32(pageSize.value))
        let wasEnabled = before.vfEnable, isEnabled = pfs[p].vfEnable
        if !wasEnabled && isEnabled {
            updateRouting()
            createVFs(p)
        } else if wasEnabled && !isEnabled {
            pfs[p].vfs = []
        }
    }

    /// VF `i` of PF `p` appears at PF RID + First VF Offset + i * VF Stride, with its reset
    /// config space.
    mutating func createVFs(_ p: Int) {
        let pf = pfs[p]
        guard let template = pf.vfTemplate else { return }
        let layout = SRIOVLayout(pfRID: rid(ofPF: p), firstVFOffset: pf.firstVFOffset, vfStride: pf.vfStride,
                                 numVFs: pf.numVFs, ari: ariCapableHierarchy)
        pfs[p].vfs = layout.vfRIDs.enumerated().map { VirtualFunction(index: $0, rid: $1, config: template) }
    }

    /// First VF Offset and VF Stride follow NumVFs and ARI Capable Hierarchy through each PF's
    /// table; hardware updates the RO fields, so this writes them directly.
    mutating func updateRouting() {
        let ari = ariCapableHierarchy
        for p in pfs.indices {
            guard let s = pfs[p].sriovOffset, let routing = pfs[p].definition.routingTable.routing(numVFs: pfs[p].numVFs, ari: ari) else { continue }
            pfs[p].config.hardwareSet(offset: s + SRIOVCapability.firstVFOffsetOffset, size: 2, value: UInt32(routing.firstVFOffset))
            pfs[p].config.hardwareSet(offset: s + SRIOVCapability.vfStrideOffset, size: 2, value: UInt32(routing.vfStride))
        }
    }

    func flrCapable(_ capabilities: [PlacedCapability]) -> Bool {
        (capabilities.first { $0.capability is PCIExpressCapability }?.capability as? PCIExpressCapability)?.flrCapable ?? false
    }

    /// Whether a write sets Device Control bit 15 (Initiate Function Level Reset) of an
    /// FLR-capable function (PCIe Base 4.0 §6.6.2).
    func initiatesFLR(pcieOffset: Int?, flrCapable: Bool, offset: Int, size: Int, value: UInt32) -> Bool {
        guard flrCapable, let pcie = pcieOffset else { return false }
        let flrByte = pcie + PCIExpressCapability.deviceControlOffset + 1
        guard offset <= flrByte && flrByte < offset + size else { return false }
        return (value >> UInt32(8 * (flrByte - offset))) & 0x80 != 0
    }
}

extension SRIOVDevice {
    /// Reports a trained link in every PF's Link Status (a multi-function device shares one
    /// link; VFs' Link Status is RsvdZ, SR-IOV 1.1 §3.5.6).
    public mutating func reportLink(_ link: (speed: UInt32, width: UInt32)) {
        for p in pfs.indices { LinkTraining.apply(link, to: &pfs[p].config) }
    }
}
