import RTL

/// What firmware and SR-PCIM set up, as plain values: the bridges with their bus numbers and
/// windows, and the endpoint functions with their BARs and SR-IOV state.
public struct Enumerated: Sendable {
    public struct Bridge: Sendable {
        public let rid: UInt16
        /// The bridge above it (nil for root ports).
        public let parent: UInt16?
        public let isDownstreamPort: Bool
    }

    public struct BAR: Sendable, Equatable {
        public let index: Int
        public let base: UInt64
        /// Per function (per VF for VF BARs).
        public let size: UInt64
        public let prefetchable: Bool
        public let is64: Bool
    }

    public struct SRIOV: Sendable {
        public let capability: Int
        public let totalVFs: UInt16
        public var numVFs: UInt16
        public var firstVFOffset: UInt16
        public var vfStride: UInt16
        public let systemPageSize: UInt64
        public var vfBARs: [BAR]
        /// (First VF Offset, VF Stride) the device reported for each NumVFs 1...TotalVFs.
        public let routingByNumVFs: [UInt16: VFRouting]
        public var ariCapableHierarchy: Bool
        public var vfRIDs: [UInt16]
    }

    public struct Function: Sendable {
        public let rid: UInt16
        /// The port directly above.
        public let bridge: UInt16
        public var bars: [BAR]
        public var sriov: SRIOV?
    }

    public var bridges: [Bridge] = []
    public var functions: [Function] = []
    public var lastBus: UInt8 = 0
}

/// Firmware enumeration and SR-PCIM, as Linux and a PC BIOS do them, only through config
/// requests (sriov-facts §3.1-3.2; seed §5.1-5.2): depth-first bus numbering that reserves the
/// buses VFs spill onto, ARI Forwarding Enable and ARI Capable Hierarchy, System Page Size,
/// BAR sizing and assignment with bridge windows, then NumVFs, VF Enable and VF discovery.
public struct Enumeration {
    public struct Policy: Sendable {
        /// Host page size (Linux: PAGE_SIZE); System Page Size is the smallest supported size
        /// at least this large.
        public var pageSize: UInt64 = 4096
        /// Reserve the bus numbers VFs need (Linux `pci_iov_bus_range`); a BIOS that does not
        /// leaves them out.
        public var reserveVFBuses = true
        /// Where 32-bit non-prefetchable and 64-bit prefetchable space starts.
        public var memoryBase: UInt64 = 0xC000_0000
        public var prefetchableBase: UInt64 = 0x40_0000_0000
        public init() {}
    }

    public let access: ConfigAccess
    public let policy: Policy
    public private(set) var result = Enumerated()
    var nextBus: UInt8 = 0
    var tree: [UInt16: ResourceNode] = [:]
    var roots: [ResourceNode] = []

    public init(access: ConfigAccess, policy: Policy = Policy()) {
        self.access = access
        self.policy = policy
    }

    static func rid(bus: UInt8, devfn: Int) -> UInt16 { UInt16(bus) << 8 | UInt16(devfn) }

    // MARK: Bus numbering

    /// Scans bus 0 and everything below; assigns resources.
    public mutating func run() {
        scanBus(0, bridge: nil, belowDownstreamPort: false, ariForwarding: false)
        result.lastBus = nextBus
        assignResources()
    }

    mutating func scanBus(_ bus: UInt8, bridge: UInt16?, belowDownstreamPort: Bool, ariForwarding: Bool) {
        // Below a downstream port only Device 0 exists (Linux only_one_child).
        let devices = belowDownstreamPort ? 0..<1 : 0..<32
        var firstPF = true
        for device in devices {
            let fn0 = Self.rid(bus: bus, devfn: device << 3)
            guard let id = access.read(fn0, 0), id & 0xFFFF != 0xFFFF else { continue }
            var functions: [Int] = [device << 3]
            if ariForwarding, device == 0, let ari = access.capability(fn0, id: 0x000E, extended: true) {
                // ARI: follow Next Function Number (must increase) instead of 0...7.
                var next = Int(access.read(fn0, ari + 4, size: 2).map { $0 >> 8 } ?? 0)
                while next > (functions.last ?? 0) {
                    functions.append(next)
                    let rid = Self.rid(bus: bus, devfn: next)
                    guard let cap = access.capability(rid, id: 0x000E, extended: true) else { break }
                    next = Int(access.read(rid, cap + 4, size: 2).map { $0 >> 8 } ?? 0)
                }
            } else if let header = access.read(fn0, 0x0E, size: 1), header & 0x80 != 0 {
                functions = (0..<8).map { device << 3 | $0 }
            }
            for devfn in functions {
                let rid = Self.rid(bus: bus, devfn: devfn)
                guard let id = access.read(rid, 0), id & 0xFFFF != 0xFFFF else { continue }
                let header = access.read(rid, 0x0E, size: 1)! & 0x7F
                if header == 1 {
                    scanBridge(rid, parent: bridge)
                } else {
                    scanEndpoint(rid, bridge: bridge ?? 0, ariForwarding: ariForwarding, firstPF: &firstPF)
                }
            }
        }
    }

