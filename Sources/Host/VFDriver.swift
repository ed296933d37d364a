import NIC
import PCIe
import RTL

/// A VM's driver for its VF, as a program on the host CPU, following Linux igbvf (82576) and
/// ixgbevf (82599) (sriov-facts §3.3): probe (bus master, MSI-X through the VMM), reset (CTRL.RST,
/// wait for the mailbox's RSTD), VF_RESET over the mailbox to learn its MAC and become clear to
/// send, interrupt causes mapped (IVAR) and throttled (EITR), one Rx and one Tx ring in guest
/// memory with 2 KiB buffers, then the NAPI-like loop: wait for the queue's vector (or the
/// watchdog), take received frames by DD, give their buffers back (RDT), reclaim sent
/// descriptors, post what the VM has to send (TDT).
public final class VFDriver {
    /// Where the driver is, for traces (a small number in the VCD).
    public enum Phase: UInt64, Sendable {
        case idle = 0, probe, reset, mailbox, rings, running, failed
    }

    public struct Setup {
        public var name: String
        public var rid: UInt16
        /// Function number (`vf`) within its PF, and the PF's register map (field definitions).
        public var vf: Int
        public var map: RegisterMap
        public var bar0: UInt64
        /// Where the function's MSI-X table is (VF BAR3 + table offset) and its capability.
        public var msixTable: UInt64
        public var msixCapability: Int
        public var rxDescriptors = 256
        public var txDescriptors = 256
        /// Least time between two interrupts of a vector (EITR), microseconds.
        public var interruptMicroseconds = 10
        /// The watchdog: the loop runs at least this often without an interrupt (clocks).
        public var watchdogClocks: UInt64 = 25_000

        public init(name: String, rid: UInt16, vf: Int, map: RegisterMap, bar0: UInt64, msixTable: UInt64, msixCapability: Int) {
            self.name = name
            self.rid = rid
            self.vf = vf
            self.map = map
            self.bar0 = bar0
            self.msixTable = msixTable
            self.msixCapability = msixCapability
        }
    }

    public let setup: Setup
    let cpu: HostCPU
    let memory: GuestMemory
    let destination: UInt32
    /// Guest vectors: the queue pair's and the mailbox's (ixgbevf's two MSI-X vectors).
    public let queueVector: UInt8, mailboxVector: UInt8

    public private(set) var phase: Phase = .idle
    public private(set) var failure: String?
    /// The MAC the PF gave in its VF_RESET reply.
    public private(set) var mac: UInt64 = 0
    public private(set) var receivedFrames: UInt64 = 0, receivedBytes: UInt64 = 0
    public private(set) var sentFrames: UInt64 = 0, sentBytes: UInt64 = 0
    /// Frames the VM wanted to send that did not fit in a 2 KiB buffer.
    public private(set) var oversizeSends: UInt64 = 0
    public private(set) var interrupts: UInt64 = 0, watchdogRuns: UInt64 = 0
    /// Called with every frame the VM takes from its Rx ring, and the clock.
    public var received: ((EthernetFrame, UInt64) -> Void)?
    /// Called with every frame the driver puts on its Tx ring, and the clock.
    public var posted: ((EthernetFrame, UInt64) -> Void)?
    /// What the VM will send: sources of frames, each in the order of the clocks they may go
    /// from, with its next frame drawn and how many it has left after that.
    var sources: [(head: (frame: EthernetFrame, due: UInt64), left: Int, next: () -> (EthernetFrame, UInt64)?)] = []
    /// A frame's bytes taken from buffers before its EOP.
    var partial: [UInt8] = []
    public var stopped = false
    /// The VM sends every frame it receives back out of this VF with destination and source
    /// swapped (testpmd's macswap forwarding: a reflector, the classic SR-IOV benchmark guest).
    public var forward = false
    /// Received frames waiting to go back out (forwarding), ahead of the VM's own traffic.
    var forwarding: [EthernetFrame] = []
    /// Frames forwarding had to drop because the Tx ring was full (as testpmd frees what
    /// rte_eth_tx_burst did not take).
    public private(set) var forwardDrops: UInt64 = 0

    static let bufferBytes: UInt64 = 2048

