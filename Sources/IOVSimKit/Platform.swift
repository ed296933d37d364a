import Host
import NIC
import PCIe
import Proofs
import RTL

/// A model file elaborated into clocked components: the root complex and its root ports,
/// switches, device instances and the links between them (DESIGN.md §3-4). `bringUp()` runs
/// firmware enumeration and SR-PCIM through config TLPs; `state()` reads back what they set.
public final class Platform {
    public let model: ModelFile
    public let simulator: Simulator
    public let rootComplex: FabricNode
    public private(set) var switches: [String: FabricNode] = [:]
    public private(set) var endpoints: [String: Endpoint] = [:]
    /// The network controller behind each device instance (when the model has `[device.nic]`).
    public private(set) var nics: [String: NetworkController] = [:]
    /// What the PF drivers' set-up left undone, one sentence each (a VF without a pool).
    public internal(set) var nicNotes: [String] = []
    /// Device instance name -> (element, port) hops from the root complex down.
    public private(set) var paths: [String: [(element: String, port: Int)]] = [:]
    public private(set) var links: [Link] = []
    public private(set) var enumerated: Enumerated?
    public private(set) var bringUpClocks: UInt64 = 0
    /// The host above the root complex when the model has `[platform.iommu]`: memory behind
    /// the IOMMU; and the VMM that sets it up after bring-up.
    public private(set) var host: HostBridge?
    public internal(set) var vmm: VMM?
    /// What the VMM's set-up could not do, one sentence each.
    public internal(set) var hostNotes: [String] = []
    /// What the VMM did during the run (the model's `[[vm]] events`), one line each.
    public internal(set) var vmmEvents: [String] = []
    /// Host memory the VMs cannot have: the first 16 MiB (firmware, the host's own) and the
    /// last 16 MiB (the IOMMU's tables).
    public static let reservedHostMB = 32
    public let runSeed: UInt64
    /// The host's CPU: the PF drivers, the VMM and the VMs' VF drivers run on it as programs.
    public private(set) var cpu: HostCPU!
    /// Each VM's VF drivers, by function name (`nic0.pf0.vf1`), once the VMM has set up.
    public internal(set) var vfDrivers: [String: VFDriver] = [:]
    /// The PF drivers' mailbox services, by PF name (`nic0.pf0`).
    public internal(set) var mailboxServices: [String: PFMailboxProgram] = [:]
    public internal(set) var configAccesses = 0

    public var observer: HopObserver? {
        didSet {
            rootComplex.observer = observer
            for node in switches.values { node.observer = observer }
            for endpoint in endpoints.values { endpoint.observer = observer }
        }
    }

    /// TLPs that passed each node (root complex, switches, endpoints), by kind: every hop
    /// counted once, as the TLP log would list it.
    public var hopsByKind: [TLP.Kind: UInt64] {
        var total = Array(repeating: UInt64(0), count: TLP.Kind.allCases.count)
        for counts in [rootComplex.hops] + switches.values.map(\.hops) + endpoints.values.map(\.hops) {
            for k in counts.indices { total[k] += counts[k] }
        }
        return Dictionary(uniqueKeysWithValues: TLP.Kind.allCases.map { ($0, total[$0.index]) }.filter { $0.1 > 0 })
    }

    /// A device's link when the model gives it no `bytes_per_clock`: the data rate of the
    /// device's own Link Capabilities (PF 0's Max Link Speed and Width; PCIe Base 4.0 §4.2:
    /// 2.5 and 5 GT/s lanes carry 8b/10b, 8 and 16 GT/s 128b/130b), in bytes per clock.
    static func deviceLinkBytesPerClock(_ model: ModelFile, clockHz: UInt64) -> Int? {
        guard let pcie = model.device.pf.first?.pcie, pcie.linkWidth > 0 else { return nil }
        let bitsPerLane: Double = switch pcie.linkSpeed {
        case 1: 2.5e9 * 8 / 10
        case 2: 5e9 * 8 / 10
        case 3: 8e9 * 128 / 130
        case 4: 16e9 * 128 / 130
        default: 0
        }
        guard bitsPerLane > 0 else { return nil }
        return max(1, Int(bitsPerLane * Double(pcie.linkWidth) / 8 / Double(clockHz)))
    }

