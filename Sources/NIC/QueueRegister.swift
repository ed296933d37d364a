import PCIe

/// One register of a queue's block (Rx or Tx ring registers): its name, its offset in the
/// block and its fields. The PF sees the block at the queue's offset in BAR0; a VF sees its
/// pool's queues' blocks in its own window (`VFRegisterWindow`); the DMA engine reads the
/// fields by name. One table per part and direction, in the datasheet's order.
public struct QueueRegister: Sendable {
    public let name: String
    public let offset: Int
    public let fields: [RegisterField]

    public init(_ name: String, _ offset: Int, _ fields: [RegisterField] = [RegisterField("VALUE", lsb: 0, width: 32)]) {
        self.name = name
        self.offset = offset
        self.fields = fields
    }

    /// The register for queue `q` at `base` (the queue's block) in a register map.
    func register(queue q: Int, base: Int) -> MMIORegister {
        MMIORegister("\(name)[\(q)]", offset: base + offset, fields: fields)
    }
}

extension RegisterField {
    /// This field's value in a register's `word`.
    @inlinable
    public func value(in word: UInt32) -> UInt32 { (word & mask) >> UInt32(lsb) }

    /// `word` with this field set to `value`.
    @inlinable
    public func setting(_ value: UInt32, in word: UInt32) -> UInt32 { (word & ~mask) | ((value << UInt32(lsb)) & mask) }
}

extension RegisterMap {
    /// RTTBCNRC (both parts): RF_DEC 13:0 and RF_INT 23:14 read together as RF, the rate factor
    /// in 1/16384ths; RS_ENA enables the limiter.
    static let rateFactorFields = [RegisterField("RF", lsb: 0, width: 24), RegisterField("RS_ENA", lsb: 31)]

    /// CTRL (PF) and a VF's CTRL (82576 PVTCTRL, 82599 VFCTRL): RST (bit 26) resets the
    /// function and clears itself; the other bits are stored, not modelled.
    static let controlFields = [RegisterField("CTRL_LOW", lsb: 0, width: 26), RegisterField("RST", lsb: 26), RegisterField("CTRL_HIGH", lsb: 27, width: 5)]
    /// CTRL_EXT: PFRSTD (bit 14), the PF driver's "reset done" to the VFs' mailboxes.
    static let extendedControlFields = [RegisterField("CTRL_EXT_LOW", lsb: 0, width: 14), RegisterField("PFRSTD", lsb: 14),
                                        RegisterField("CTRL_EXT_HIGH", lsb: 15, width: 17)]
    /// A VF's side of its mailbox (82576 V2PMAILBOX, 82599 VFMAILBOX): RSTI set at reset until
    /// the PF driver says it is done.
    static let vfMailboxFields = [
        RegisterField("REQ", lsb: 0), RegisterField("ACK", lsb: 1), RegisterField("VFU", lsb: 2), RegisterField("PFU", lsb: 3, .ro),
        RegisterField("PFSTS", lsb: 4, .rc), RegisterField("PFACK", lsb: 5, .rc), RegisterField("RSTI", lsb: 6, .ro, reset: 1), RegisterField("RSTD", lsb: 7, .rc),
    ]
    /// The PF's side (82576 P2VMAILBOX, 82599 PFMAILBOX).
    static let pfMailboxFields = [
        RegisterField("STS", lsb: 0), RegisterField("ACK", lsb: 1), RegisterField("VFU", lsb: 2, .ro), RegisterField("PFU", lsb: 3), RegisterField("RVFU", lsb: 4),
    ]
}

extension QueueRegister {
    /// Ring length in bytes; the DMA engine refuses a length that is zero or not a multiple of
    /// 128 bytes (the datasheets require both) when the queue is enabled.
    static let length = [RegisterField("LEN", lsb: 0, width: 20)]
    static let pointer = [RegisterField("PTR", lsb: 0, width: 16)]
}
