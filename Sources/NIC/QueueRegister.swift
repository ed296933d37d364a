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
    public func value(in word: UInt32) -> UInt32 { (word & mask) >> UInt32(lsb) }

    /// `word` with this field set to `value`.
    public func setting(_ value: UInt32, in word: UInt32) -> UInt32 { (word & ~mask) | ((value << UInt32(lsb)) & mask) }
}

extension RegisterMap {
    /// RTTBCNRC (both parts): RF_DEC 13:0 and RF_INT 23:14 read together as RF, the rate factor
    /// in 1/16384ths; RS_ENA enables the limiter.
    static let rateFactorFields = [RegisterField("RF", lsb: 0, width: 24), RegisterField("RS_ENA", lsb: 31)]
}

extension QueueRegister {
    /// Ring length in bytes; the DMA engine refuses a length that is zero or not a multiple of
    /// 128 bytes (the datasheets require both) when the queue is enabled.
    static let length = [RegisterField("LEN", lsb: 0, width: 20)]
    static let pointer = [RegisterField("PTR", lsb: 0, width: 16)]
}
