import PCIe
import RTL

/// The network controller: its registers (behind the PFs' BARs) and one Ethernet port per PF,
/// as on the 82576 and 82599 (DESIGN.md §4). What a port does with frames is decided by the
/// registers the drivers wrote, read at the clock each frame is decided.
public final class NetworkController {
    public let path: String
    public let registers: NICRegisters
    public let ports: [EthernetPort]
    /// The DMA engine: queues, descriptor rings and the device's PCIe requests.
    public let dma: DMAEngine

    public struct Configuration: Sendable {
        public var map: RegisterMap
        public var ports: Int
        /// Line rate of every port, bits per second.
        public var bitsPerSecond: UInt64
        /// Clocks from a frame's last bit to the sorter's decision.
        public var sorterLatency: Int = 4
        /// Frames the receive FIFO between MAC and sorter holds.
        public var receiveFIFOFrames: Int = 64
        /// Bytes of the receive packet buffer per port, where sorted frames wait for their
        /// queue's descriptors (82576: 64 KB; 82599: 512 KB).
        public var receivePacketBuffer: Int = 0x10000
        /// Bytes of frames between Tx DMA and the wire per port (the Tx packet buffer).
        public var transmitPacketBuffer: Int = 0xA000
        /// The largest frame a Tx queue may send (82576: 9,728 bytes, 82599: 15.5 KiB).
        public var maxTransmitFrame: Int = 9728
        /// The PFs' and the VFs' MSI-X capabilities (where their tables are, how many vectors).
        public var pfMSIX: MSIXCapability?
        public var vfMSIX: MSIXCapability?
        public init(map: RegisterMap, ports: Int, bitsPerSecond: UInt64) {
            self.map = map
            self.ports = ports
            self.bitsPerSecond = bitsPerSecond
        }
    }

    /// A Function Level Reset of one of the device's functions (PCIe Base 4.0 §6.6.2): a VF's
    /// mailbox reset (VFLRE, its queues off, the PF told), its MSI-X table back to reset.
    public func functionLevelReset(_ function: SRIOVDevice.FunctionID) {
        registers.msix.reset(function)
        if case .vf(let p, let n) = function { registers.functionLevelReset(port: p, vf: n) }
    }

    public init(_ simulator: Simulator, path: String, configuration c: Configuration) {
        self.path = path
        let registers = NICRegisters(map: c.map, pfs: c.ports, msix: MSIXTables(pf: c.pfMSIX, vf: c.vfMSIX))
        registers.clock = simulator
        self.registers = registers
        let ports = (0..<c.ports).map { EthernetPort(simulator, path: "\(path).port\($0)", index: $0, registers: registers, configuration: c) }
        self.ports = ports
        dma = DMAEngine(simulator, path: "\(path).dma", registers: registers, ports: ports, transmitBufferBytes: c.transmitPacketBuffer,
                        maxTransmitFrame: c.maxTransmitFrame)
    }
}

/// One port: the receive MAC (frames from the wire at line rate), the L2 sorter, the transmit
/// switch, and the transmit MAC (frames to the wire at line rate). Pools' copies (from the wire
/// or looped back) go to `poolReceived`; each pool's statistics registers count them.
public final class EthernetPort {
    public let path: String
    public let index: Int
    public let pools: Int
    public let bitsPerSecond: UInt64
    let registers: NICRegisters
    /// Sorted copies for the DMA engine: (pool, frame), one clock after the sorter decided (the
    /// packet buffer takes one a clock). The sorter's copies and the transmit switch's looped
    /// ones share it, a clock's copies from the wire first (`push(_:rank:)`), whichever of the
    /// two stages ticked first.
    let arrivals: Channel<(Int, EthernetFrame)>
    /// Bytes of the Tx packet buffer freed (a frame left the wire, was looped back or dropped).
    let transmitFreed: Channel<Int>
    let receiveBufferCapacity: Int
    /// Bytes of frames from the DMA engine on their way to the wire, oldest first.
    var onWire = FIFO<Int>()
    public let receiveMAC: MACPort
    public let sorter: ReceiveSorter
    public let transmitter: TransmitStage
    public let transmitMAC: MACPort
    let transmitRequests: Channel<TransmitRequest>
    let wireEnd: ChannelSink<EthernetFrame>

    /// A pool got a copy: (pool, frame, clock, looped back from a local pool).
    public var poolReceived: ((Int, EthernetFrame, UInt64, Bool) -> Void)?
    /// A frame's last bit left on the wire.
    public var wireTransmitted: ((EthernetFrame, UInt64) -> Void)?
    /// Per pool: copies received from the wire and looped back.
    public private(set) var poolFrames: [UInt64]
    public private(set) var poolBytes: [UInt64]
    public private(set) var poolLooped: [UInt64]

