import NIC

/// The PF driver's mailbox service (Linux igb_msg_task / igb_rcv_msg_from_vf, ixgbe's
/// equivalent; sriov-facts §3.3): reset events first (VFLRE), then each VF's pending request.
/// A message is read with the register protocol (take PFU, copy the VF's 16 mailbox dwords,
/// ACK) and answered the same way (PFU, copy, STS); the reply is the request with ACK or NACK
/// and CTS. Policy, as the drivers apply it: nothing but VF_RESET before a VF has been reset
/// (no CTS yet); an untrusted VF may not take a MAC another function has, nor go promiscuous.
public struct PFMailboxService<Access: RegisterAccess> {
    /// igb message types (E1000_VF_*) and reply bits.
    public enum Message: UInt32, Sendable {
        case reset = 0x01, setMACAddress = 0x02, setMulticast = 0x03, setVLAN = 0x04, setLPE = 0x05, setPromiscuous = 0x06
    }
    public static var ack: UInt32 { 0x8000_0000 }
    public static var nack: UInt32 { 0x4000_0000 }
    public static var clearToSend: UInt32 { 0x2000_0000 }

    public var driver: PFDriver<Access>
    /// Each VF's MAC as the PF gave it (VF_RESET replies with it), and the PF's own.
    public var macs: [UInt64]
    public let pfMAC: UInt64
    /// `ip link set PF vf N trust on`.
    public var trusted: Set<Int> = []
    /// VFs that completed VF_RESET (the driver's VF_CTS flag).
    public private(set) var clearToSendVFs: Set<Int> = []
    /// What was handled: (VF, message word 0 of the request, word 0 of the reply).
    public private(set) var log: [(vf: Int, request: UInt32, reply: UInt32)] = []

    public init(driver: PFDriver<Access>, pfMAC: UInt64, vfMACs: [UInt64]) {
        self.driver = driver
        self.pfMAC = pfMAC
        macs = vfMACs
    }

    var is82576: Bool { driver.map.family == "82576" }
    func cause(_ vf: Int) -> (register: String, request: UInt32, ack: UInt32) {
        is82576 ? ("MBVFICR", 1 << UInt32(vf), 1 << UInt32(16 + vf)) : ("PFMBICR[\(vf / 16)]", 1 << UInt32(vf % 16), 1 << UInt32(16 + vf % 16))
    }
    func mailbox(_ vf: Int) -> String { is82576 ? "P2VMAILBOX[\(vf)]" : "PFMAILBOX[\(vf)]" }
    func memory(_ vf: Int, _ k: Int) -> String { is82576 ? "VMBMEM[\(16 * vf + k)]" : "PFMBMEM[\(16 * vf + k)]" }
    func bit(_ field: String) -> UInt32 { driver.map.register(named: mailbox(0))!.field(field)!.mask }

    /// One pass of the service: reset events, then requests. Returns how many messages it answered.
    @discardableResult
    public mutating func service() async -> Int {
        let resets = await driver.read(is82576 ? "VFLRE" : "VFLREC[0]")
        for vf in macs.indices where resets >> UInt32(vf) & 1 == 1 {
            clearToSendVFs.remove(vf)
            driver.write(is82576 ? "VFLRE" : "VFLREC[0]", 1 << UInt32(vf))   // write 1 to clear
        }
        var answered = 0
        var causes: [String: UInt32] = [:]                                  // each cause register read once
        for vf in macs.indices {
            let c = cause(vf)
            if causes[c.register] == nil { causes[c.register] = await driver.read(c.register) }
            guard causes[c.register]! & c.request != 0 else { continue }
            driver.write(c.register, c.request)
            let message = await read(vf)
            guard message[0] & (Self.ack | Self.nack) == 0 else { continue }   // already answered
            reply(vf, await handle(vf, message))
            answered += 1
        }
        return answered
    }

    /// e1000_read_mbx_pf: take PFU, copy the 16 dwords, ACK (which gives PFU back).
    mutating func read(_ vf: Int) async -> [UInt32] {
        driver.write(mailbox(vf), bit("PFU"))
        var words: [UInt32] = []
        for k in 0..<16 { words.append(await driver.read(memory(vf, k))) }
        driver.write(mailbox(vf), bit("ACK"))
        return words
    }

    /// e1000_write_mbx_pf: take PFU, copy, STS.
    mutating func reply(_ vf: Int, _ words: [UInt32]) {
        driver.write(mailbox(vf), bit("PFU"))
        for (k, word) in words.enumerated() { driver.write(memory(vf, k), word) }
        driver.write(mailbox(vf), bit("STS"))
    }

    /// The MAC in a message's words 1-2, and a MAC as those two words (igbvf copies its octets).
    static func mac(_ words: [UInt32]) -> UInt64 { MACWords.decode(low: words[1], high: words[2]) }

    static func words(_ mac: UInt64) -> [UInt32] {
        let w = MACWords.encode(mac)
        return [w.low, w.high]
    }

    /// The reply to `message` from VF `vf`, after acting on it.
    mutating func handle(_ vf: Int, _ message: [UInt32]) async -> [UInt32] {
        let type = message[0] & 0xFFFF
        if type == Message.reset.rawValue {
            // igb_vf_reset_msg: the VF's MAC back in its receive address, its pool's Rx and Tx on.
            driver.receiveAddress(driver.vfAddressEntry(vf), mac: macs[vf], pools: 1 << UInt64(vf))
            await driver.enablePool(vf)
            clearToSendVFs.insert(vf)
            let reply = [Message.reset.rawValue | Self.ack | Self.clearToSend] + Self.words(macs[vf])
            log.append((vf, message[0], reply[0]))
            return reply
        }
        var ok = clearToSendVFs.contains(vf)
        switch Message(rawValue: type) {
        case .setMACAddress where ok:
            let mac = Self.mac(message)
            let taken = mac == pfMAC || macs.enumerated().contains { $0.offset != vf && $0.element == mac }
            ok = mac != 0 && mac & 1 << 40 == 0 && (trusted.contains(vf) || !taken)
            if ok {
                macs[vf] = mac
                driver.receiveAddress(driver.vfAddressEntry(vf), mac: mac, pools: 1 << UInt64(vf))
            }
        case .setPromiscuous where ok:
            ok = trusted.contains(vf)
            if ok { await driver.poolOption(vf, "ROPE") }
        case .setMulticast, .setVLAN, .setLPE:
            break   // accepted once the VF is clear to send (filters for these come with the drivers)
        default:
            ok = false
        }
        let reply = message[0] & 0xFFFF | (ok ? Self.ack : Self.nack) | (clearToSendVFs.contains(vf) ? Self.clearToSend : 0)
        log.append((vf, message[0], reply))
        return [reply]
    }
}