    public var hooks = RoutingHooks() {
        didSet {
            rootComplex.hooks = hooks
            for node in switches.values { node.hooks = hooks }
        }
    }

    public init(model: ModelFile, seed: UInt64? = nil) throws {
        self.model = model
        let platform = model.effectivePlatform
        runSeed = seed ?? platform.seed ?? 1
        simulator = Simulator(clockHz: UInt64(platform.clockMHz ?? 250) * 1_000_000, seed: runSeed)
        let definitions = ModelDevice.definitions(model)
        func port(_ m: PortModel, _ type: PCIExpressCapability.PortType) -> PortFunction {
            PortFunction(name: m.name, portType: type, ariForwardingSupported: m.ariForwarding ?? true, acsCapabilities: m.acs)
        }
        rootComplex = FabricNode(path: "rc", role: .rootComplex, ports: platform.rootPort.map { port($0, .rootPort) }, links: [])
        simulator.add(rootComplex)
        if let model = model.host, model.iommu ?? true {
            let memory = HostMemory(size: UInt64(model.memoryMB ?? 4096) << 20)
            let unit = IOMMU(memory: memory, faultRecords: model.faultRecords ?? 8, iotlbEntries: model.iotlbEntries ?? 64, iotlbWays: model.iotlbWays ?? 4)
            host = HostBridge(memory: memory, iommu: unit)
            rootComplex.host = host
            // The IOMMU's ATS Invalidate Requests go down from the root complex, routed by ID.
            unit.sendDeviceInvalidation = { [unowned rootComplex, unowned simulator] rid, page, pages in
                rootComplex.submit(TLP.invalidateRequest(to: rid, page: page, pages: pages), simulator: simulator)
            }
        }
        var pending: [(node: FabricNode, ports: [PortModel], path: [(element: String, port: Int)])] = [(rootComplex, platform.rootPort, [])]
        while !pending.isEmpty {
            let (node, portModels, path) = pending.removeFirst()
            var nodeLinks: [Link] = []
            for (k, m) in portModels.enumerated() {
                let isDevice = model.effectivePlatform.device.contains { $0.name == m.below }
                let link = Link(simulator, path: "\(node.path).\(m.name)", latency: m.link?.latency ?? 4,
                                bytesPerClock: m.link?.bytesPerClock ?? (isDevice ? Self.deviceLinkBytesPerClock(model, clockHz: simulator.clockHz) : nil))
                link.down.producer = node
                link.up.consumer = node
                nodeLinks.append(link)
                links.append(link)
                let hop = path + [(node.path, k)]
                if let sw = platform.switch?.first(where: { $0.name == m.below }) {
                    let up = PortFunction(name: "\(sw.name).up", portType: .upstreamSwitchPort, ariForwardingSupported: false, acsCapabilities: nil)
                    let child = FabricNode(path: sw.name, role: .switchElement, ports: sw.port.map { port($0, .downstreamSwitchPort) }, links: [], upstreamPort: up)
                    child.upstreamLink = link
                    if let trained = node.trainLink(port: k, peer: up.config) { child.reportUpstreamLink(trained) }
                    link.down.consumer = child
                    link.up.producer = child
                    simulator.add(child)
                    switches[sw.name] = child
                    pending.append((child, sw.port, hop))
                } else {
                    var device = try SRIOVDevice(pfs: definitions, bus: 0)
                    if let trained = node.trainLink(port: k, peer: device.pfs[0].config) { device.reportLink(trained) }
                    let endpoint = Endpoint(path: m.below, device: device)
                    endpoint.clock = simulator
                    endpoint.link = link
                    link.down.consumer = endpoint
                    link.up.producer = endpoint
                    simulator.add(endpoint)
                    endpoints[m.below] = endpoint
                    if let nic = model.device.nic, let map = ModelDevice.registerMap(nic.registers) {
                        var c = NetworkController.Configuration(map: map, ports: definitions.count, bitsPerSecond: UInt64(nic.portSpeedGbps) * 1_000_000_000)
                        c.sorterLatency = nic.sorterLatency ?? 4
                        c.receiveFIFOFrames = (nic.rxPacketBuffer ?? 64 * 64) / EthernetFrame.minimumSize
                        c.receivePacketBuffer = nic.rxPacketBuffer ?? 0x10000
                        c.transmitPacketBuffer = nic.txPacketBuffer ?? 0xA000
                        c.maxTransmitFrame = map.family == "82576" ? 9728 : 15872
                        c.pfMSIX = definitions[0].capabilities.lazy.compactMap { $0.capability as? MSIXCapability }.first
                        c.vfMSIX = definitions[0].vfCapabilities.lazy.compactMap { $0.capability as? MSIXCapability }.first
                        let controller = NetworkController(simulator, path: m.below, configuration: c)
                        endpoint.registers = controller.registers
                        endpoint.deviceRequests = controller.dma.requests
                        endpoint.deviceCompletions = controller.dma.completions
                        controller.dma.functions = endpoint
                        endpoint.configWritten = { [unowned simulator] function in controller.dma.post(.configWritten(function), simulator) }
                        endpoint.functionReset = { function in controller.functionLevelReset(function) }
                        endpoint.messageReceived = { message in controller.dma.invalidate(message) }
                        controller.dma.ignoresATSInvalidations = nic.ignoresATSInvalidation ?? false
                        nics[m.below] = controller
                    }
                    paths[m.below] = hop
                }
            }
            node.links = nodeLinks
        }
        cpu = HostCPU(simulator, path: "top.cpu", rootComplex: rootComplex)
        host?.delivered = { [unowned self] delivery in cpu.raise(destination: delivery.destination, vector: delivery.vector) }
        PlatformProbes.register(self)
    }

