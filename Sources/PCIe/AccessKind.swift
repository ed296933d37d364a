/// How software may access a register field: the configuration register types of PCIe Base
/// 4.0 §7.4, and the two more the NIC's MMIO registers use (82576/82599 datasheets §8.1).
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
    /// Read to clear: a read returns the value and clears it (statistics counters).
    case rc = "RC"
    /// Write-only: reads return 0.
    case wo = "WO"

    /// Bits software writes directly.
    public var isWritable: Bool { self == .rw }
    /// Bits whose stored value (not zero) is what reads return.
    public var holdsValue: Bool { self != .rsvdP && self != .rsvdZ }
}
