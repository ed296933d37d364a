/// One fault the remapping hardware recorded (VT-d §7.1, §10.4.14, Fault Recording Register):
/// the faulting page (`address`, 4 KiB aligned; for an interrupt request the interrupt index
/// in bits 63:48), the requester (source-id), the reason and the request type, as the 128-bit
/// register holds them: bits 63:12 FI, 79:64 SID, 103:96 FR, 126 T (1 = read), 127 F.
public struct FaultRecord: Sendable, Equatable, CustomStringConvertible {
    public let clock: UInt64
    public let sourceID: UInt16
    public let address: UInt64
    /// The fault reason code: DMA remapping (0x1-0xD) or interrupt remapping (0x20-0x26).
    public let code: UInt8
    public let isWrite: Bool

    public init(clock: UInt64, sourceID: UInt16, address: UInt64, code: UInt8, isWrite: Bool) {
        self.clock = clock
        self.sourceID = sourceID
        self.address = address
        self.code = code
        self.isWrite = isWrite
    }

    /// A DMA-remapping fault.
    public init(clock: UInt64, sourceID: UInt16, address: UInt64, reason: SecondLevelTranslation.Reason, isWrite: Bool) {
        self.init(clock: clock, sourceID: sourceID, address: address, code: reason.rawValue, isWrite: isWrite)
    }

    /// An interrupt-remapping fault (always a write; FI holds the interrupt index).
    public init(clock: UInt64, sourceID: UInt16, interruptIndex: UInt16, reason: InterruptRemapping.Reason) {
        self.init(clock: clock, sourceID: sourceID, address: UInt64(interruptIndex) << 48, code: reason.rawValue, isWrite: true)
    }

    public var reason: SecondLevelTranslation.Reason? { SecondLevelTranslation.Reason(rawValue: code) }
    public var interruptReason: InterruptRemapping.Reason? { code >= 0x20 ? InterruptRemapping.Reason(rawValue: code) : nil }

    /// The record as the register's two 64-bit halves (low, high).
    public var register: (low: UInt64, high: UInt64) {
        let type: UInt64 = isWrite ? 0 : 1 << 62
        let high: UInt64 = UInt64(sourceID) | UInt64(code) << 32 | type | 1 << 63
        return (address & ~UInt64(0xFFF), high)
    }

    /// Decodes a register's halves; nil when F (valid) is clear.
    public init?(register low: UInt64, _ high: UInt64, clock: UInt64 = 0) {
        guard high >> 63 == 1 else { return nil }
        self.init(clock: clock, sourceID: UInt16(truncatingIfNeeded: high), address: low & ~0xFFF, code: UInt8(truncatingIfNeeded: high >> 32),
                  isWrite: (high >> 62) & 1 == 0)
    }

    public var description: String {
        let what = interruptReason.map { "interrupt index \(address >> 48): \($0)" }
            ?? "\(isWrite ? "write" : "read") at 0x\(String(address, radix: 16)): \(reason.map { "\($0)" } ?? "reason")"
        return "clock \(clock): source-id 0x\(String(sourceID, radix: 16)) \(what) (0x\(String(code, radix: 16)))"
    }
}
