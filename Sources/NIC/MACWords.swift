/// A MAC address as the 82576 and 82599 hold it in two dwords — RAL/RAH (82576 §8.10.13, 82599
/// §8.2.3.7.9), and words 1-2 of a mailbox message, where igbvf/ixgbevf copy the six octets:
/// octet 0 (the first on the wire) in bits 7:0 of the low dword, octets 4-5 in bits 15:0 of
/// the high one. A MAC as a number has octet 0 in bits 47:40.
public enum MACWords {
    public static func encode(_ mac: UInt64) -> (low: UInt32, high: UInt32) {
        let o = (0..<6).map { UInt32(mac >> UInt64(40 - 8 * $0) & 0xFF) }
        return (o[0] | o[1] << 8 | o[2] << 16 | o[3] << 24, o[4] | o[5] << 8)
    }

    /// The six octets in wire order, as a frame carries them.
    public static func octets(_ mac: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: mac >> UInt64(40 - 8 * $0)) } }

    public static func decode(low: UInt32, high: UInt32) -> UInt64 {
        [low, low >> 8, low >> 16, low >> 24, high, high >> 8].reduce(0) { $0 << 8 | UInt64($1 & 0xFF) }
    }

    /// `02:00:00:00:00:01`.
    public static func text(_ mac: UInt64) -> String {
        octets(mac).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    /// A MAC written as six hex octets separated by colons; nil for anything else.
    public static func parse(_ text: String) -> UInt64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var mac: UInt64 = 0
        for part in parts {
            guard (1...2).contains(part.count), let octet = UInt8(part, radix: 16) else { return nil }
            mac = mac << 8 | UInt64(octet)
        }
        return mac
    }
}
