import PCIe
import RTL

/// The MSI-X tables and Pending Bit Arrays of the NIC's functions, in the BAR their MSI-X
/// capability names (PCI Local Bus 3.0 §6.8.2; PCIe Base 4.0 §7.7.2): per vector, Message
/// Address (dword 0, low two bits zero), Message Upper Address, Message Data and Vector Control
/// (bit 0 Mask, set at reset); the PBA one bit per vector, read-only. The PF's and each VF's
/// tables are separate; an offset beyond them reads zero and ignores writes.
///
/// Software (MMIO: `read`, `write`, `reset`) and hardware (the interrupt unit: `entry`,
/// `pending`, `setPending`) meet here within a clock: with `clock` set, each side sees the
/// other's changes from the next clock (DESIGN.md §3), as `NICRegisters` does for the registers.
public final class MSIXTables {
    public let pf: MSIXCapability?
    public let vf: MSIXCapability?
    var tables: [SRIOVDevice.FunctionID: Table] = [:]
    /// The simulator whose clock separates the two sides' changes (none: both act at once).
    var clock = SimulatorReference(nil)
    /// In clock `viewsClock`: the tables as hardware sees them, of the functions software
    /// changed, and the pending bits as software sees them, of the functions hardware changed.
    var viewsClock = UInt64.max
    var hardwareViews: [SRIOVDevice.FunctionID: Table] = [:]
    var softwareViews: [SRIOVDevice.FunctionID: [Bool]] = [:]
    /// Software cleared a vector's Mask bit: the function's pending vectors may go.
    public var unmasked: ((SRIOVDevice.FunctionID) -> Void)?

    struct Table {
        var entries: [UInt32]
        var pending: [Bool]
        init(vectors: Int) {
            entries = (0..<4 * vectors).map { $0 % 4 == 3 ? 1 : 0 }
            pending = Array(repeating: false, count: vectors)
        }
    }

    public static let entryBytes = 16

    public init(pf: MSIXCapability?, vf: MSIXCapability?) {
        self.pf = pf
        self.vf = vf
    }

    public func layout(of function: SRIOVDevice.FunctionID) -> MSIXCapability? {
        if case .pf = function { return pf }
        return vf
    }

    func table(_ function: SRIOVDevice.FunctionID) -> Table? {
        if let t = tables[function] { return t }
        guard let layout = layout(of: function) else { return nil }
        return Table(vectors: layout.tableSize)
    }

    /// The clock being stepped, if one is (its views emptied when they were another clock's).
    func stepping() -> UInt64? {
        guard let now = clock.steppedClock else { return nil }
        if viewsClock != now {
            viewsClock = now
            if !hardwareViews.isEmpty { hardwareViews = [:] }
            if !softwareViews.isEmpty { softwareViews = [:] }
        }
        return now
    }

    /// A function's table as hardware sees it (without software's changes this clock).
    func hardwareTable(_ function: SRIOVDevice.FunctionID) -> Table? {
        if !hardwareViews.isEmpty, stepping() != nil, let seen = hardwareViews[function] { return seen }
        return table(function)
    }

    /// Software is about to change a function's table: hardware keeps seeing it as it was.
    func softwareChanges(_ function: SRIOVDevice.FunctionID) {
        guard stepping() != nil, hardwareViews[function] == nil, let old = table(function) else { return }
        hardwareViews[function] = old
    }

    public func vectors(of function: SRIOVDevice.FunctionID) -> Int { layout(of: function)?.tableSize ?? 0 }

    /// What an access at `offset` of BAR `bar` reaches: a table dword or a PBA dword.
    enum Target { case entry(Int), pending(Int) }

    func target(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64) -> Target? {
        guard let layout = layout(of: function) else { return nil }
        if bar == layout.tableBAR, offset >= UInt64(layout.tableOffset), offset - UInt64(layout.tableOffset) < UInt64(Self.entryBytes * layout.tableSize) {
            return .entry(Int(offset - UInt64(layout.tableOffset)) / 4)
        }
        if bar == layout.pbaBAR, offset >= UInt64(layout.pbaOffset), offset - UInt64(layout.pbaOffset) < UInt64(8 * ((layout.tableSize + 63) / 64)) {
            return .pending(Int(offset - UInt64(layout.pbaOffset)) / 4)
        }
        return nil
    }

    public func read(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64) -> UInt32? {
        guard let target = target(function, bar: bar, offset: offset), let table = table(function) else { return nil }
        switch target {
        case .entry(let k): return table.entries[k]
        case .pending(let k):
            // The pending bits as software sees them (hardware's changes this clock show next).
            let pending = !softwareViews.isEmpty && stepping() != nil ? softwareViews[function] ?? table.pending : table.pending
            return (0..<32).reduce(UInt32(0)) { word, bit in
                let v = 32 * k + bit
                return v < pending.count && pending[v] ? word | 1 << UInt32(bit) : word
            }
        }
    }

    /// A software write; false when nothing is there.
    @discardableResult
    public func write(_ function: SRIOVDevice.FunctionID, bar: Int, offset: UInt64, value: UInt32, byteEnables: UInt8) -> Bool {
        guard let target = target(function, bar: bar, offset: offset), var table = table(function) else { return false }
        guard case .entry(let k) = target else { return true }   // the PBA is read-only
        let mask = ConfigWrite.byteMask(byteEnables)
        let writable: UInt32 = k % 4 == 0 ? ~3 : k % 4 == 3 ? 1 : ~0
        softwareChanges(function)
        let old = table.entries[k]
        table.entries[k] = old & ~(mask & writable) | value & mask & writable
        tables[function] = table
        if k % 4 == 3, old & 1 == 1, table.entries[k] & 1 == 0 { unmasked?(function) }
        return true
    }

    /// Vector `v`'s message (address, data) and whether its Mask bit is set.
    public func entry(_ function: SRIOVDevice.FunctionID, vector v: Int) -> (address: UInt64, data: UInt32, masked: Bool)? {
        guard let table = hardwareTable(function), v < table.pending.count else { return nil }
        let e = table.entries, k = 4 * v
        return (UInt64(e[k + 1]) << 32 | UInt64(e[k]), e[k + 2], e[k + 3] & 1 == 1)
    }

    /// A table never written has no pending bit (its vectors are all masked, none has fired).
    public func pending(_ function: SRIOVDevice.FunctionID, vector v: Int) -> Bool {
        let seen = !hardwareViews.isEmpty && stepping() != nil ? hardwareViews[function] ?? tables[function] : tables[function]
        return seen.map { v < $0.pending.count && $0.pending[v] } ?? false
    }

    /// Hardware sets or clears a vector's pending bit (in its own view too, when software
    /// changed the table this clock; software sees it from the next).
    func setPending(_ function: SRIOVDevice.FunctionID, vector v: Int, _ value: Bool) {
        guard var table = table(function), v < table.pending.count, table.pending[v] != value else { return }
        if stepping() != nil, softwareViews[function] == nil { softwareViews[function] = table.pending }
        table.pending[v] = value
        tables[function] = table
        if !hardwareViews.isEmpty, hardwareViews[function] != nil { hardwareViews[function]!.pending[v] = value }
    }

    /// A function reset (FLR) returns its table to reset values: every vector masked, nothing pending.
    public func reset(_ function: SRIOVDevice.FunctionID) {
        softwareChanges(function)
        tables[function] = nil
    }
}
