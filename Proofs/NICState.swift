import NIC
import RTL

/// What the NIC families need of the configured platform, as plain values: per port, the
/// receive filters and transmit settings the PF driver wrote (as the sorter and the switch read
/// them), and which function and VM each pool belongs to.
public struct NICState: Sendable {
    /// A pool in use: the function whose pool it is and the VM that function is assigned to.
    public struct Pool: Sendable {
        public let index: Int
        public let function: String
        /// nil: the host (a PF, or a VF no VM has).
        public let vm: String?
        /// The VF index, for a VF's pool.
        public let vf: Int?
        public init(index: Int, function: String, vm: String?, vf: Int?) {
            self.index = index
            self.function = function
            self.vm = vm
            self.vf = vf
        }
    }

    public struct Port: Sendable {
        /// `nic0.port0`.
        public let name: String
        public let map: RegisterMap
        public let filters: FilterTables<Concrete>
        public let transmit: TransmitSwitch.Settings<Concrete>
        public let pools: [Pool]
        public init(name: String, map: RegisterMap, filters: FilterTables<Concrete>, transmit: TransmitSwitch.Settings<Concrete>, pools: [Pool]) {
            self.name = name
            self.map = map
            self.filters = filters
            self.transmit = transmit
            self.pools = pools
        }

        /// The VMs with a pool here, sorted.
        public var vms: [String] { Set(pools.compactMap(\.vm)).sorted() }
        /// The pools of `vm` as a bitmap.
        public func poolMap(_ vm: String) -> UInt64 { pools.filter { $0.vm == vm }.reduce(0) { $0 | 1 << UInt64($1.index) } }
        public func pool(_ index: Int) -> Pool? { pools.first { $0.index == index } }
        /// The pools the valid receive-address entries for `mac` select, as a bitmap.
        public func poolMap(holding mac: UInt64) -> UInt64 {
            filters.receiveAddresses.filter { $0.valid.isSet && $0.address.value == mac }.reduce(0) { $0 | $1.pools.value }
        }

        /// The same pools, those in use.
        public func pools(holding mac: UInt64) -> [Pool] {
            let selected = poolMap(holding: mac)
            return pools.filter { selected >> UInt64($0.index) & 1 == 1 }
        }

        /// The unicast addresses of valid receive-address entries that select a pool of `vm`.
        public func addresses(of vm: String) -> [UInt64] {
            let pools = poolMap(vm)
            return filters.receiveAddresses.filter { $0.valid.isSet && $0.pools.value & pools != 0 && $0.address.value >> 40 & 1 == 0 }.map { $0.address.value }
        }
    }

    public var ports: [Port]
    public init(ports: [Port]) { self.ports = ports }
}