    mutating func scanBridge(_ rid: UInt16, parent: UInt16?) {
        let pcie = access.capability(rid, id: 0x10, extended: false)
        let portType = pcie.flatMap { access.read(rid, $0 + 2, size: 2) }.map { ($0 >> 4) & 0xF } ?? 0
        let downstream = portType == 0x4 || portType == 0x6
        // Bus numbers end at 255: a hierarchy that needs more gets 255 again, which the
        // routing-ID proofs then report, rather than wrapping to bus 0.
        nextBus = nextBus == 255 ? 255 : nextBus + 1
        let secondary = nextBus
        access.write(rid, Type1Header.primaryBusOffset, size: 1, UInt32(rid >> 8))
        access.write(rid, Type1Header.secondaryBusOffset, size: 1, UInt32(secondary))
        access.write(rid, Type1Header.subordinateBusOffset, size: 1, 0xFF)
        result.bridges.append(.init(rid: rid, parent: parent, isDownstreamPort: downstream))
        let node = ResourceNode(rid: rid)
        if let parent, let parentNode = tree[parent] { parentNode.children.append(node) } else { roots.append(node) }
        tree[rid] = node
        // ARI Forwarding Enable when the port supports it and the device below is ARI
        // (Linux pci_configure_ari, done for function 0 below the port).
        var ari = false
        if downstream, let pcie, let devcap2 = access.read(rid, pcie + 0x24), devcap2 & 0x20 != 0 {
            let below = Self.rid(bus: secondary, devfn: 0)
            if let id = access.read(below, 0), id & 0xFFFF != 0xFFFF, access.capability(below, id: 0x000E, extended: true) != nil {
                let control = access.read(rid, pcie + PCIExpressCapability.deviceControl2Offset, size: 2) ?? 0
                access.write(rid, pcie + PCIExpressCapability.deviceControl2Offset, size: 2, control | PCIExpressCapability.ariForwardingEnableBit)
                ari = true
            }
        }
        scanBus(secondary, bridge: rid, belowDownstreamPort: downstream, ariForwarding: ari)
        access.write(rid, Type1Header.subordinateBusOffset, size: 1, UInt32(nextBus))
    }

    // MARK: Endpoints and SR-IOV

    mutating func scanEndpoint(_ rid: UInt16, bridge: UInt16, ariForwarding: Bool, firstPF: inout Bool) {
        var function = Enumerated.Function(rid: rid, bridge: bridge, bars: sizeBARs(rid, at: Type0Header.barOffset), sriov: nil)
        if let cap = access.capability(rid, id: 0x0010, extended: true) {
            function.sriov = sriovInit(rid, cap: cap, ari: ariForwarding && firstPF)
            firstPF = false
        }
        for bar in function.bars { tree[bridge]?.requests.append(.init(rid: rid, offset: Type0Header.barOffset + 4 * bar.index, bar: bar, count: 1)) }
        if let sriov = function.sriov {
            for bar in sriov.vfBARs {
                tree[bridge]?.requests.append(.init(rid: rid, offset: sriov.capability + SRIOVCapability.vfBAR0Offset + 4 * bar.index,
                                                    bar: bar, count: UInt64(sriov.totalVFs)))
            }
        }
        result.functions.append(function)
    }