    public init(_ setup: Setup, cpu: HostCPU, memory: GuestMemory, destination: UInt32, queueVector: UInt8, mailboxVector: UInt8) {
        self.setup = setup
        self.cpu = cpu
        self.memory = memory
        self.destination = destination
        self.queueVector = queueVector
        self.mailboxVector = mailboxVector
    }

    /// The VM sends `frames` frames that `next` draws one at a time, each with the clock it may
    /// go from (not decreasing); they are drawn as they go, so a long run stays flat.
    public func send(frames: Int, _ next: @escaping () -> (EthernetFrame, UInt64)?) {
        guard frames > 0, let first = next() else { return }
        sources.append(((first.0, first.1), frames - 1, next))
    }

    /// Frames the VM has still to put on its ring.
    public var unsent: Int { sources.reduce(0) { $0 + 1 + $1.left } }

    /// The source whose next frame may go first, and when.
    var nextDue: (index: Int, due: UInt64)? {
        sources.indices.min { sources[$0].head.due < sources[$1].head.due }.map { ($0, sources[$0].head.due) }
    }

    /// Takes source `k`'s next frame and draws the one after it.
    func take(_ k: Int) -> EthernetFrame {
        let frame = sources[k].head.frame
        if sources[k].left > 0, let following = sources[k].next() {
            sources[k].head = (following.0, following.1)
            sources[k].left -= 1
        } else {
            sources.remove(at: k)
        }
        return frame
    }

    // MARK: Registers

    var is82576: Bool { setup.map.family == "82576" }
    func view(_ name: String) -> UInt64 { setup.bar0 + UInt64(VFRegisterWindow.viewOffsets(family: setup.map.family)[name]!) }
    /// RDT and TDT of queue 0, which the loop writes on every pass: looked up once.
    lazy var receiveTail = queue("RDT")
    lazy var transmitTail = queue("TDT")
    func queue(_ name: String) -> UInt64 { setup.bar0 + UInt64(VFRegisterWindow.queueRegisterOffset(name, queue: 0, family: setup.map.family)!) }
    func field(_ register: String, _ field: String) -> RegisterField {
        guard let f = setup.map.register(named: register)?.field(field) else { preconditionFailure("\(setup.map.family) \(register) has no field \(field)") }
        return f
    }
    func mailboxBit(_ name: String) -> UInt32 { field(is82576 ? "V2PMAILBOX[0]" : "VFMAILBOX[0]", name).mask }
    func write(_ address: UInt64, _ value: UInt32) { cpu.store(address, value) }
    func read(_ address: UInt64) async -> UInt32 { await cpu.load(address) }

    func fail(_ reason: String) {
        failure = reason
        phase = .failed
    }

    // MARK: The program

    /// The whole driver: probe, reset, rings, then the loop until `stopped`.
    public func run(interruptEntry: (UInt16, UInt8, UInt32) -> (address: UInt64, data: UInt32)?) async {
        phase = .probe
        guard await probe(interruptEntry), !cpu.halted else { return }
        phase = .reset
        guard await reset(), !cpu.halted else { return }
        phase = .rings
        let rx = await setUpReceive(), tx = await setUpTransmit()
        guard let rx, let tx, !cpu.halted else { return }
        phase = .running
        await loop(rx: rx, tx: tx)
    }

    /// pci_set_master, then pci_enable_msix: the VMM (VFIO) writes each vector's remappable
    /// entry into the physical table, the guest's config write enables MSI-X.
    func probe(_ interruptEntry: (UInt16, UInt8, UInt32) -> (address: UInt64, data: UInt32)?) async -> Bool {
        let command = await cpu.configRead(setup.rid, Type0Header.commandOffset, size: 2) ?? 0
        await cpu.configWrite(setup.rid, Type0Header.commandOffset, size: 2, command | 0x6)   // memory space, bus master
        for (entry, vector) in [queueVector, mailboxVector].enumerated() {
            guard let message = interruptEntry(setup.rid, vector, destination) else {
                fail("the interrupt remapping table is full")
                return false
            }
            let at = setup.msixTable + 16 * UInt64(entry)
            write(at, UInt32(truncatingIfNeeded: message.address))
            write(at + 4, UInt32(message.address >> 32))
            write(at + 8, message.data)
            write(at + 12, 0)                                                  // unmasked
        }
        guard await cpu.configWrite(setup.rid, setup.msixCapability + 2, size: 2, 0x8000) else {
            fail("the MSI-X enable was not completed")
            return false
        }
        return true
    }

