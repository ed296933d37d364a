/// One field of a configuration register: the single definition of its position, width,
/// access kind and reset value that decoding, writes, dumps, lspci-style views and trace
/// probes all use (DESIGN.md §4; STYLE.md "one definition per register field").
public struct RegisterField: Sendable, Equatable {
    /// Spec name, Swift case: `vfEnable`, `numVFs`, `firstVFOffset`.
    public let name: String
    /// Least significant bit within the register.
    public let lsb: Int
    public let width: Int
    public let access: AccessKind
    /// Value after reset (or the HwInit value from the model file).
    public let reset: UInt32
    /// The field's bits within its register, from `lsb` and `width` (kept: hardware models read
    /// fields per event).
    public let mask: UInt32

    public init(_ name: String, lsb: Int, width: Int = 1, _ access: AccessKind = .rw, reset: UInt32 = 0) {
        precondition(width >= 1 && lsb >= 0 && lsb + width <= 32, "field \(name): bits \(lsb)+\(width)")
        precondition(width == 32 || reset >> UInt32(width) == 0, "field \(name): reset 0x\(String(reset, radix: 16)) wider than \(width) bits")
        self.name = name
        self.lsb = lsb
        self.width = width
        self.access = access
        self.reset = reset
        mask = (width == 32 ? ~0 : (1 << UInt32(width)) - 1) << UInt32(lsb)
    }

    /// Checks that `fields` of register `register` do not overlap (a definition error, caught at
    /// start-up); returns the bits they cover.
    @discardableResult
    public static func checkDisjoint(_ fields: [RegisterField], register: String) -> UInt32 {
        var covered: UInt32 = 0
        for field in fields {
            precondition(covered & field.mask == 0, "fields of \(register) overlap at \(field.name)")
            covered |= field.mask
        }
        return covered
    }
}

/// A configuration register: a name, an absolute byte offset in the function's config space,
/// a size of 1, 2 or 4 bytes (naturally aligned), and its fields. Bits no field covers are
/// RsvdP: they read 0 and ignore writes.
public struct ConfigRegister: Sendable, Equatable {
    public let name: String
    public let offset: Int
    public let size: Int
    public let fields: [RegisterField]

    public init(_ name: String, offset: Int, size: Int, fields: [RegisterField]) {
        precondition([1, 2, 4].contains(size) && offset % size == 0, "register \(name) at 0x\(String(offset, radix: 16)) size \(size) is not naturally aligned")
        for field in fields {
            precondition(field.lsb + field.width <= size * 8, "field \(name).\(field.name) outside its \(size)-byte register")
        }
        RegisterField.checkDisjoint(fields, register: name)
        self.name = name
        self.offset = offset
        self.size = size
        self.fields = fields
    }

    /// A register that is one field of its whole width.
    public init(_ name: String, offset: Int, size: Int, _ access: AccessKind, reset: UInt32 = 0) {
        self.init(name, offset: offset, size: size, fields: [RegisterField(name, lsb: 0, width: size * 8, access, reset: reset)])
    }

    public func field(_ name: String) -> RegisterField? { fields.first { $0.name == name } }

    /// Reset value of the whole register.
    public var resetValue: UInt32 { fields.reduce(0) { $0 | ($1.access.holdsValue ? $1.reset << UInt32($1.lsb) : 0) } }
    /// Bits of a given kind.
    public func mask(_ kinds: Set<AccessKind>) -> UInt32 { fields.filter { kinds.contains($0.access) }.reduce(0) { $0 | $1.mask } }
}
