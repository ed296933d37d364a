/// One fault the remapping hardware recorded (VT-d §10.4.14, Fault Recording Register): the
/// faulting page (`address`, 4 KiB aligned), the requester (source-id), the reason and the
/// request type, as the 128-bit
/// register holds them: bits 63:12 FI, 79:64 SID, 103:96 FR, 126 T (1 = read), 127 F.
public struct FaultRecord: Sendable, Equatable, CustomStringConvertible {
    public let clock: UInt64
    public let sourceID: UInt16
    public let address: UInt64
    public let reason: SecondLevelTranslation.Reason
    public let isWrite: Bool

    public init(clock: UInt64, sourceID: UInt16, address: UInt64, reason: SecondLevelTranslation.Reason, isWrite: Bool) {
        self.clock = clock
        self.sourceID = sourceID
        self.address = address
        self.reason = reason
        self.isWrite = isWrite
    }

    /// The record as the register's two 64-bit halves (low, high).
    public var register: (low: UInt64, high: UInt64) {
        let type: UInt64 = isWrite ? 0 : 1 << 62
        let high: UInt64 = UInt64(sourceID) | UInt64(reason.rawValue) << 32 | type | 1 << 63
        return (address & ~UInt64(0xFFF), high)
    }

    /// Decodes a register's halves; nil when F (valid) is clear or the reason is unknown.
    public init?(register low: UInt64, _ high: UInt64, clock: UInt64 = 0) {
        guard high >> 63 == 1, let reason = SecondLevelTranslation.Reason(rawValue: UInt8(truncatingIfNeeded: high >> 32)) else { return nil }
        self.init(clock: clock, sourceID: UInt16(truncatingIfNeeded: high), address: low & ~0xFFF, reason: reason, isWrite: (high >> 62) & 1 == 0)
    }

    public var description: String {
        "clock \(clock): source-id 0x\(String(sourceID, radix: 16)) \(isWrite ? "write" : "read") at 0x\(String(address, radix: 16)): "
            + "\(reason) (0x\(String(reason.rawValue, radix: 16)))"
    }
}