    /// e1000_reset_hw_vf / ixgbevf_reset_hw_vf: CTRL.RST, wait for RSTD, then VF_RESET; the
    /// reply (ACK) carries the MAC. Then the causes: queue 0's Rx and Tx to the queue vector,
    /// the mailbox to its own, auto-clear, throttle, enable.
    func reset() async -> Bool {
        write(view("CTRL"), field(is82576 ? "PVTCTRL[0]" : "VFCTRL[0]", "RST").mask)
        guard await poll(view("MAILBOX"), until: { $0 & self.mailboxBit("RSTD") != 0 }) != nil else {
            fail("the reset did not complete (no RSTD)")
            return false
        }
        phase = .mailbox
        guard let reply = await exchange([PFMailboxService<ProgramRegisters>.Message.reset.rawValue], replyWords: 3),
              reply[0] & 0xFFFF == PFMailboxService<ProgramRegisters>.Message.reset.rawValue,
              reply[0] & PFMailboxService<ProgramRegisters>.ack != 0 else {
            fail("the PF did not acknowledge VF_RESET")
            return false
        }
        mac = MACWords.decode(low: reply[1], high: reply[2])
        let valid: UInt32 = 0x80
        write(view("IVAR0"), (valid | 0) | (valid | 0) << 8)                 // Rx and Tx of queue 0 -> MSI-X entry 0
        write(view("IVAR_MISC"), valid | 1)                                  // mailbox -> MSI-X entry 1
        let throttle = setup.map.register(named: "EITR[0]")!.fields[0]
        let units = is82576 ? setup.interruptMicroseconds : setup.interruptMicroseconds / 2
        write(view("EITR0"), throttle.setting(UInt32(units), in: 0))
        write(view("EIAC"), 0b11)
        write(view("EIMS"), 0b11)
        return true
    }

    /// Loads `address` until `done` holds (e1000_poll_for_*: a read, a pause, at most 2,000 times).
    func poll(_ address: UInt64, until done: (UInt32) -> Bool, tries: Int = 2000, pause: UInt64 = 250) async -> UInt32? {
        for _ in 0..<tries where !cpu.halted {
            let value = await read(address)
            if done(value) { return value }
            await cpu.delay(pause)
        }
        return nil
    }

    /// e1000_write_posted_mbx + e1000_read_posted_mbx (VF side): take VFU, copy the message,
    /// REQ; wait for PFACK; wait for PFSTS; take VFU, copy the reply, ACK.
    func exchange(_ message: [UInt32], replyWords: Int) async -> [UInt32]? {
        let mailbox = view("MAILBOX"), buffer = view("MBMEM")
        guard await claim() else { return nil }
        for (k, word) in message.enumerated() { write(buffer + 4 * UInt64(k), word) }
        write(mailbox, mailboxBit("REQ"))
        var status: UInt32 = 0
        guard let acked = await poll(mailbox, until: { $0 & self.mailboxBit("PFACK") != 0 }) else { return nil }
        status = acked
        if status & mailboxBit("PFSTS") == 0 {
            guard await poll(mailbox, until: { $0 & self.mailboxBit("PFSTS") != 0 }) != nil else { return nil }
        }
        guard await claim() else { return nil }
        var reply: [UInt32] = []
        for k in 0..<replyWords { reply.append(await read(buffer + 4 * UInt64(k))) }
        write(mailbox, mailboxBit("ACK"))
        return reply
    }

    /// e1000_obtain_mbx_lock_vf: write VFU, read it back.
    func claim() async -> Bool {
        let mailbox = view("MAILBOX")
        for _ in 0..<10 {
            write(mailbox, mailboxBit("VFU"))
            if await read(mailbox) & mailboxBit("VFU") != 0 { return true }
            await cpu.delay(100)
        }
        return false
    }

