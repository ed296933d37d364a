import RTL

/// The receive side of the NIC's Layer 2 switch: which pools (VFs and the PF) get a copy of a
/// frame, written once over the algebra so the simulator sorts with it and the prover proves
/// on it (DESIGN.md §1). VMDq mode as the 82576 and 82599 sort (sriov-facts §1.3 steps 1-9,
/// §4.7; 82576 datasheet §7.10.3, 82599 datasheet §7.10.3):
///
/// 1. the port's size limit (RCTL.LPE and RLPML, else 1518 bytes, 1522 tagged);
/// 2. broadcast goes to the pools with VMOLR.BAM;
/// 3. otherwise an exact destination match in the receive-address table selects its pools;
/// 4. with no exact match, the 4096-bit hash (MTA for multicast, UTA for unicast, bits chosen
///    by the Multicast Offset) adds the pools with ROMPE (multicast) or ROPE (unicast); every
///    multicast frame also goes to the pools with MPME (multicast promiscuous);
/// 5. with VLAN filtering on, a tagged frame keeps only the pools of the VLVF entries with its
///    VLAN ID, an untagged one only the pools with AUPE;
/// 6. unicast left with no pool goes to the default pool (VT_CTL.DEF_PL) unless DIS_DEF_POOL;
/// 7. then AND with the per-pool receive enable (VFRE) and each pool's own size limit
///    (VMOLR.LPE and RLPML). Each remaining pool gets one copy.
///
/// Not modelled: EtherType filters, RSS inside a pool, VM_REPL_EN off (drivers set it).
public enum L2Sorter {
    /// Why a frame reached no pool, in the order the stages drop.
    public enum DropReason: UInt64, Sendable, CaseIterable, CustomStringConvertible {
        case delivered = 0, oversize, noMatch, vlanFilter, receiveDisabled, poolSizeLimit

        public var description: String {
            switch self {
            case .delivered: "delivered"
            case .oversize: "oversize for the port"
            case .noMatch: "no filter matched and no default pool"
            case .vlanFilter: "VLAN filter"
            case .receiveDisabled: "pool receive disabled (VFRE)"
            case .poolSizeLimit: "oversize for every selected pool (RLPML)"
            }
        }
    }

    /// What the sorter decided for one frame.
    public struct Decision<A: BitVectorAlgebra> {
        /// Pools selected by address (broadcast, exact, hash, promiscuous), before the VLAN
        /// stage and the default pool.
        public var addressPools: Bits<A, 64>
        /// An enabled receive-address entry equals the destination.
        public var exactMatch: Bit<A>
        /// The pools that get a copy.
        public var pools: Bits<A, 64>
        /// A `DropReason` raw value; `delivered` when `pools` is not zero.
        public var dropReason: Bits<A, 3>

        @usableFromInline
        init(addressPools: Bits<A, 64>, exactMatch: Bit<A>, pools: Bits<A, 64>, dropReason: Bits<A, 3>) {
            self.addressPools = addressPools
            self.exactMatch = exactMatch
            self.pools = pools
            self.dropReason = dropReason
        }
    }

    /// The 12 destination-address bits that index the MTA and UTA: the last two octets shifted
    /// by the Multicast Offset (Linux igb_hash_mc_addr: MO 0 takes bits 47:36 of the address
    /// in the part's little-endian order, i.e. octet 5 and the top of octet 4).
    @inlinable
    public static func hashIndex<A>(_ destination: Bits<A, 48>, offset: Bits<A, 2>) -> Bits<A, 12> {
        let octet4: Bits<A, 8> = destination.extract(from: 8), octet5: Bits<A, 8> = destination.truncated()
        let word: Bits<A, 16> = concat(octet5, octet4)
        let shifts: [Bits<A, 12>] = [(word >> 4).truncated(), (word >> 3).truncated(), (word >> 2).truncated(), word.truncated()]
        return lookup(shifts, offset)
    }