    /// Linux sriov_init: ARI Capable Hierarchy, System Page Size, VF BAR sizes, and the bus
    /// range every NumVFs needs (compute_max_vf_buses).
    mutating func sriovInit(_ rid: UInt16, cap: Int, ari: Bool) -> Enumerated.SRIOV {
        let control = access.read(rid, cap + SRIOVCapability.controlOffset, size: 2) ?? 0
        if ari { access.write(rid, cap + SRIOVCapability.controlOffset, size: 2, control | SRIOVCapability.ariCapableHierarchy) }
        let supported = access.read(rid, cap + SRIOVCapability.supportedPageSizesOffset) ?? 0
        var pageSize = supported & ~UInt32(truncatingIfNeeded: (policy.pageSize >> 12) - 1)
        pageSize &= ~(pageSize &- 1)
        if pageSize != 0 { access.write(rid, cap + SRIOVCapability.systemPageSizeOffset, pageSize) }
        let total = UInt16(access.read(rid, cap + SRIOVCapability.totalVFsOffset, size: 2) ?? 0)
        var routing: [UInt16: VFRouting] = [:]
        var last = rid >> 8
        for n in stride(from: total, through: 1, by: -1) {
            access.write(rid, cap + SRIOVCapability.numVFsOffset, size: 2, UInt32(n))
            let offset = UInt16(access.read(rid, cap + SRIOVCapability.firstVFOffsetOffset, size: 2) ?? 0)
            let stride = UInt16(access.read(rid, cap + SRIOVCapability.vfStrideOffset, size: 2) ?? 0)
            routing[n] = VFRouting(firstVFOffset: offset, vfStride: stride)
            let bus = RoutingID.lastBus(pf: Bits<Concrete, 16>(UInt64(rid)), firstVFOffset: Bits(UInt64(offset)),
                                        vfStride: Bits(UInt64(stride)), numVFs: Bits(UInt64(n))).value
            last = max(last, UInt16(min(bus, 0xFF)))
        }
        access.write(rid, cap + SRIOVCapability.numVFsOffset, size: 2, 0)
        if policy.reserveVFBuses { nextBus = max(nextBus, UInt8(last)) }
        let vfBARs = sizeBARs(rid, at: cap + SRIOVCapability.vfBAR0Offset)
        return Enumerated.SRIOV(capability: cap, totalVFs: total, numVFs: 0, firstVFOffset: 0, vfStride: 0,
                                systemPageSize: UInt64(pageSize) << 12, vfBARs: vfBARs, routingByNumVFs: routing,
                                ariCapableHierarchy: ari, vfRIDs: [])
    }

    /// Sizes the six BARs starting at `offset`: write all ones, read back, restore.
    func sizeBARs(_ rid: UInt16, at offset: Int) -> [Enumerated.BAR] {
        var bars: [Enumerated.BAR] = []
        var index = 0
        while index < 6 {
            let register = offset + 4 * index
            let original = access.read(rid, register) ?? 0
            access.write(rid, register, 0xFFFF_FFFF)
            let low = access.read(rid, register) ?? 0
            access.write(rid, register, original)
            guard low != 0 else { index += 1; continue }
            if low & 1 == 1 { index += 1; continue }   // I/O space: not assigned (no I/O windows yet)
            let is64 = (low >> 1) & 3 == 2
            var mask = UInt64(low & ~0xF) | 0xFFFF_FFFF_0000_0000
            if is64 {
                let high = access.read(rid, register + 4) ?? 0
                access.write(rid, register + 4, 0xFFFF_FFFF)
                mask = UInt64(access.read(rid, register + 4) ?? 0) << 32 | UInt64(low & ~0xF)
                access.write(rid, register + 4, high)
            }
            bars.append(.init(index: index, base: 0, size: ~mask &+ 1, prefetchable: low & 0x8 != 0, is64: is64))
            index += is64 ? 2 : 1
        }
        return bars
    }

    // MARK: Resources