    struct Ring {
        let base: UInt64
        let buffers: UInt64
        let count: Int
        /// Next descriptor to look at (Rx: to clean; Tx: to reclaim) and next to use (Tx).
        var next = 0
        var use = 0
        var inUse = 0
        func descriptor(_ k: Int) -> UInt64 { base + 16 * UInt64(k) }
        func buffer(_ k: Int) -> UInt64 { buffers + VFDriver.bufferBytes * UInt64(k) }
    }

    /// A ring of `count` descriptors (128-byte aligned) and its 2 KiB buffers in guest memory.
    func allocateRing(_ count: Int) -> (base: UInt64, buffers: UInt64)? {
        guard let base = memory.allocate(UInt64(16 * count), alignment: 128), let buffers = memory.allocate(UInt64(count) * Self.bufferBytes) else {
            fail("guest memory for the rings ran out")
            return nil
        }
        return (base, buffers)
    }

    /// igbvf_configure_rx / ixgbevf_configure_rx_ring: base, length, 2 KiB one-buffer advanced
    /// descriptors with drop-enable, head and tail 0, thresholds, enable (and wait for it to
    /// read back set), then every buffer but one given to the hardware.
    func setUpReceive() async -> Ring? {
        let count = setup.rxDescriptors
        guard let region = allocateRing(count) else { return nil }
        let base = region.base, ring = Ring(base: base, buffers: region.buffers, count: count)
        for k in 0..<count { memory.store(ring.descriptor(k), AdvancedRxDescriptor(packetAddress: ring.buffer(k)).words) }
        write(queue("RDBAL"), UInt32(truncatingIfNeeded: base))
        write(queue("RDBAH"), UInt32(base >> 32))
        write(queue("RDLEN"), UInt32(16 * count))
        write(queue("SRRCTL"), field("SRRCTL[0]", "BSIZEPACKET").setting(UInt32(Self.bufferBytes >> 10), in: 0)
              | field("SRRCTL[0]", "DESCTYPE").setting(1, in: 0) | field("SRRCTL[0]", "DROP_EN").setting(1, in: 0))
        write(queue("RDH"), 0)
        write(queue("RDT"), 0)
        let enable = field("RXDCTL[0]", "ENABLE")
        write(queue("RXDCTL"), field("RXDCTL[0]", "PTHRESH").setting(8, in: 0) | field("RXDCTL[0]", "HTHRESH").setting(8, in: 0)
              | field("RXDCTL[0]", "WTHRESH").setting(1, in: 0) | enable.mask)
        guard await poll(queue("RXDCTL"), until: { $0 & enable.mask != 0 }, tries: 10, pause: 10) != nil else {
            fail("Rx queue 0 did not enable")
            return nil
        }
        write(queue("RDT"), UInt32(count - 1))
        return ring
    }

    func setUpTransmit() async -> Ring? {
        let count = setup.txDescriptors
        guard let region = allocateRing(count) else { return nil }
        let base = region.base
        write(queue("TDBAL"), UInt32(truncatingIfNeeded: base))
        write(queue("TDBAH"), UInt32(base >> 32))
        write(queue("TDLEN"), UInt32(16 * count))
        write(queue("TDH"), 0)
        write(queue("TDT"), 0)
        let enable = field("TXDCTL[0]", "ENABLE")
        write(queue("TXDCTL"), field("TXDCTL[0]", "PTHRESH").setting(8, in: 0) | field("TXDCTL[0]", "HTHRESH").setting(1, in: 0) | enable.mask)
        guard await poll(queue("TXDCTL"), until: { $0 & enable.mask != 0 }, tries: 10, pause: 10) != nil else {
            fail("Tx queue 0 did not enable")
            return nil
        }
        return Ring(base: base, buffers: region.buffers, count: count)
    }

