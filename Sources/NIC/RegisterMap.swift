import PCIe
import RTL

/// The MMIO register maps of the NIC (STYLE.md "Register maps"): every register and field
/// defined once — name, offset, width, software access, reset — in the datasheet's order, and
/// everything else (MMIO decode, the filter tables the sorter reads, dumps, traces, drivers)
/// looks names and offsets up here.

/// One 32-bit register. `writeAction` makes it one of a set/clear pair acting on another
/// register's value (EIMS sets, EIMC clears the interrupt mask; EICS sets causes in EICR).
public struct MMIORegister: Sendable, Equatable {
    public enum WriteAction: Sendable, Equatable {
        case store
        /// Ones written set bits in the named register; reads return its value (`readsTarget`).
        case setBits(in: String, readsTarget: Bool)
        /// Ones written clear bits in the named register; reads return 0.
        case clearBits(in: String)
        /// A second address of the named register: reads and writes are the target's.
        case alias(of: String)
    }

    public let name: String
    public let offset: Int
    public let fields: [RegisterField]
    public let writeAction: WriteAction
    /// The bits a write stores (RW and WO fields), the bits a one written clears (RW1C), the
    /// bits a read returns as zero (WO) and the bits a read clears (RC), from the fields, kept
    /// for every access.
    public let writable: UInt32
    public let writeOneToClear: UInt32
    public let writeOnly: UInt32
    public let readToClear: UInt32

    public init(_ name: String, offset: Int, fields: [RegisterField], writeAction: WriteAction = .store) {
        precondition(offset % 4 == 0, "register \(name) at 0x\(String(offset, radix: 16)) is not dword aligned")
        RegisterField.checkDisjoint(fields, register: name)
        self.name = name
        self.offset = offset
        self.fields = fields
        self.writeAction = writeAction
        writable = Self.mask(fields, [.rw, .wo])
        writeOneToClear = Self.mask(fields, [.rw1c])
        writeOnly = Self.mask(fields, [.wo])
        readToClear = Self.mask(fields, [.rc])
    }

    /// A register that is one field of 32 bits.
    public init(_ name: String, offset: Int, _ access: AccessKind = .rw, reset: UInt32 = 0, writeAction: WriteAction = .store) {
        self.init(name, offset: offset, fields: [RegisterField(name, lsb: 0, width: 32, access, reset: reset)], writeAction: writeAction)
    }

    public func field(_ name: String) -> RegisterField? { fields.first { $0.name == name } }
    public var resetValue: UInt32 { fields.reduce(0) { $0 | ($1.reset << UInt32($1.lsb)) & $1.mask } }
    static func mask(_ fields: [RegisterField], _ kinds: Set<AccessKind>) -> UInt32 {
        fields.filter { kinds.contains($0.access) }.reduce(0) { $0 | $1.mask }
    }
}

/// A register map: the registers of one part in datasheet order, arrays expanded (`RAL[3]`).
public struct RegisterMap: Sendable {
    public let family: String
    public let registers: [MMIORegister]
    /// Number of VMDq pools (8 on the 82576, 64 on the 82599).
    public let pools: Int
    /// The part's BAR0 size: what the PF reaches (128 KiB on the 82576, 512 KiB on the 82599).
    /// Registers beyond it are a VF's own, reached only through its window.
    public let pfWindow: Int
    /// Each dword offset's register (its index, -1: none), up to the last register: a lookup
    /// by position, made per MMIO access (hashing the offset cost more than the access).
    let byDword: [Int32]
    /// The register a write to each register acts on: itself, or the one it is an alias of.
    let writeTarget: [Int]
    /// The register whose bits a write to each register sets or clears (-1: none).
    let bitsTargets: [Int]
    let byName: [String: Int]

    public init(family: String, pools: Int, pfWindow: Int, registers: [MMIORegister]) {
        self.family = family
        self.pools = pools
        self.pfWindow = pfWindow
        self.registers = registers
        var dwords = [Int32](copies: -1, count: (registers.map(\.offset).max() ?? -4) / 4 + 1), names: [String: Int] = [:]
        for (k, r) in registers.enumerated() {
            precondition(r.offset >= 0 && r.offset & 3 == 0, "\(family): register \(r.name) at 0x\(String(r.offset, radix: 16)) is not dword-aligned")
            precondition(dwords[r.offset / 4] < 0, "\(family): two registers at 0x\(String(r.offset, radix: 16))")
            dwords[r.offset / 4] = Int32(k)
            precondition(names.updateValue(k, forKey: r.name) == nil, "\(family): register \(r.name) defined twice")
        }
        byDword = dwords
        byName = names
        writeTarget = registers.indices.map { k in
            guard case .alias(let target) = registers[k].writeAction else { return k }
            return names[target] ?? -1
        }
        bitsTargets = registers.map { r in
            switch r.writeAction {
            case .setBits(let target, _), .clearBits(let target): names[target] ?? -1
            case .store, .alias: -1
            }
        }
    }

    /// Entries of the receive address table (RAL/RAH) and of the VLAN filter (VLVF).
    public var receiveAddresses: Int { registers.filter { $0.name.hasPrefix("RAL[") && $0.writeAction == .store }.count }
    public var vlanFilters: Int { registers.filter { $0.name.hasPrefix("VLVF[") }.count }