    /// The programs on the host CPU hold the CPU (and through it the simulator) while they
    /// wait: they end here, so a platform nobody holds goes away whole.
    deinit { cpu?.halt() }

    /// Every routing element, the root complex first.
    public var elements: [FabricNode] { [rootComplex] + switches.keys.sorted().map { switches[$0]! } }

    /// Firmware enumeration, ACS setup and SR-PCIM, all through config requests on the
    /// simulated fabric. Returns the PFs that refused VF Enable.
    @discardableResult
    public func bringUp() -> [UInt16] {
        let platform = model.effectivePlatform
        let start = simulator.now
        let access = ConfigAccess(simulator: simulator, rootComplex: rootComplex)
        var policy = Enumeration.Policy()
        policy.pageSize = platform.pageSize ?? 4096
        policy.reserveVFBuses = platform.reserveVFBuses ?? true
        var enumeration = Enumeration(access: access, policy: policy)
        enumeration.run()
        // ACS: what the platform says, else what Linux enables (SV, RR, CR, UF where present).
        let portModels = platform.rootPort + (platform.switch ?? []).flatMap(\.port)
        for node in elements {
            for (k, port) in node.ports.enumerated() where port.hasACS {
                let m = portModels.first { $0.name == port.name }
                let enable = m?.acsEnable ?? ((m?.acs ?? 0) & 0x1D)
                access.write(node.rid(ofPort: k), PortFunction.acsOffset + ACSCapability.controlOffset, size: 2, UInt32(enable))
            }
        }
        // NumVFs: the instance's `vfs`, else each PF's TotalVFs.
        let refused = enumeration.enableVFs { pfRID in
            for (name, endpoint) in self.endpoints {
                guard let p = endpoint.device.pfs.indices.first(where: { endpoint.device.rid(ofPF: $0) == pfRID }) else { continue }
                return platform.device.first { $0.name == name }?.vfs ?? endpoint.device.pfs[p].totalVFs
            }
            return 0
        }
        enumerated = enumeration.result
        self.refused = refused
        configAccesses = access.accesses
        setUpNICs()
        setUpHost()
        bringUpClocks = simulator.now - start
        return refused
    }

    /// PFs that refused VF Enable in the last bring-up.
    public private(set) var refused: [UInt16] = []