    /// Window sizes bottom-up, then addresses top-down (PCI 3.0 §6.2.5; Linux
    /// pbus_size_mem / __assign_resources_sorted): largest alignment first, bridge windows
    /// in 1 MiB units, VF BARs as TotalVFs x per-VF size aligned to the per-VF size.
    mutating func assignResources() {
        var memory = policy.memoryBase, prefetchable = policy.prefetchableBase
        for root in roots {
            root.computeSizes()
            memory = alignUp(memory, root.align(prefetchable: false))
            prefetchable = alignUp(prefetchable, root.align(prefetchable: true))
            assign(root, memory: memory, prefetchable: prefetchable)
            memory += root.size(prefetchable: false)
            prefetchable += root.size(prefetchable: true)
        }
        // Bridges: memory decode and bus mastering on.
        for bridge in result.bridges {
            access.write(bridge.rid, Type0Header.commandOffset, size: 2, 0x0006)
        }
    }

    mutating func assign(_ node: ResourceNode, memory: UInt64, prefetchable: UInt64) {
        let rid = node.rid
        for pref in [false, true] {
            let size = node.size(prefetchable: pref)
            let base = pref ? prefetchable : memory
            let (baseRegister, limitRegister) = size == 0 ? (UInt32(0xFFF0), UInt32(0)) :
                (UInt32((base >> 16) & 0xFFF0), UInt32(((base + size - 1) >> 16) & 0xFFF0))
            access.write(rid, pref ? 0x24 : 0x20, size: 2, baseRegister)
            access.write(rid, pref ? 0x26 : 0x22, size: 2, limitRegister)
            if pref {
                access.write(rid, 0x28, UInt32(truncatingIfNeeded: size == 0 ? 0 : base >> 32))
                access.write(rid, 0x2C, UInt32(truncatingIfNeeded: size == 0 ? 0 : (base + size - 1) >> 32))
            }
        }
        // Bases for everything below, largest alignment first in each window; then each child
        // bridge once, with its bases in both windows.
        var cursor = (memory, prefetchable)
        var childBases: [UInt16: (memory: UInt64, prefetchable: UInt64)] = [:]
        for item in node.items() {
            let pref = item.prefetchable
            let base = alignUp(pref ? cursor.1 : cursor.0, item.align)
            switch item.kind {
            case .request(let request):
                access.write(request.rid, request.offset, UInt32(truncatingIfNeeded: base))
                if request.bar.is64 { access.write(request.rid, request.offset + 4, UInt32(truncatingIfNeeded: base >> 32)) }
                record(request, base: base)
            case .bridge(let child):
                var bases = childBases[child.rid] ?? (0, 0)
                if pref { bases.prefetchable = base } else { bases.memory = base }
                childBases[child.rid] = bases
            }
            if pref { cursor.1 = base + item.size } else { cursor.0 = base + item.size }
        }
        for child in node.children {
            let bases = childBases[child.rid] ?? (0, 0)
            assign(child, memory: bases.memory, prefetchable: bases.prefetchable)
        }
        // Endpoint functions below: memory decode and bus mastering on.
        for request in node.requests where request.count == 1 {
            access.write(request.rid, Type0Header.commandOffset, size: 2, 0x0006)
        }
    }

    mutating func record(_ request: ResourceNode.Request, base: UInt64) {
        guard let index = result.functions.firstIndex(where: { $0.rid == request.rid }) else { return }
        let assigned = Enumerated.BAR(index: request.bar.index, base: base, size: request.bar.size,
                                      prefetchable: request.bar.prefetchable, is64: request.bar.is64)
        if request.count == 1 {
            if let k = result.functions[index].bars.firstIndex(where: { $0.index == request.bar.index }) { result.functions[index].bars[k] = assigned }
        } else if let k = result.functions[index].sriov?.vfBARs.firstIndex(where: { $0.index == request.bar.index }) {
            result.functions[index].sriov?.vfBARs[k] = assigned
        }
    }

    // MARK: SR-PCIM

