import RTL

/// The configuration space of one function as a register file: 4 KiB (PCIe) of dwords whose
/// write behaviour comes only from the `ConfigRegister` definitions placed in it (PCIe Base
/// 4.0 §7.5). Reads and writes of 1, 2 or 4 bytes at naturally aligned offsets; anything else
/// is refused (nil / false) and changes nothing.
public struct ConfigSpace: Sendable {
    public static let pcieSize = 4096

    public let size: Int
    /// Every register, by offset; the one source of dumps, decoded views and probes.
    public private(set) var registers: [ConfigRegister]
    @usableFromInline var dwords: [UInt32]
    @usableFromInline var writable: [UInt32]
    @usableFromInline var clearable: [UInt32]
    @usableFromInline var resetDwords: [UInt32]

    public init(size: Int = ConfigSpace.pcieSize, registers: [ConfigRegister]) {
        precondition(size % 4 == 0)
        self.size = size
        self.registers = []
        dwords = Array(repeating: 0, count: size / 4)
        writable = dwords
        clearable = dwords
        resetDwords = dwords
        var owner = Array(repeating: "", count: size)
        for register in registers.sorted(by: { $0.offset < $1.offset }) {
            precondition(register.offset + register.size <= size, "register \(register.name) outside config space")
            for byte in register.offset..<(register.offset + register.size) {
                precondition(owner[byte].isEmpty, "register \(register.name) overlaps \(owner[byte]) at 0x\(String(byte, radix: 16))")
                owner[byte] = register.name
            }
            self.registers.append(register)
            let shift = UInt32(8 * (register.offset & 3))
            let index = register.offset / 4
            writable[index] |= register.mask([.rw]) << shift
            clearable[index] |= register.mask([.rw1c]) << shift
            resetDwords[index] |= register.resetValue << shift
        }
        dwords = resetDwords
    }

    /// Reads `size` bytes at `offset`, or nil for a misaligned or out-of-range access.
    public func read(offset: Int, size: Int) -> UInt32? {
        guard offset >= 0, offset + size <= self.size, ConfigWrite.byteEnables(offset: offset, size: size) != nil else { return nil }
        let shifted = dwords[offset / 4] >> UInt32(8 * (offset & 3))
        return size == 4 ? shifted : shifted & ((1 << UInt32(8 * size)) - 1)
    }

    /// Writes `size` bytes at `offset` through the generic write rule. Returns false, changing
    /// nothing, for a misaligned or out-of-range access.
    @discardableResult
    public mutating func write(offset: Int, size: Int, value: UInt32) -> Bool {
        guard offset >= 0, offset + size <= self.size, let enables = ConfigWrite.byteEnables(offset: offset, size: size) else { return false }
        let index = offset / 4
        let data = UInt64(value) << UInt64(8 * (offset & 3))
        dwords[index] = UInt32(ConfigWrite.merge(
            old: Bits<Concrete, 32>(UInt64(dwords[index])), data: Bits(data), byteEnables: Bits(enables),
            writable: Bits(UInt64(writable[index])), clearable: Bits(UInt64(clearable[index]))).value)
        return true
    }

    /// Back to reset values.
    public mutating func reset() { dwords = resetDwords }

    /// The whole dword at a dword index (for dumps and TLP completions).
    public func dword(_ index: Int) -> UInt32 { dwords[index] }

    /// Sets bits directly, as hardware does for RO and HwInit fields whose value it computes
    /// (First VF Offset changing with NumVFs, say). Never used for software writes.
    public mutating func hardwareSet(offset: Int, size: Int, value: UInt32) {
        precondition(ConfigWrite.byteEnables(offset: offset, size: size) != nil && offset + size <= self.size)
        let shift = UInt32(8 * (offset & 3))
        let mask: UInt32 = (size == 4 ? ~0 : (1 << UInt32(8 * size)) - 1) << shift
        dwords[offset / 4] = (dwords[offset / 4] & ~mask) | ((value << shift) & mask)
    }

    /// Sets one field's bits to ones, as hardware does when it detects the event an RW1C status
    /// bit records (PCIe Base 4.0 §6.2.3.2); software clears them by writing ones. A function
    /// without the register or field is left as it is.
    public mutating func signal(_ field: String, in register: String) {
        guard let f = self.register(named: register)?.field(field) else { return }
        set(field, in: register, to: f.mask >> UInt32(f.lsb))
    }

    /// The value of one field, by register and field name.
    public func value(of field: String, in register: String) -> UInt32? {
        guard let r = self.register(named: register), let f = r.field(field) else { return nil }
        return value(of: f, in: r)
    }

    /// Sets one field to `value` as hardware does (link training, events); other fields keep
    /// theirs. A function without the register or field is left as it is.
    public mutating func set(_ field: String, in register: String, to value: UInt32) {
        guard let r = self.register(named: register), let f = r.field(field) else { return }
        let old = read(offset: r.offset, size: r.size)!
        hardwareSet(offset: r.offset, size: r.size, value: (old & ~f.mask) | ((value << UInt32(f.lsb)) & f.mask))
    }

    /// The register at `offset`, if one starts there.
    public func register(at offset: Int) -> ConfigRegister? { registers.first { $0.offset == offset } }

    /// The register named `name` (first match).
    public func register(named name: String) -> ConfigRegister? { registers.first { $0.name == name } }

    /// A field's current value.
    public func value(of field: RegisterField, in register: ConfigRegister) -> UInt32 {
        (read(offset: register.offset, size: register.size)! & field.mask) >> UInt32(field.lsb)
    }

    /// Masks of one register (for tests and fuzzers): bits of each access kind.
    public func masks(of register: ConfigRegister) -> (readOnly: UInt32, writable: UInt32, clearable: UInt32, reserved: UInt32) {
        let width: UInt32 = register.size == 4 ? ~0 : (1 << UInt32(8 * register.size)) - 1
        let covered = register.fields.reduce(UInt32(0)) { $0 | $1.mask }
        return (register.mask([.ro, .hwInit]), register.mask([.rw]), register.mask([.rw1c]),
                register.mask([.rsvdP, .rsvdZ]) | (width & ~covered))
    }

    /// `lspci -xxxx` hex: 16 bytes a line, `offset: xx xx ...`, lower-case hex.
    public func hexDump(bytes count: Int? = nil) -> String {
        let count = count ?? size
        var out = ""
        for line in stride(from: 0, to: count, by: 16) {
            out += String(format3(line)) + ":"
            for byte in line..<(line + 16) {
                out += " " + hex2((dwords[byte / 4] >> UInt32(8 * (byte & 3))) & 0xFF)
            }
            out += "\n"
        }
        return out
    }
}

private func hex2(_ value: UInt32) -> String {
    let s = String(value, radix: 16)
    return s.count == 1 ? "0" + s : s
}

private func format3(_ value: Int) -> String {
    let s = String(value, radix: 16)
    return s.count < 2 ? String(repeating: "0", count: 2 - s.count) + s : s
}