    /// What the model asks for that bring-up did not give, one sentence each: a device instance
    /// whose PFs did not enumerate, a PF that refused VF Enable or holds fewer VFs than asked,
    /// a VM's function that does not exist. Empty when the platform came up as modelled.
    public func shortfalls() -> [String] {
        guard let enumerated else { return ["the platform was not brought up"] }
        var found: [String] = []
        let enumeratedRIDs = Set(enumerated.functions.map(\.rid))
        for name in endpoints.keys.sorted() {
            let device = endpoints[name]!.device
            let instance = model.effectivePlatform.device.first { $0.name == name }
            for (p, pf) in device.pfs.enumerated() {
                let rid = device.rid(ofPF: p)
                guard enumeratedRIDs.contains(rid) else {
                    found.append("\(name).pf\(p) did not enumerate (no function answered config reads there; Vendor ID 0x\(String(pf.definition.header.vendorID, radix: 16)))")
                    continue
                }
                guard pf.hasSRIOV else { continue }
                let asked = instance?.vfs ?? pf.totalVFs
                if refused.contains(rid) {
                    found.append("\(name).pf\(p) refused VF Enable with NumVFs \(asked) (TotalVFs \(pf.totalVFs))")
                } else if asked > 0, !pf.vfEnable || pf.numVFs != asked {
                    found.append("\(name).pf\(p) has \(pf.vfEnable ? pf.numVFs : 0) VFs enabled, the model asks for \(asked)")
                }
            }
        }
        let present = Set(endpoints.flatMap { name, endpoint in endpoint.device.functions.map { "\(name).\($0.id)" } })
        for vm in model.vm ?? [] {
            for function in vm.functions where !present.contains(function) {
                found.append("\(vm.name) is assigned \(function), which does not exist after bring-up")
            }
        }
        return found
    }

    /// The VM each function is assigned to.
    func owners() -> [String: String] {
        var owner: [String: String] = [:]
        for vm in model.vm ?? [] { for function in vm.functions { owner[function] = vm.name } }
        return owner
    }

    /// The configured state, read from the components' registers.
    public func state() -> PlatformState {
        let owner = owners()
        let elements = self.elements.map { node in
            PlatformState.Element(name: node.path, ports: node.ports.enumerated().map { PlatformState.Port($1, rid: node.rid(ofPort: $0)) })
        }
        var functions: [PlatformState.Function] = []
        var blocks: [PlatformState.VFBlock] = []
        for name in endpoints.keys.sorted() {
            let endpoint = endpoints[name]!, device = endpoint.device, path = paths[name]!
            for (p, pf) in device.pfs.enumerated() {
                let pfName = "\(name).pf\(p)"
                let ranges = pf.definition.header.bars.filter { $0.kind != .io }.map { bar in
                    PlatformState.Range(base: bar.base(in: pf.config, at: Type0Header.barOffset + 4 * bar.index), size: bar.size,
                                        prefetchable: bar.prefetchable, label: "BAR\(bar.index)")
                }
                functions.append(.init(name: pfName, rid: device.rid(ofPF: p), owner: owner[pfName], path: path, ranges: ranges))
                for vf in pf.vfs {
                    let vfName = "\(pfName).vf\(vf.index)"
                    let vfRanges = pf.vfBARs.compactMap { bar -> PlatformState.Range? in
                        guard let aperture = pf.vfAperture(vf: vf.index, bar: bar.definition.index) else { return nil }
                        return PlatformState.Range(base: aperture.base, size: aperture.size, prefetchable: bar.definition.prefetchable,
                                                   label: "VF BAR\(bar.definition.index)")
                    }
                    functions.append(.init(name: vfName, rid: vf.rid, owner: owner[vfName], path: path, ranges: vfRanges))
                }
                if pf.hasSRIOV, pf.vfEnable {
                    let found = enumerated?.functions.first { $0.rid == device.rid(ofPF: p) }?.sriov
                    blocks.append(.init(
                        pfName: pfName,
                        layout: SRIOVLayout(pfRID: device.rid(ofPF: p), firstVFOffset: pf.firstVFOffset, vfStride: pf.vfStride,
                                            numVFs: pf.numVFs, ari: device.ariCapableHierarchy),
                        systemPageSize: UInt64(pf.systemPageSize) << 12,
                        vfBARs: pf.vfBARs.map { ($0.definition.index, $0.base, $0.definition.size, $0.definition.prefetchable) },
                        routingByNumVFs: found?.routingByNumVFs ?? [:], totalVFs: pf.totalVFs, path: path))
                }
            }
        }
        var state = PlatformState(elements: elements, functions: functions, vfBlocks: blocks)
        state.dma = dmaState(functions)
        state.nic = nicState()
        return state
    }
}
