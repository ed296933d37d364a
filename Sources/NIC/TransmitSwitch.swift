import RTL

/// The transmit side of the NIC's Layer 2 switch, written once over the algebra: what happens
/// to a frame a pool (a VF or the PF) sends (sriov-facts §1.3 "Tx side", §4.7):
///
/// 1. the pool must be allowed to send (VFTE);
/// 2. VLAN insertion by the pool's VMVIR: VLANA_DEFAULT (01) tags every frame with the
///    pool's default VLAN; VLANA_NEVER (10) and descriptor control (00) leave it as sent;
/// 3. anti-spoofing, when enabled for the pool (DTXSWC 7:0 / 15:8 on the 82576, PFVFSPOOF
///    on the 82599): the source MAC must be a receive address of the pool, and a tagged
///    frame's VLAN ID one of the pool's VLVF entries; otherwise the frame is dropped and the
///    malicious-driver event raised (WVBR / LVMMC);
/// 4. VM-to-VM switching (DTXSWC.VMDQ_LOOPBACK_EN, PFDTXGSWC.LBE): the frame runs through
///    the receive sorter and is copied to every other local pool that accepts it; unicast
///    that matched a local address does not go to the wire. Unknown unicast is not given to
///    the default pool: it goes out.
public enum TransmitSwitch {
    /// Why a frame was not sent.
    public enum DropReason: UInt64, Sendable, CaseIterable, CustomStringConvertible {
        case sent = 0, transmitDisabled, macSpoof, vlanSpoof

        public var description: String {
            switch self {
            case .sent: "sent"
            case .transmitDisabled: "pool transmit disabled (VFTE)"
            case .macSpoof: "source MAC is not the pool's (anti-spoofing)"
            case .vlanSpoof: "VLAN is not the pool's (anti-spoofing)"
            }
        }
    }

    /// Per-pool transmit settings and the switch's mode.
    public struct Settings<A: BitVectorAlgebra> {
        /// VFTE: pools allowed to transmit.
        public var transmitEnable: Bits<A, 64>
        /// Pools whose source MAC is checked.
        public var macAntiSpoof: Bits<A, 64>
        /// Pools whose VLAN is checked.
        public var vlanAntiSpoof: Bits<A, 64>
        /// VM-to-VM loopback on.
        public var loopbackEnable: Bit<A>
        /// VMVIR per pool: bits 31:30 VLAN action, bits 11:0 the default VLAN ID.
        public var vlanInsert: [Bits<A, 32>]

        @inlinable
        public init(transmitEnable: Bits<A, 64>, macAntiSpoof: Bits<A, 64>, vlanAntiSpoof: Bits<A, 64>, loopbackEnable: Bit<A>,
                    vlanInsert: [Bits<A, 32>]) {
            self.transmitEnable = transmitEnable
            self.macAntiSpoof = macAntiSpoof
            self.vlanAntiSpoof = vlanAntiSpoof
            self.loopbackEnable = loopbackEnable
            self.vlanInsert = vlanInsert
        }
    }

    /// What happened to one transmitted frame.
    public struct Decision<A: BitVectorAlgebra> {
        /// The frame as it leaves the pool (VLAN inserted).
        public var frame: FrameHeader<A>
        public var toWire: Bit<A>
        /// Local pools that get a copy.
        public var localPools: Bits<A, 64>
        /// A `DropReason` raw value.
        public var dropReason: Bits<A, 2>
        @usableFromInline
        init(frame: FrameHeader<A>, toWire: Bit<A>, localPools: Bits<A, 64>, dropReason: Bits<A, 2>) {
            self.frame = frame
            self.toWire = toWire
            self.localPools = localPools
            self.dropReason = dropReason
        }

        /// The malicious-driver event: the frame failed an enabled anti-spoof check.
        @inlinable public var spoofed: Bit<A> { dropReason .>= Bits(DropReason.macSpoof.rawValue) }
    }

    /// `map` has the bit of `pool`.
    @inlinable
    public static func has<A>(_ map: Bits<A, 64>, _ pool: Bits<A, 6>) -> Bit<A> { (map >> pool.zeroExtended()).truncated() }

    /// What happens to `frame` sent by `pool`.
    @inlinable
    public static func transmit<A>(_ frame: FrameHeader<A>, pool: Bits<A, 6>, _ tables: FilterTables<A>, _ settings: Settings<A>,
                                   hooks: TransmitHooks = TransmitHooks()) -> Decision<A> {
        // VLAN insertion.
        let vmvir = lookup(settings.vlanInsert, pool)
        let action: Bits<A, 2> = vmvir.extract(from: 30)
        let insert = action .== Bits(1)
        var sent = frame
        sent.tagged = mux(insert, Bit(1), frame.tagged)
        sent.vlanID = mux(insert, vmvir.truncated(), frame.vlanID)
        sent.length = mux(insert & ~frame.tagged, frame.length + 4, frame.length)

        // Anti-spoofing against the pool's own filters.
        let ownMAC = Bit<A>.any(tables.receiveAddresses.map { entry in
            entry.valid & (entry.address .== sent.source) & (hooks.sourceCheckIgnoresPool ? Bit(1) : has(entry.pools, pool))
        })
        let ownVLAN = Bit<A>.any(tables.vlanFilters.map { filter in
            filter.valid & (filter.vlanID .== sent.vlanID) & has(filter.pools, pool)
        })
        let macSpoof = has(settings.macAntiSpoof, pool) & ~ownMAC
        let vlanSpoof = has(settings.vlanAntiSpoof, pool) & sent.tagged & ~ownVLAN
        let enabled = has(settings.transmitEnable, pool)
        let reason: Bits<A, 2> = mux(~enabled, Bits(DropReason.transmitDisabled.rawValue),
                                     mux(macSpoof, Bits(DropReason.macSpoof.rawValue),
                                         mux(vlanSpoof, Bits(DropReason.vlanSpoof.rawValue), Bits(DropReason.sent.rawValue))))
        let goes = reason .== Bits(DropReason.sent.rawValue)

        // VM-to-VM: the receive sorter without the default pool, the sender excluded.
        var local = tables
        local.disableDefaultPool = Bit(1)
        let rx = L2Sorter.receive(sent, local)
        let switching = goes & settings.loopbackEnable
        let localPools = mux(switching, rx.pools & ~(Bits<A, 64>(1) << pool.zeroExtended()), Bits<A, 64>.zero)
        let toWire = goes & ~(switching & sent.isUnicast & rx.exactMatch)
        return Decision(frame: sent, toWire: toWire, localPools: localPools, dropReason: reason)
    }
}

extension TransmitSwitch.Settings: Sendable where A.Word: Sendable {}

/// Test-only mutations of the transmit switch (see `TranslationHooks` in Host).
public struct TransmitHooks: Sendable, Equatable {
    /// The MAC anti-spoof check accepts any valid receive address, not only the pool's own.
    public var sourceCheckIgnoresPool: Bool
    public init(sourceCheckIgnoresPool: Bool = false) { self.sourceCheckIgnoresPool = sourceCheckIgnoresPool }
}
