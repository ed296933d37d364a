/// The advanced descriptor formats the igb/igbvf and ixgbe/ixgbevf drivers use (82576
/// datasheet §7.1.5, §7.2.3; 82599 datasheet §7.1.6, §7.2.3): 16 bytes, little-endian, as four
/// dwords in ring memory.

/// A descriptor's four dwords as they lie in ring memory (dword 0 at the lowest address), held
/// inline: the DMA engine's descriptor cache and write-backs keep them without an array each.
public struct DescriptorDwords: Sendable, Equatable {
    public var d0: UInt32, d1: UInt32, d2: UInt32, d3: UInt32

    public init(_ d0: UInt32, _ d1: UInt32, _ d2: UInt32, _ d3: UInt32) {
        (self.d0, self.d1, self.d2, self.d3) = (d0, d1, d2, d3)
    }

    /// The 16 bytes at `offset` of `bytes`, little-endian (as a fetch returns them).
    init(bytes: [UInt8], at offset: Int) {
        func dword(_ j: Int) -> UInt32 {
            let at = offset + 4 * j
            return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        self.init(dword(0), dword(1), dword(2), dword(3))
    }

    public var array: [UInt32] { [d0, d1, d2, d3] }

    /// Appends the four dwords to `dwords` (a write-back run).
    func append(to dwords: inout [UInt32]) {
        dwords.append(d0)
        dwords.append(d1)
        dwords.append(d2)
        dwords.append(d3)
    }
}

/// An advanced receive descriptor. Read format (software to hardware): the packet buffer
/// address, then the header buffer address (whose bit 0 is DD, zero when posted). Write-back
/// format (hardware to software): dword 2 holds the extended status (DD bit 0, EOP bit 1, VP
/// bit 3) and errors, dword 3 the length written to the buffer (15:0) and the VLAN tag (31:16).
public struct AdvancedRxDescriptor: Sendable, Equatable {
    public var packetAddress: UInt64
    public var headerAddress: UInt64

    public init(packetAddress: UInt64, headerAddress: UInt64 = 0) {
        self.packetAddress = packetAddress
        self.headerAddress = headerAddress
    }

    public init(dwords d: DescriptorDwords) {
        packetAddress = UInt64(d.d1) << 32 | UInt64(d.d0)
        headerAddress = UInt64(d.d3) << 32 | UInt64(d.d2)
    }

    /// The read format as it lies in the ring.
    public var words: DescriptorDwords {
        DescriptorDwords(UInt32(truncatingIfNeeded: packetAddress), UInt32(truncatingIfNeeded: packetAddress >> 32),
                         UInt32(truncatingIfNeeded: headerAddress), UInt32(truncatingIfNeeded: headerAddress >> 32))
    }
    public var dwords: [UInt32] { words.array }

    /// Status bits of the write-back format (dword 2).
    public static let descriptorDone: UInt32 = 1 << 0, endOfPacket: UInt32 = 1 << 1, vlanPacket: UInt32 = 1 << 3
    /// Extended error bit: the frame was cut short (a DMA error ended it; RXE).
    public static let receiveError: UInt32 = 1 << 29

    /// The write-back a receive leaves in the descriptor: `length` bytes in this buffer, status
    /// (DD, EOP on the frame's last buffer, VP with the frame's VLAN tag).
    public static func writeBack(length: Int, endOfPacket eop: Bool, vlan: UInt16?) -> DescriptorDwords {
        let status = descriptorDone | (eop ? endOfPacket : 0) | (vlan != nil ? vlanPacket : 0)
        return DescriptorDwords(0, 0, status, UInt32(length & 0xFFFF) | UInt32(vlan ?? 0) << 16)
    }
}

/// An advanced transmit descriptor: a data descriptor (DTYP 0011: buffer address, DTALEN,
/// DCMD with EOP, IFCS, RS, DEXT, VLE; PAYLEN) or a context descriptor (DTYP 0010: the VLAN
/// tag to insert and offload parameters). Hardware reports a descriptor done by setting DD
/// (bit 0 of dword 3) in the descriptor when RS asked for it.
public struct AdvancedTxDescriptor: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case data, context, other(UInt32) }

    public var kind: Kind
    public var bufferAddress: UInt64
    public var length: Int
    public var endOfPacket: Bool
    public var reportStatus: Bool
    public var insertVLAN: Bool
    /// Context descriptors: the VLAN tag (dword 0 bits 31:16).
    public var vlan: UInt16

    public static let commandEOP: UInt32 = 0x01 << 24, commandIFCS: UInt32 = 0x02 << 24, commandRS: UInt32 = 0x08 << 24
    public static let commandDEXT: UInt32 = 0x20 << 24, commandVLE: UInt32 = 0x40 << 24
    public static let typeData: UInt32 = 0x3 << 20, typeContext: UInt32 = 0x2 << 20
    public static let descriptorDone: UInt32 = 1 << 0

    public init(dwords d: DescriptorDwords) {
        let type = d.d2 >> 20 & 0xF
        kind = type == 0x3 ? .data : type == 0x2 ? .context : .other(type)
        bufferAddress = UInt64(d.d1) << 32 | UInt64(d.d0)
        length = Int(d.d2 & 0xFFFF)
        endOfPacket = d.d2 & Self.commandEOP != 0
        reportStatus = d.d2 & Self.commandRS != 0
        insertVLAN = d.d2 & Self.commandVLE != 0
        vlan = UInt16(d.d0 >> 16)
    }

    /// The write-back hardware leaves in a descriptor whose RS was set: DD in dword 3.
    public static let done = DescriptorDwords(0, 0, 0, descriptorDone)

    /// A data descriptor as a driver writes it: `length` bytes at `address`; the frame's last
    /// buffer carries EOP and the frame's total length in PAYLEN.
    public static func data(address: UInt64, length: Int, endOfPacket: Bool, reportStatus: Bool, payloadLength: Int,
                            insertVLAN: Bool = false) -> DescriptorDwords {
        let command = commandDEXT | commandIFCS | (endOfPacket ? commandEOP : 0) | (reportStatus ? commandRS : 0) | (insertVLAN ? commandVLE : 0)
        return DescriptorDwords(UInt32(truncatingIfNeeded: address), UInt32(truncatingIfNeeded: address >> 32),
                                command | typeData | UInt32(length & 0xFFFF), UInt32(payloadLength & 0x3FFFF) << 14)
    }

    /// A context descriptor carrying the VLAN tag for the following frame.
    public static func context(vlan: UInt16) -> DescriptorDwords {
        DescriptorDwords(UInt32(vlan) << 16, 0, commandDEXT | typeContext, 0)
    }
}
