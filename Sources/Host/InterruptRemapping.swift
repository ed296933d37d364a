import RTL

/// VT-d interrupt remapping (VT-d §5.1; sriov-facts §5), written once over the algebra: a
/// device's write to 0xFEEx_xxxx in remappable format (bit 4 set) carries a handle (bits 19:5
/// and bit 2) and, with SHV (bit 3), a subhandle in the data; handle + subhandle indexes the
/// interrupt remapping table at IRTA (2^(S+1) entries of 128 bits). The entry, when present,
/// gives the vector and the destination, after its source validation: SVT 01 compares the
/// requester ID with the entry's SID under the SQ mask, SVT 10 requires the requester's bus in
/// [SID[15:8], SID[7:0]]. Every failure is a fault with the spec's reason (0x20-0x26).
public enum InterruptRemapping {
    public enum Reason: UInt8, Sendable, CaseIterable {
        case none = 0x00
        case indexBeyondTable = 0x21
        case entryNotPresent = 0x22
        case tableAccess = 0x23
        case reservedInEntry = 0x24
        case compatibilityFormat = 0x25
        case invalidSourceID = 0x26
    }

    /// The remappable-format MSI address for `handle` (VT-d §5.1.5.2): 0xFEE, handle[14:0] in
    /// bits 19:5, format bit 4, handle[15] in bit 2 (no subhandle).
    public static func messageAddress(handle: UInt16) -> UInt64 {
        0xFEE0_0000 | UInt64(handle & 0x7FFF) << 5 | 1 << 4 | UInt64(handle >> 15) << 2
    }

    /// An interrupt remapping table entry (VT-d §9.10) as its two 64-bit halves: present,
    /// `vector` to `destination`, source validation `validation` (SVT) of `sourceID` under
    /// qualifier `qualifier` (SQ).
    public static func entry(vector: UInt8, destination: UInt32, sourceID: UInt16, validation: UInt8 = 1, qualifier: UInt8 = 0) -> (low: UInt64, high: UInt64) {
        (UInt64(destination) << 32 | UInt64(vector) << 16 | 1, UInt64(validation & 3) << 18 | UInt64(qualifier & 3) << 16 | UInt64(sourceID))
    }

    public struct Result<A: BitVectorAlgebra> {
        public var fault: Bits<A, 8>
        public var vector: Bits<A, 8>
        public var destination: Bits<A, 32>
        /// The interrupt index the request named (for the fault record).
        public var index: Bits<A, 16>
        public var faultProcessingDisabled: Bit<A>
        @inlinable public var delivered: Bit<A> { fault .== .zero }

        @inlinable
        init(fault: Bits<A, 8>, vector: Bits<A, 8>, destination: Bits<A, 32>, index: Bits<A, 16>, faultProcessingDisabled: Bit<A>) {
            self.fault = fault
            self.vector = vector
            self.destination = destination
            self.index = index
            self.faultProcessingDisabled = faultProcessingDisabled
        }
    }

