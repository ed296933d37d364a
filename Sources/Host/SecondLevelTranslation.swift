import RTL

/// The VT-d remapping hardware's address translation in legacy mode (VT-d 3.x §3.4, §9.1-9.3;
/// sriov-facts §5), written once over the algebra: the root table (256 entries, one per bus)
/// gives a context table (256 entries, one per devfn); the request's context entry gives the
/// translation type, the address width (3-level 39-bit or 4-level 48-bit second-level tables),
/// the domain and the table root; the walk reads one entry per level (512 per table, 9
/// address bits each), stops at a 4 KiB leaf or a 2 MiB superpage (PS at level 2), and ANDs
/// the read and write permissions on the way. Every way to fail is a fault with the spec's
/// reason code.
public enum SecondLevelTranslation {
    /// Fault reasons (VT-d §7.1.3, Table 25).
    public enum Reason: UInt8, Sendable, CaseIterable {
        case none = 0x0
        case rootNotPresent = 0x1
        case contextNotPresent = 0x2
        case invalidContext = 0x3
        case addressBeyondWidth = 0x4
        case writeDenied = 0x5
        case readDenied = 0x6
        case pagingEntryAccess = 0x7
        case rootTableAccess = 0x8
        case contextTableAccess = 0x9
        case reservedInPagingEntry = 0xC
        case translationTypeBlocked = 0xD
    }

    /// A request as the root complex sees it: who (bus, device, function), where, read or
    /// write, and its Address Type (0 untranslated, 1 translation request, 2 translated).
    public struct Request<A: BitVectorAlgebra> {
        public var requester: Bits<A, 16>
        public var address: Bits<A, 64>
        public var write: Bit<A>
        public var addressType: Bits<A, 2>

        @inlinable
        public init(requester: Bits<A, 16>, address: Bits<A, 64>, write: Bit<A>, addressType: Bits<A, 2> = .zero) {
            self.requester = requester
            self.address = address
            self.write = write
            self.addressType = addressType
        }
    }

    public struct Result<A: BitVectorAlgebra> {
        /// The host-physical address the request reaches (meaningful when `fault` is 0).
        public var hostAddress: Bits<A, 64>
        /// The fault reason, 0 when the request may go on.
        public var fault: Bits<A, 8>
        /// The context entry's Domain ID (the IOTLB's tag).
        public var domain: Bits<A, 16>
        /// The context entry's Fault Processing Disable: faults are not recorded.
        public var faultProcessingDisabled: Bit<A>
        /// The read and write permissions along the walk (what an IOTLB entry keeps), and
        /// whether the result came from a walk (not pass-through or a translated request).
        public var readable: Bit<A>, writable: Bit<A>, walked: Bit<A>

        @inlinable
        init(hostAddress: Bits<A, 64>, fault: Bits<A, 8>, domain: Bits<A, 16>, faultProcessingDisabled: Bit<A>, readable: Bit<A>, writable: Bit<A>,
             walked: Bit<A>) {
            self.hostAddress = hostAddress
            self.fault = fault
            self.domain = domain
            self.faultProcessingDisabled = faultProcessingDisabled
            self.readable = readable
            self.writable = writable
            self.walked = walked
        }

        @inlinable public var allowed: Bit<A> { fault .== .zero }
    }

    /// Address bits 51:12 of a table pointer or a paging entry.
    public static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000