    /// Rx (and Tx) queues per port: 16 on the 82576, 128 on the 82599.
    public var queues: Int { registers.filter { $0.name.hasPrefix("RDBAL[") }.count }

    /// The pool a queue serves in VMDq mode: 82576 queue q is pool q mod 8 (VF n owns queues n
    /// and n + 8); 82599 queue q is pool q / 2 (64 pools of two queues).
    public func pool(ofQueue q: Int) -> Int { family == "82576" ? q % pools : q / 2 }

    /// A queue's number among its VF's queues (0 or 1): 82576 queue n is the VF's 0, n + 8 its 1;
    /// 82599 queue 2n + k is the VF's k.
    public func localQueue(_ q: Int) -> Int { family == "82576" ? q / pools : q % 2 }

    /// A pool's first queue, the one the sorter's frames for the pool go to (no RSS).
    public func firstQueue(ofPool pool: Int) -> Int { family == "82576" ? pool : 2 * pool }

    public func register(at offset: Int) -> MMIORegister? { index(at: offset).map { registers[$0] } }
    public func register(named name: String) -> MMIORegister? { byName[name].map { registers[$0] } }
    public func index(named name: String) -> Int? { byName[name] }
    public func index(at offset: Int) -> Int? {
        guard offset >= 0, offset & 3 == 0, offset / 4 < byDword.count else { return nil }
        let k = byDword[offset / 4]
        return k < 0 ? nil : Int(k)
    }

    /// The register an access at `offset` acts on: itself, or the one it is an alias of.
    func resolve(_ offset: Int) -> Int? {
        guard let k = index(at: offset & ~3) else { return nil }
        let target = writeTarget[k]
        return target < 0 ? nil : target
    }

    /// The register whose bits a write to register `k` sets or clears (EICS, EIMS, EIMC), if
    /// it is one of those.
    func bitsTarget(_ k: Int) -> Int? { bitsTargets[k] < 0 ? nil : bitsTargets[k] }

    /// `count` registers `name[i]` at `base + i * stride`, each with the same fields.
    public static func array(_ name: String, base: Int, stride: Int = 4, count: Int, fields: [RegisterField]) -> [MMIORegister] {
        (0..<count).map { MMIORegister("\(name)[\($0)]", offset: base + $0 * stride, fields: fields) }
    }

    public static func array(_ name: String, base: Int, stride: Int = 4, count: Int, _ access: AccessKind = .rw) -> [MMIORegister] {
        array(name, base: base, stride: stride, count: count, fields: [RegisterField(name, lsb: 0, width: 32, access)])
    }
}

/// The values behind a register map, with the access rules applied: what MMIO reads and writes
/// see (a register the map does not have reads 0 and ignores writes).
public struct RegisterFile: Sendable {
    public let map: RegisterMap
    /// The registers' values; hardware in the NIC (the mailbox) may change them in place.
    public internal(set) var values: [UInt32]

    public init(map: RegisterMap) {
        self.map = map
        values = map.registers.map(\.resetValue)
    }

    /// A read of the dword at `offset`; read-to-clear fields clear.
    public mutating func read(offset: Int) -> UInt32 {
        guard let k = map.resolve(offset) else { return 0 }
        let register = map.registers[k]
        switch register.writeAction {
        case .setBits(let target, true): return map.index(named: target).map { values[$0] } ?? 0
        case .setBits, .clearBits, .alias: return 0
        case .store: break
        }
        let value = values[k] & ~register.writeOnly
        if register.readToClear != 0 { values[k] &= ~register.readToClear }
        return value
    }

    /// The value without side effects (for decode, dumps and traces).
    public func peek(_ name: String) -> UInt32 {
        guard let k = map.index(named: name) else { return 0 }
        readLog?.indices.insert(k)
        return values[k]
    }

    /// When set, every register `peek` reads is noted here: what a decode depends on.
    var readLog: ReadLog?

    final class ReadLog: @unchecked Sendable {   // filled by one decode on one thread
        var indices = Set<Int>()
    }

    /// A field's value without side effects.
    public func peek(_ name: String, field: String) -> UInt32 {
        guard let register = map.register(named: name), let f = register.field(field) else { return 0 }
        return (peek(name) & f.mask) >> UInt32(f.lsb)
    }

    /// A write of `value` to the dword at `offset` under `byteEnables` (bit n: byte n).
    public mutating func write(offset: Int, value: UInt32, byteEnables: UInt8 = 0xF) {
        guard let k = map.resolve(offset) else { return }
        let register = map.registers[k]
        let enabled = ConfigWrite.byteMask(byteEnables)
        let data = value & enabled
        switch register.writeAction {
        case .setBits(let target, _):
            if let t = map.index(named: target) { values[t] |= data }
        case .clearBits(let target):
            if let t = map.index(named: target) { values[t] &= ~data }
        case .alias:
            break
        case .store:
            let writable = register.writable & enabled
            let clearable = register.writeOneToClear
            values[k] = (values[k] & ~writable & ~(clearable & data)) | (data & writable)
        }
    }

    /// Hardware stores a value (a head pointer it moved, an enable bit it cleared).
    public mutating func hardwareStore(index k: Int, _ value: UInt32) { values[k] = value }
}
