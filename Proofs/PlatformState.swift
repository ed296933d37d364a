import PCIe

/// The configured state of a platform after firmware enumeration and SR-PCIM, as plain values:
/// what the property suite quantifies over. Built from the simulator's own registers.
public struct PlatformState: Sendable {
    /// A downstream port: a root port or a switch downstream port, with its decode.
    public struct Port: Sendable {
        public let name: String
        public let rid: UInt16
        public let secondaryBus: UInt8
        public let subordinateBus: UInt8
        public let memoryWindow: (base: UInt64, limit: UInt64)
        public let prefetchableWindow: (base: UInt64, limit: UInt64)
        public let ariForwarding: Bool
        public let acsControl: UInt16

        public init(_ port: PortFunction, rid: UInt16) {
            name = port.name
            self.rid = rid
            secondaryBus = port.secondaryBus
            subordinateBus = port.subordinateBus
            memoryWindow = port.memoryWindow
            prefetchableWindow = port.prefetchableWindow
            ariForwarding = port.ariForwardingEnabled
            acsControl = port.acsControl
        }
    }

    /// A routing element (the root complex or a switch) and its downstream ports in order.
    public struct Element: Sendable {
        public let name: String
        public let ports: [Port]
        public init(name: String, ports: [Port]) {
            self.name = name
            self.ports = ports
        }
    }

    /// A memory range a function decodes.
    public struct Range: Sendable, Equatable {
        public let base: UInt64
        public let size: UInt64
        public let prefetchable: Bool
        /// "BAR0", "VF BAR3".
        public let label: String
        public init(base: UInt64, size: UInt64, prefetchable: Bool, label: String) {
            self.base = base
            self.size = size
            self.prefetchable = prefetchable
            self.label = label
        }
    }

    /// An endpoint function, where it hangs and who owns it.
    public struct Function: Sendable {
        public let name: String
        public let rid: UInt16
        /// The VM it is assigned to; nil: the host.
        public let owner: String?
        /// (element, port index) from the root complex down to the port directly above.
        public let path: [(element: String, port: Int)]
        public let ranges: [Range]
        public init(name: String, rid: UInt16, owner: String?, path: [(element: String, port: Int)], ranges: [Range]) {
            self.name = name
            self.rid = rid
            self.owner = owner
            self.path = path
            self.ranges = ranges
        }
    }

    /// One PF's VFs: the layout the proofs quantify over.
    public struct VFBlock: Sendable {
        public let pfName: String
        public let layout: SRIOVLayout
        public let systemPageSize: UInt64
        /// Per VF BAR: index, base of VF 0, per-VF size, prefetchable.
        public let vfBARs: [(index: Int, base: UInt64, size: UInt64, prefetchable: Bool)]
        /// (First VF Offset, VF Stride) by NumVFs, as the device reported them.
        public let routingByNumVFs: [UInt16: VFRouting]
        public let totalVFs: UInt16
        public let path: [(element: String, port: Int)]
        public init(pfName: String, layout: SRIOVLayout, systemPageSize: UInt64, vfBARs: [(index: Int, base: UInt64, size: UInt64, prefetchable: Bool)],
                    routingByNumVFs: [UInt16: VFRouting], totalVFs: UInt16, path: [(element: String, port: Int)]) {
            self.pfName = pfName
            self.layout = layout
            self.systemPageSize = systemPageSize
            self.vfBARs = vfBARs
            self.routingByNumVFs = routingByNumVFs
            self.totalVFs = totalVFs
            self.path = path
        }
    }

    public var elements: [Element]
    public var functions: [Function]
    public var vfBlocks: [VFBlock]
    /// The host's IOMMU tables and caches, when the platform has them.
    public var dma: DMAState?
    /// The NICs' filters and pools, when the platform has a NIC.
    public var nic: NICState?

    public init(elements: [Element], functions: [Function], vfBlocks: [VFBlock]) {
        self.elements = elements
        self.functions = functions
        self.vfBlocks = vfBlocks
    }

    public func element(_ name: String) -> Element? { elements.first { $0.name == name } }
    public func port(_ hop: (element: String, port: Int)) -> Port? { element(hop.element)?.ports[hop.port] }

    /// The functions anywhere below downstream port `port` of `element`.
    public func functions(below element: String, port: Int) -> [Function] {
        functions.filter { f in f.path.contains { $0.element == element && $0.port == port } }
    }

    /// Routing IDs of every function and port.
    public var allRIDs: [UInt16] { functions.map(\.rid) + elements.flatMap { $0.ports.map(\.rid) } }
}