    /// Translates `request` with the root table at `rootTable` (RTADDR).
    @inlinable
    public static func translate<T: TranslationTables>(rootTable: Bits<T.A, 64>, _ request: Request<T.A>, tables: T,
                                                       hooks: TranslationHooks = TranslationHooks()) -> Result<T.A> {
        typealias W = Bits<T.A, 64>
        let mask = W(addressMask)
        let bus: W = request.requester.extract(from: 8, as: Bits<T.A, 8>.self).zeroExtended()
        let devfn: W = request.requester.truncated(to: Bits<T.A, 8>.self).zeroExtended()

        // Root entry (bus) and context entry (devfn), 16 bytes each.
        let root = tables.read((rootTable & mask) + bus * W(16))
        let rootPresent = root.value[bit: 0]
        let contextAddress = (root.value & mask) + devfn * W(16)
        let contextLow = tables.read(contextAddress)
        let contextHigh = tables.read(contextAddress + W(8))
        let contextPresent = contextLow.value[bit: 0]
        let faultProcessingDisabled = contextLow.value[bit: 1]
        let translationType = contextLow.value.extract(from: 2, as: Bits<T.A, 2>.self)
        let addressWidth = contextHigh.value.truncated(to: Bits<T.A, 3>.self)
        let domain = contextHigh.value.extract(from: 8, as: Bits<T.A, 16>.self)
        let passThrough = translationType .== Bits(2)
        // TT 11 is reserved; AW must be 1 (3-level, 39 bits) or 2 (4-level, 48 bits) unless
        // the entry passes requests through.
        let invalidContext = (translationType .== Bits(3)) | (~passThrough & (addressWidth .!= Bits(1)) & (addressWidth .!= Bits(2)))
        // Translation requests and translated requests need TT 01 (device-IOTLB allowed).
        let blocked = (request.addressType .!= .zero) & (translationType .!= Bits(1))
        let translated = request.addressType .== Bits(2)
        let fourLevel = addressWidth .== Bits(2)
        let beyondWidth = mux(fourLevel, (request.address >> W(48)).isNonZero, (request.address >> W(39)).isNonZero)

        // The walk: levels 4 (only for 4-level tables) down to 1.
        var table = contextLow.value & mask
        var done = Bit<T.A>(0), read = Bit<T.A>(1), write = Bit<T.A>(1)
        var accessFailed = Bit<T.A>(0), reserved = Bit<T.A>(0)
        var leaf = W.zero
        for level in stride(from: 4, through: 1, by: -1) {
            let active = ~done & (level == 4 ? fourLevel : Bit(1))
            let shift = UInt64(12 + 9 * (level - 1))
            let index = (request.address >> W(shift)) & W(0x1FF)
            let entry = tables.read(table + index * W(8))
            let present = entry.value.truncated(to: Bits<T.A, 2>.self).isNonZero
            let superpage = entry.value[bit: 7]
            // PS ends the walk at level 2 (2 MiB); at levels 3 and 4 IOVSim's IOMMU (no 1 GiB
            // pages in CAP.SLLPS) treats it as a reserved bit.
            let isLeaf = level == 1 ? Bit<T.A>(1) : level == 2 ? superpage : Bit<T.A>(0)
            let reservedHere = level >= 3 ? present & superpage : Bit<T.A>(0)
            accessFailed = accessFailed | (active & ~entry.ok)
            reserved = reserved | (active & entry.ok & reservedHere)
            read = mux(active, read & entry.value[bit: 0], read)
            write = mux(active, write & entry.value[bit: 1], write)
            let offset = W((1 << shift) - 1)
            leaf = mux(active & isLeaf, (entry.value & mask & ~offset) | (request.address & offset), leaf)
            done = done | (active & (isLeaf | ~present | ~entry.ok | reservedHere))
            table = mux(active, entry.value & mask, table)
        }
        let checked = mux(request.write, mux(write, Bits<T.A, 8>(0), Bits(UInt64(Reason.writeDenied.rawValue))),
                             mux(read, Bits<T.A, 8>(0), Bits(UInt64(Reason.readDenied.rawValue))))
        let permission = hooks.ignorePermissions ? Bits<T.A, 8>.zero : checked
        // Faults in the order the hardware finds them.
        func reason(_ r: Reason) -> Bits<T.A, 8> { Bits(UInt64(r.rawValue)) }
        var fault = permission
        fault = mux(reserved, reason(.reservedInPagingEntry), fault)
        fault = mux(accessFailed, reason(.pagingEntryAccess), fault)
        fault = mux(beyondWidth & ~translated, reason(.addressBeyondWidth), fault)
        fault = mux(passThrough | translated, Bits<T.A, 8>.zero, fault)
        fault = mux(blocked, reason(.translationTypeBlocked), fault)
        fault = mux(invalidContext, reason(.invalidContext), fault)
        fault = mux(~contextPresent, reason(.contextNotPresent), fault)
        fault = mux(~(contextLow.ok & contextHigh.ok), reason(.contextTableAccess), fault)
        fault = mux(~rootPresent, reason(.rootNotPresent), fault)
        fault = mux(~root.ok, reason(.rootTableAccess), fault)
        let hostAddress = mux(passThrough | translated, request.address, leaf)
        return Result(hostAddress: hostAddress, fault: fault, domain: domain, faultProcessingDisabled: faultProcessingDisabled,
                      readable: read, writable: write, walked: ~(passThrough | translated))
    }
}

/// Test-only mutations of the walk, for showing that the DMA-isolation proof catches a broken
/// IOMMU: each turns a property violated on a platform where it holds.
public struct TranslationHooks: Sendable, Equatable {
    /// The permission check at the end of the walk is skipped: a request through a not-present
    /// or read-only entry goes on.
    public var ignorePermissions: Bool
    public init(ignorePermissions: Bool = false) { self.ignorePermissions = ignorePermissions }
}