    init(_ simulator: Simulator, path: String, index: Int, registers: NICRegisters, configuration c: NetworkController.Configuration) {
        self.path = path
        self.index = index
        self.registers = registers
        pools = c.map.pools
        bitsPerSecond = c.bitsPerSecond
        receiveBufferCapacity = c.receivePacketBuffer
        arrivals = Channel(simulator, path: "\(path).rxpb", capacity: 1 << 20, latency: 1)
        transmitFreed = Channel(simulator, path: "\(path).txpb", capacity: 1 << 20, latency: 1)
        poolFrames = Array(repeating: 0, count: pools)
        poolBytes = poolFrames
        poolLooped = poolFrames
        let received = Channel<EthernetFrame>(simulator, path: "\(path).rx", capacity: max(1, c.receiveFIFOFrames), latency: max(1, c.sorterLatency))
        receiveMAC = MACPort(simulator, path: "\(path).rxmac", bitsPerSecond: c.bitsPerSecond, output: received)
        sorter = ReceiveSorter(simulator, path: "\(path).sorter", input: received, pools: pools) { registers.filters(port: index).tables }
        transmitRequests = Channel<TransmitRequest>(simulator, path: "\(path).txq", capacity: 1 << 20, latency: 1)
        transmitter = TransmitStage(simulator, path: "\(path).txswitch", input: transmitRequests) { registers.filters(port: index) }
        sorter.tablesVersion = { registers.filtersVersion(port: index) }
        transmitter.filtersVersion = sorter.tablesVersion
        let wire = Channel<EthernetFrame>(simulator, path: "\(path).tx", capacity: 1 << 20, latency: 1)
        transmitMAC = MACPort(simulator, path: "\(path).txmac", bitsPerSecond: c.bitsPerSecond, output: wire)
        wireEnd = ChannelSink(simulator, path: "\(path).wire", input: wire)

        // The hooks below hold the port and the simulator uncounted (they run per frame): the
        // controller holds its ports, and the simulator its components, for their whole life.
        sorter.deliver = { [unowned(unsafe) self] pool, frame, clock in self.arrive(pool, frame, clock, looped: false) }
        transmitter.deliver = { [unowned(unsafe) self] pool, frame, clock in self.arrive(pool, frame, clock, looped: true) }
        transmitter.toWire = { [unowned(unsafe) self, unowned(unsafe) simulator] frame, clock in self.transmitMAC.offer(frame, atClock: clock, simulator: simulator) }
        transmitter.sent = { pool, frame, _ in
            registers.count(.goodPacketsTransmitted, port: index, pool: pool)
            registers.count(.goodOctetsTransmitted, port: index, pool: pool, UInt32(frame.size))
        }
        transmitter.spoofed = { pool, _ in registers.spoofEvent(port: index, pool: pool) }
        // The Tx packet buffer frees a DMA frame's bytes when it left the wire, or at once when
        // it does not go to the wire (looped back only, or dropped).
        transmitter.released = { [unowned(unsafe) self] request, toWire in
            if toWire { self.onWire.append(request.bufferBytes) } else if request.bufferBytes > 0 { self.transmitFreed.push(request.bufferBytes) }
        }
        wireEnd.take = { [unowned(unsafe) self] frame, clock in
            if let bytes = self.onWire.popFirst(), bytes > 0 { self.transmitFreed.push(bytes) }
            self.wireTransmitted?(frame, clock)
        }
    }

    func arrive(_ pool: Int, _ frame: EthernetFrame, _ clock: UInt64, looped: Bool) {
        guard pool < pools else { return }
        poolFrames[pool] += 1
        poolBytes[pool] += UInt64(frame.bytes.count)
        registers.count(.goodPacketsReceived, port: index, pool: pool)
        registers.count(.goodOctetsReceived, port: index, pool: pool, UInt32(frame.size))
        if frame.bytes.first.map({ $0 & 1 == 1 }) ?? false { registers.count(.multicastPacketsReceived, port: index, pool: pool) }
        if looped {
            poolLooped[pool] += 1
            registers.count(.loopbackPacketsReceived, port: index, pool: pool)
            registers.count(.loopbackOctetsReceived, port: index, pool: pool, UInt32(frame.size))
        }
        poolReceived?(pool, frame, clock, looped)
        arrivals.push((pool, frame), rank: looped ? 1 : 0)
    }

    /// A frame arrives from the wire no earlier than `clock` (line rate, in order).
    @discardableResult
    public func receive(_ frame: EthernetFrame, atClock clock: UInt64, simulator: Simulator) -> UInt64 {
        receiveMAC.offer(frame, atClock: clock, simulator: simulator)
    }

    /// `pool` sends `frame` without a Tx queue (a pcap aimed at a function, `--pcap-in
    /// FILE@nic0.pf0.vf1`): straight to the transmit switch.
    public func transmit(_ frame: EthernetFrame, fromPool pool: Int) -> Bool {
        transmitRequests.push(TransmitRequest(pool: pool, frame: frame), bytes: frame.size)
    }

    /// A frame a Tx queue of `pool` fetched, holding `bufferBytes` of the Tx packet buffer.
    func transmitFromQueue(_ frame: EthernetFrame, pool: Int, bufferBytes: Int) {
        transmitRequests.push(TransmitRequest(pool: pool, frame: frame, bufferBytes: bufferBytes), bytes: frame.size)
    }
}