    /// The interrupt handler and NAPI poll in one: runs on the queue vector, the mailbox
    /// vector, the watchdog, or when a frame is due to be sent.
    func loop(rx: Ring, tx: Ring) async {
        var rx = rx, tx = tx
        while !stopped {
            var wait = setup.watchdogClocks
            if let due = nextDue?.due {
                wait = due > cpu.simulator.now ? min(wait, due - cpu.simulator.now) : 1
                if tx.inUse >= tx.count - 1 { wait = setup.watchdogClocks }   // ring full: wait for DD
            }
            let vector = await cpu.interrupt(destination: destination, vectors: [queueVector, mailboxVector], timeout: wait)
            if stopped || cpu.halted { break }
            if vector == nil { watchdogRuns += 1 } else { interrupts += 1 }
            if vector == mailboxVector { _ = await read(view("MAILBOX")) }   // PF messages: read-to-clear, nothing to act on
            cleanReceive(&rx)
            reclaimTransmit(&tx)
            transmit(&tx)
        }
    }

    /// Takes every descriptor that is done (a frame may span buffers: it is handed on at its
    /// EOP), gives each buffer straight back, and moves RDT once.
    func cleanReceive(_ ring: inout Ring) {
        var taken = 0
        while taken < ring.count - 1 {
            let k = ring.next
            let status = memory.load(ring.descriptor(k) + 8), lengths = memory.load(ring.descriptor(k) + 12)
            guard status & AdvancedRxDescriptor.descriptorDone != 0 else { break }
            // A frame in one buffer is taken as loaded (appending it to an empty list copied it).
            let bytes = memory.load(ring.buffer(k), count: Int(lengths & 0xFFFF))
            if partial.isEmpty { partial = bytes } else { partial += bytes }
            memory.store(ring.descriptor(k), AdvancedRxDescriptor(packetAddress: ring.buffer(k)).words)
            ring.next = (k + 1) % ring.count
            taken += 1
            if status & AdvancedRxDescriptor.endOfPacket != 0 {
                receivedFrames += 1
                receivedBytes += UInt64(partial.count)
                let frame = EthernetFrame(partial)
                received?(frame, cpu.simulator.now)
                if forward, partial.count >= 12 { forwarding.append(Self.macSwapped(frame)) }
                partial = []
            }
        }
        if taken > 0 { write(receiveTail, UInt32((ring.next + ring.count - 1) % ring.count)) }
    }

    /// Reclaims the descriptors the hardware reported done (RS, then DD).
    func reclaimTransmit(_ ring: inout Ring) {
        while ring.inUse > 0, memory.load(ring.descriptor(ring.next) + 12) & AdvancedTxDescriptor.descriptorDone != 0 {
            ring.next = (ring.next + 1) % ring.count
            ring.inUse -= 1
        }
    }

    /// `frame` with its destination and source MACs exchanged.
    static func macSwapped(_ frame: EthernetFrame) -> EthernetFrame {
        var bytes = frame.bytes
        for k in 0..<6 { bytes.swapAt(k, k + 6) }
        return EthernetFrame(bytes)
    }

    /// Puts the frames being forwarded, then every due frame, on the ring while it has room,
    /// one descriptor each (RS on each), and moves TDT. Forwarded frames that find the ring
    /// full are dropped.
    func transmit(_ ring: inout Ring) {
        let now = cpu.simulator.now
        var count = 0, forwarded = 0
        while true {
            guard ring.inUse < ring.count - 1 else { break }
            let frame: EthernetFrame
            if forwarded < forwarding.count {
                frame = forwarding[forwarded]
                forwarded += 1
            } else if let next = nextDue, next.due <= now {
                frame = take(next.index)
            } else {
                break
            }
            guard UInt64(frame.bytes.count) <= Self.bufferBytes else {
                oversizeSends += 1
                continue
            }
            let k = ring.use
            memory.store(ring.buffer(k), bytes: frame.bytes)
            memory.store(ring.descriptor(k), AdvancedTxDescriptor.data(address: ring.buffer(k), length: frame.bytes.count, endOfPacket: true,
                                                                       reportStatus: true, payloadLength: frame.bytes.count))
            ring.use = (k + 1) % ring.count
            ring.inUse += 1
            sentFrames += 1
            sentBytes += UInt64(frame.bytes.count)
            self.posted?(frame, now)
            count += 1
        }
        forwardDrops += UInt64(forwarding.count - forwarded)
        forwarding.removeAll(keepingCapacity: true)
        if count > 0 { write(transmitTail, UInt32(ring.use)) }
    }
}