    /// Bit `index` of a 4096-bit table held as 128 words: word index >> 5, bit index & 31.
    @inlinable
    public static func tableBit<A>(_ table: [Bits<A, 32>], _ index: Bits<A, 12>) -> Bit<A> {
        let word = lookup(table, index >> 5)
        let bit: Bits<A, 5> = index.truncated()
        return (word >> bit.zeroExtended()).truncated()
    }

    /// The standard size limit: 1518 bytes, 1522 with an 802.1Q tag.
    @inlinable
    public static func standardLimit<A>(tagged: Bit<A>) -> Bits<A, 16> { mux(tagged, Bits(1522), Bits(1518)) }

    /// The pools of one port that receive `frame`, and why none does.
    @inlinable
    public static func receive<A>(_ frame: FrameHeader<A>, _ t: FilterTables<A>, hooks: SorterHooks = SorterHooks()) -> Decision<A> {
        let zero = Bits<A, 64>.zero
        let standard = standardLimit(tagged: frame.tagged)
        let oversize = frame.length .> mux(t.longPacketEnable, t.maxLength.zeroExtended(), standard)

        // Address stage.
        var exact = zero
        var exactMatch = Bit<A>(0)
        for entry in t.receiveAddresses {
            let hit = entry.valid & (entry.address .== frame.destination)
            exact = exact | mux(hit, hooks.exactMatchSelectsEveryPool ? Bits<A, 64>.max : entry.pools, zero)
            exactMatch = exactMatch | hit
        }
        let index = hashIndex(frame.destination, offset: t.multicastOffset)
        let hashed = mux(frame.isMulticast, mux(tableBit(t.multicastTable, index), t.acceptHashedMulticast, zero),
                         mux(tableBit(t.unicastTable, index), t.acceptHashedUnicast, zero))
        let matched = mux(exactMatch, exact, hashed) | mux(frame.isMulticast, t.multicastPromiscuous, zero)
        let addressPools = mux(frame.isBroadcast, t.acceptBroadcast, matched)

        // VLAN stage.
        var vlanPools = zero
        for filter in t.vlanFilters {
            vlanPools = vlanPools | mux(filter.valid & (filter.vlanID .== frame.vlanID), filter.pools, zero)
        }
        let vlanMask = mux(t.vlanFilterEnable, mux(frame.tagged, vlanPools, t.acceptUntagged), Bits<A, 64>.max)
        let afterVLAN = addressPools & vlanMask

        // Default pool for unicast that found none.
        let useDefault = frame.isUnicast & (afterVLAN .== zero) & ~t.disableDefaultPool
        let selected = mux(useDefault, Bits<A, 64>(1) << t.defaultPool.zeroExtended(), afterVLAN)

        // Receive enable, then each pool's own size limit; pools past the part's count do not exist.
        var fits = zero
        for (p, rlpml) in t.poolMaxLength.enumerated() {
            let limit = mux(t.poolLongPacketEnable[bit: p], rlpml.zeroExtended(), standard)
            fits = fits | mux(frame.length .<= limit, Bits(1 << UInt64(p)), zero)
        }
        let pools = mux(oversize, zero, selected & t.receiveEnable & fits)

        let none = pools .== zero
        let reason: Bits<A, 3> = mux(~none, Bits(DropReason.delivered.rawValue),
            mux(oversize, Bits(DropReason.oversize.rawValue),
            mux(selected .== zero, mux(addressPools .== zero, Bits(DropReason.noMatch.rawValue), Bits(DropReason.vlanFilter.rawValue)),
            mux((selected & t.receiveEnable) .== zero, Bits(DropReason.receiveDisabled.rawValue), Bits(DropReason.poolSizeLimit.rawValue)))))
        return Decision(addressPools: addressPools, exactMatch: exactMatch, pools: pools, dropReason: reason)
    }
}

/// Test-only mutations of the sorter (see `TranslationHooks` in Host).
public struct SorterHooks: Sendable, Equatable {
    /// An exact receive-address match selects every pool, not the entry's (POOLSEL/MPSAR ignored).
    public var exactMatchSelectsEveryPool: Bool
    public init(exactMatchSelectsEveryPool: Bool = false) { self.exactMatchSelectsEveryPool = exactMatchSelectsEveryPool }
}