    /// Remaps the interrupt request `address`/`data` from `requester`, with the table at
    /// `tableBase` of 2^(`sizeField` + 1) entries.
    @inlinable
    public static func remap<T: TranslationTables>(tableBase: Bits<T.A, 64>, sizeField: Bits<T.A, 4>, requester: Bits<T.A, 16>,
                                                    address: Bits<T.A, 32>, data: Bits<T.A, 32>, tables: T,
                                                    hooks: InterruptHooks = InterruptHooks()) -> Result<T.A> {
        typealias W = Bits<T.A, 64>
        let remappable = address[bit: 4]
        let subhandleValid = address[bit: 3]
        let handle: Bits<T.A, 16> = address.extract(from: 5, as: Bits<T.A, 15>.self).zeroExtended() | (address[bit: 2].zeroExtended() << Bits(15))
        let index = handle + mux(subhandleValid, data.truncated(to: Bits<T.A, 16>.self), .zero)
        let entries: Bits<T.A, 32> = Bits(1) << (sizeField.zeroExtended() + Bits(1))
        let beyond = index.zeroExtended(to: Bits<T.A, 32>.self) .>= entries
        let entryAddress = (tableBase & W(SecondLevelTranslation.addressMask)) + index.zeroExtended() * W(16)
        let low = tables.read(entryAddress), high = tables.read(entryAddress + W(8))
        let present = low.value[bit: 0]
        let faultProcessingDisabled = low.value[bit: 1]
        let vector = low.value.extract(from: 16, as: Bits<T.A, 8>.self)
        let destination = low.value.extract(from: 32, as: Bits<T.A, 32>.self)
        // IM (bit 15, posted) is not supported here: a reserved field.
        let reservedEntry = low.value[bit: 15]
        let sid = high.value.truncated(to: Bits<T.A, 16>.self)
        let sq = high.value.extract(from: 16, as: Bits<T.A, 2>.self)
        let svt = high.value.extract(from: 18, as: Bits<T.A, 2>.self)
        // SQ masks the low function bits out of the comparison: 00 none, 01 bit 2, 10 bits 2:1, 11 bits 2:0.
        let sqMask = lookup([Bits<T.A, 16>(0xFFFF), Bits(0xFFFB), Bits(0xFFF9), Bits(0xFFF8)], sq)
        let idMatch = (requester & sqMask) .== (sid & sqMask)
        let bus = requester.extract(from: 8, as: Bits<T.A, 8>.self)
        let busMatch = (bus .>= sid.extract(from: 8, as: Bits<T.A, 8>.self)) & (bus .<= sid.truncated(to: Bits<T.A, 8>.self))
        let validated = mux(svt .== Bits(1), idMatch, mux(svt .== Bits(2), busMatch, svt .== .zero))
        let sourceOK = hooks.ignoreSourceValidation ? Bit<T.A>(1) : validated

        func reason(_ r: Reason) -> Bits<T.A, 8> { Bits(UInt64(r.rawValue)) }
        var fault = mux(sourceOK, Bits<T.A, 8>.zero, reason(.invalidSourceID))
        fault = mux(reservedEntry, reason(.reservedInEntry), fault)
        fault = mux(present, fault, reason(.entryNotPresent))
        fault = mux(low.ok & high.ok, fault, reason(.tableAccess))
        fault = mux(beyond, reason(.indexBeyondTable), fault)
        fault = mux(remappable, fault, reason(.compatibilityFormat))
        return Result(fault: fault, vector: vector, destination: destination, index: index, faultProcessingDisabled: faultProcessingDisabled & present)
    }

    /// What the interrupt path delivers for a device's write of `data` to `address` in the
    /// interrupt range: with remapping enabled (GSTS.IRES) the remapped entry; without, the
    /// compatibility format as the device wrote it (VT-d §5.1.1; Intel SDM §10.11): the
    /// destination in address bits 19:12, the vector in data bits 7:0, whoever sent it.
    @inlinable
    public static func deliver<T: TranslationTables>(enabled: Bit<T.A>, tableBase: Bits<T.A, 64>, sizeField: Bits<T.A, 4>, requester: Bits<T.A, 16>,
                                                      address: Bits<T.A, 32>, data: Bits<T.A, 32>, tables: T,
                                                      hooks: InterruptHooks = InterruptHooks()) -> Result<T.A> {
        let remapped = remap(tableBase: tableBase, sizeField: sizeField, requester: requester, address: address, data: data, tables: tables, hooks: hooks)
        let destination: Bits<T.A, 32> = address.extract(from: 12, as: Bits<T.A, 8>.self).zeroExtended()
        return Result(fault: mux(enabled, remapped.fault, .zero), vector: mux(enabled, remapped.vector, data.truncated()),
                      destination: mux(enabled, remapped.destination, destination), index: remapped.index,
                      faultProcessingDisabled: enabled & remapped.faultProcessingDisabled)
    }
}

/// Test-only mutations of interrupt remapping (see `TranslationHooks`).
public struct InterruptHooks: Sendable, Equatable {
    /// The entry's source validation (SVT/SQ/SID) is skipped: any requester may use any entry.
    public var ignoreSourceValidation: Bool
    public init(ignoreSourceValidation: Bool = false) { self.ignoreSourceValidation = ignoreSourceValidation }
}