    /// Enables `numVFs(pfRID)` VFs on every PF as Linux's sriov_enable does (NumVFs, then VF
    /// Enable | VF MSE), checks the bus range, and discovers each VF at the RID First VF Offset
    /// and VF Stride give. Returns the PFs the device refused.
    @discardableResult
    public mutating func enableVFs(_ numVFs: (UInt16) -> UInt16) -> [UInt16] {
        var refused: [UInt16] = []
        for index in result.functions.indices {
            guard var sriov = result.functions[index].sriov else { continue }
            let rid = result.functions[index].rid
            // Not clamped to TotalVFs: the device decides, and refuses VF Enable above it.
            let n = numVFs(rid)
            guard n > 0 else { continue }
            let cap = sriov.capability
            access.write(rid, cap + SRIOVCapability.numVFsOffset, size: 2, UInt32(n))
            sriov.firstVFOffset = UInt16(access.read(rid, cap + SRIOVCapability.firstVFOffsetOffset, size: 2) ?? 0)
            sriov.vfStride = UInt16(access.read(rid, cap + SRIOVCapability.vfStrideOffset, size: 2) ?? 0)
            let control = access.read(rid, cap + SRIOVCapability.controlOffset, size: 2) ?? 0
            access.write(rid, cap + SRIOVCapability.controlOffset, size: 2, control | SRIOVCapability.vfEnable | SRIOVCapability.vfMemorySpaceEnable)
            guard let after = access.read(rid, cap + SRIOVCapability.controlOffset, size: 2), after & SRIOVCapability.vfEnable != 0 else {
                refused.append(rid)
                continue
            }
            sriov.numVFs = n
            let layout = SRIOVLayout(pfRID: rid, firstVFOffset: sriov.firstVFOffset, vfStride: sriov.vfStride, numVFs: n, ari: sriov.ariCapableHierarchy)
            // VF discovery: a VF answers config reads (its Vendor ID reads all ones, but with a
            // successful completion, unlike a missing function).
            sriov.vfRIDs = layout.vfRIDs.filter { access.read($0, 0x08) != nil }
            result.functions[index].sriov = sriov
        }
        return refused
    }
}

/// A bridge and what lies below it, for sizing windows.
final class ResourceNode {
    struct Request {
        let rid: UInt16
        /// Config offset of the BAR register.
        let offset: Int
        let bar: Enumerated.BAR
        /// 1 for a function BAR; TotalVFs for a VF BAR.
        let count: UInt64
        var size: UInt64 { bar.size * count }
        /// Prefetchable 64-bit BARs go in the prefetchable window; everything else below 4 GiB.
        var prefetchable: Bool { bar.prefetchable && bar.is64 }
    }

    enum Kind { case request(Request), bridge(ResourceNode) }
    struct Item {
        let kind: Kind
        let size: UInt64
        let align: UInt64
        let prefetchable: Bool
    }

    let rid: UInt16
    var children: [ResourceNode] = []
    var requests: [Request] = []
    var sizes: (memory: UInt64, prefetchable: UInt64) = (0, 0)
    var aligns: (memory: UInt64, prefetchable: UInt64) = (1 << 20, 1 << 20)

    init(rid: UInt16) { self.rid = rid }

    func size(prefetchable: Bool) -> UInt64 { prefetchable ? sizes.prefetchable : sizes.memory }
    func align(prefetchable: Bool) -> UInt64 { prefetchable ? aligns.prefetchable : aligns.memory }

    /// Everything below, largest alignment first.
    func items() -> [Item] {
        let fromRequests = requests.map { Item(kind: .request($0), size: $0.size, align: $0.bar.size, prefetchable: $0.prefetchable) }
        let fromChildren = children.flatMap { child in
            [false, true].compactMap { pref in
                child.size(prefetchable: pref) == 0 ? nil : Item(kind: .bridge(child), size: child.size(prefetchable: pref), align: child.align(prefetchable: pref), prefetchable: pref)
            }
        }
        return (fromRequests + fromChildren).sorted { $0.align != $1.align ? $0.align > $1.align : $0.size > $1.size }
    }

    func computeSizes() {
        for child in children { child.computeSizes() }
        for pref in [false, true] {
            var cursor: UInt64 = 0, align: UInt64 = 1 << 20
            for item in items() where item.prefetchable == pref {
                cursor = alignUp(cursor, item.align) + item.size
                align = max(align, item.align)
            }
            let size = cursor == 0 ? 0 : alignUp(cursor, 1 << 20)
            if pref { sizes.prefetchable = size; aligns.prefetchable = align } else { sizes.memory = size; aligns.memory = align }
        }
    }
}

func alignUp(_ value: UInt64, _ align: UInt64) -> UInt64 { (value + align - 1) & ~(align - 1) }
