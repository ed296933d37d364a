/// How software may access a register field (PCIe Base 4.0 §7.4 "Configuration Register
/// Types").
public enum AccessKind: String, Sendable, Equatable {
    /// Read-only: hardware sets it, writes are ignored.
    case ro = "RO"
    /// Read-write.
    case rw = "RW"
    /// Read, write 1 to clear; writing 0 has no effect.
    case rw1c = "RW1C"
    /// Initialised by hardware or firmware (here: the model file), read-only afterwards.
    case hwInit = "HwInit"
    /// Reserved, preserve: reads 0; hardware ignores writes.
    case rsvdP = "RsvdP"
    /// Reserved, zero: reads 0; hardware ignores writes.
    case rsvdZ = "RsvdZ"

    /// Bits software writes directly.
    public var isWritable: Bool { self == .rw }
    /// Bits whose stored value (not zero) is what reads return.
    public var holdsValue: Bool { self != .rsvdP && self != .rsvdZ }
}
