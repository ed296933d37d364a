import RTL

/// The receive filters of one port as the L2 sorter reads them, in the terms both register
/// families share (sriov-facts §4.7): the 82576's RAL/RAH with POOLSEL, VLVF with POOLSEL and
/// VMOLR, and the 82599's RAR with MPSAR, VLVF with VLVFB and PFVML2FLT, all decode into this.
/// Pool bitmaps are 64 bits wide; a part with 8 pools leaves the upper 56 bits zero.
public struct FilterTables<A: BitVectorAlgebra> {
    /// One exact-match receive address (RAL/RAH, 82599 RAL/RAH + MPSAR).
    public struct ReceiveAddress {
        public var address: Bits<A, 48>
        /// Address Valid (RAH.AV).
        public var valid: Bit<A>
        /// Pools the address selects (POOLSEL / MPSAR).
        public var pools: Bits<A, 64>
        @inlinable
        public init(address: Bits<A, 48>, valid: Bit<A>, pools: Bits<A, 64>) {
            self.address = address
            self.valid = valid
            self.pools = pools
        }
    }

    /// One VLAN pool filter (VLVF with its POOLSEL / VLVFB).
    public struct VLANFilter {
        public var vlanID: Bits<A, 12>
        /// VI_En.
        public var valid: Bit<A>
        public var pools: Bits<A, 64>
        @inlinable
        public init(vlanID: Bits<A, 12>, valid: Bit<A>, pools: Bits<A, 64>) {
            self.vlanID = vlanID
            self.valid = valid
            self.pools = pools
        }
    }

    public var receiveAddresses: [ReceiveAddress]
    /// Multicast Table Array: 4096 bits as 128 words (MTA[0..127]).
    public var multicastTable: [Bits<A, 32>]
    /// Unicast Table Array: 4096 bits as 128 words (UTA[0..127]).
    public var unicastTable: [Bits<A, 32>]
    /// Multicast Offset (RCTL.MO / MCSTCTRL.MO): which 12 address bits index the tables.
    public var multicastOffset: Bits<A, 2>
    /// VLAN filtering on (RCTL.VFE / VLNCTRL.VFE): the VLAN stage applies.
    public var vlanFilterEnable: Bit<A>
    public var vlanFilters: [VLANFilter]
    // Per-pool receive options (VMOLR on the 82576, PFVML2FLT on the 82599), one bit per pool
    // as the hardware ORs them into pool bitmaps.
    /// AUPE: untagged frames pass the VLAN stage.
    public var acceptUntagged: Bits<A, 64>
    /// ROMPE: multicast that hits the MTA hash.
    public var acceptHashedMulticast: Bits<A, 64>
    /// ROPE: unicast that hits the UTA hash.
    public var acceptHashedUnicast: Bits<A, 64>
    /// BAM: broadcast.
    public var acceptBroadcast: Bits<A, 64>
    /// MPME: every multicast frame (multicast promiscuous).
    public var multicastPromiscuous: Bits<A, 64>
    /// LPE: the pool's size limit is its `poolMaxLength` rather than 1518 (1522 tagged).
    public var poolLongPacketEnable: Bits<A, 64>
    /// RLPML of each pool; the count is the part's number of pools (8 or 64).
    public var poolMaxLength: [Bits<A, 14>]
    /// VT_CTL.DEF_PL: where unicast that matched nothing goes.
    public var defaultPool: Bits<A, 6>
    /// VT_CTL.DIS_DEF_POOL.
    public var disableDefaultPool: Bit<A>
    /// VFRE: per-pool receive enable.
    public var receiveEnable: Bits<A, 64>
    /// RCTL.LPE and RLPML: the port's own size limit before any pool's.
    public var longPacketEnable: Bit<A>
    public var maxLength: Bits<A, 14>

    /// A port of `pools` pools with every filter empty and every option clear: it receives
    /// only unicast, into pool 0; the register maps' decode fills the rest.
    @inlinable
    public init(pools: Int) {
        let zero = Bits<A, 64>.zero
        receiveAddresses = []
        multicastTable = Array(repeating: .zero, count: 128)
        unicastTable = Array(repeating: .zero, count: 128)
        multicastOffset = .zero
        vlanFilterEnable = Bit(0)
        vlanFilters = []
        acceptUntagged = zero
        acceptHashedMulticast = zero
        acceptHashedUnicast = zero
        acceptBroadcast = zero
        multicastPromiscuous = zero
        poolLongPacketEnable = zero
        poolMaxLength = Array(repeating: .zero, count: pools)
        defaultPool = .zero
        disableDefaultPool = Bit(0)
        receiveEnable = Bits(pools >= 64 ? ~0 : (1 << UInt64(pools)) - 1)
        longPacketEnable = Bit(0)
        maxLength = .zero
    }

    @inlinable
    public init(receiveAddresses: [ReceiveAddress], multicastTable: [Bits<A, 32>], unicastTable: [Bits<A, 32>], multicastOffset: Bits<A, 2>,
                vlanFilterEnable: Bit<A>, vlanFilters: [VLANFilter], acceptUntagged: Bits<A, 64>, acceptHashedMulticast: Bits<A, 64>,
                acceptHashedUnicast: Bits<A, 64>, acceptBroadcast: Bits<A, 64>, multicastPromiscuous: Bits<A, 64>,
                poolLongPacketEnable: Bits<A, 64>, poolMaxLength: [Bits<A, 14>], defaultPool: Bits<A, 6>,
                disableDefaultPool: Bit<A>, receiveEnable: Bits<A, 64>, longPacketEnable: Bit<A>, maxLength: Bits<A, 14>) {
        self.receiveAddresses = receiveAddresses
        self.multicastTable = multicastTable
        self.unicastTable = unicastTable
        self.multicastOffset = multicastOffset
        self.vlanFilterEnable = vlanFilterEnable
        self.vlanFilters = vlanFilters
        self.acceptUntagged = acceptUntagged
        self.acceptHashedMulticast = acceptHashedMulticast
        self.acceptHashedUnicast = acceptHashedUnicast
        self.acceptBroadcast = acceptBroadcast
        self.multicastPromiscuous = multicastPromiscuous
        self.poolLongPacketEnable = poolLongPacketEnable
        self.poolMaxLength = poolMaxLength
        self.defaultPool = defaultPool
        self.disableDefaultPool = disableDefaultPool
        self.receiveEnable = receiveEnable
        self.longPacketEnable = longPacketEnable
        self.maxLength = maxLength
    }
}

extension FilterTables: Sendable where A.Word: Sendable {}
extension FilterTables.ReceiveAddress: Sendable where A.Word: Sendable {}
extension FilterTables.VLANFilter: Sendable where A.Word: Sendable {}
