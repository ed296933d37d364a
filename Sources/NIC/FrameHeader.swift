import RTL

/// The header fields of an Ethernet frame that the L2 sorter and the transmit checks look at,
/// as words of the algebra (IEEE 802.3 §3.2, 802.1Q §9.6).
///
/// MAC addresses are 48-bit words with the first octet on the wire in bits 47:40, so
/// `00:1b:21:4c:8a:10` is `0x001b214c8a10`; the Individual/Group bit (multicast) is then bit
/// 40 and the broadcast address is all ones. `length` is the frame's size in bytes from the
/// destination address through the FCS, as the size limits (RLPML, 1518/1522) count it.
public struct FrameHeader<A: BitVectorAlgebra> {
    public var destination: Bits<A, 48>
    public var source: Bits<A, 48>
    /// An 802.1Q tag is present (TPID 0x8100 after the source address).
    public var tagged: Bit<A>
    /// The tag's VLAN ID (valid when `tagged`).
    public var vlanID: Bits<A, 12>
    public var length: Bits<A, 16>

    @inlinable
    public init(destination: Bits<A, 48>, source: Bits<A, 48>, tagged: Bit<A>, vlanID: Bits<A, 12>, length: Bits<A, 16>) {
        self.destination = destination
        self.source = source
        self.tagged = tagged
        self.vlanID = vlanID
        self.length = length
    }

    /// The Individual/Group bit: a group (multicast or broadcast) address.
    @inlinable public var isGroup: Bit<A> { destination[bit: 40] }
    @inlinable public var isBroadcast: Bit<A> { destination .== Bits(0xFFFF_FFFF_FFFF) }
    @inlinable public var isMulticast: Bit<A> { isGroup & ~isBroadcast }
    @inlinable public var isUnicast: Bit<A> { ~isGroup }
}
