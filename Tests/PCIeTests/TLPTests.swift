import PCIe
import RTL
import Testing

@Suite("TLP encoding")
struct TLPTests {
    @Test("header DWs as on the wire (PCIe Base 4.0 §2.2), and back")
    func roundTrip() throws {
        let write32 = TLP(kind: .memoryWrite, requesterID: 0x0310, tag: 7, length: 2, firstBE: 0xF, lastBE: 0xF, address: 0xC000_1000, payload: [1, 2])
        #expect(write32.encode() == [0x4000_0002, 0x0310_07FF, 0xC000_1000, 1, 2])
        let read64 = TLP(kind: .memoryRead, requesterID: 0x0100, tag: 0x21, length: 1, firstBE: 0xF, address: 0x40_0000_0040)
        #expect(read64.encode() == [0x2000_0001, 0x0100_210F, 0x0000_0040, 0x0000_0040])
        let cfg1 = TLP(kind: .configWrite1, requesterID: 0, tag: 3, firstBE: 0x3, targetID: 0x0480, register: 0x168, payload: [0x19])
        #expect(cfg1.encode() == [0x4500_0001, 0x0000_0303, 0x0480_0168, 0x19])
        let cpl = TLP(kind: .completion, requesterID: 0x0000, tag: 3, targetID: 0x0480, status: .unsupportedRequest, byteCount: 4)
        #expect(cpl.encode() == [0x0A00_0001, 0x0480_2004, 0x0000_0300])
        for tlp in [write32, read64, cfg1, cpl] {
            #expect(try TLP.decode(tlp.encode()).get() == tlp)
        }
    }

    @Test("malformed headers are errors, not crashes")
    func malformed() {
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([]).get() }
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([0x4000_0002, 0, 0]).get() }          // MWr missing data
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([0x0400_0002, 0, 0]).get() }          // CfgRd0 of 2 DWs
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([0x1F00_0001, 0, 0]).get() }          // reserved type
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([0x2000_0001, 0, 0, 0x40]).get() }    // 4-DW below 4 GiB
        #expect(throws: TLP.DecodeError.self) { try TLP.decode([0x0A00_0001, 0x0000_E004, 0]).get() } // reserved status
    }
}

@Suite("Port routing")
struct PortRoutingTests {
    typealias C = Concrete
    static func port(_ sec: UInt64, _ sub: UInt64, mem: (UInt64, UInt64) = (1, 0), ari: Bool = true, acs: UInt64 = 0) -> DownstreamPort<C> {
        DownstreamPort(secondaryBus: Bits(sec), subordinateBus: Bits(sub), memoryBase: Bits(mem.0), memoryLimit: Bits(mem.1),
                       prefetchableBase: Bits(1), prefetchableLimit: 0, ariForwarding: Bit(ari), acsControl: Bits(acs))
    }
    static func config(_ target: UInt64) -> RouteFields<C> {
        RouteFields(idRouted: 1, isCompletion: 0, isConfig: 1, targetID: Bits(target), address: 0, requesterID: 0, addressType: 0)
    }
    static func write(_ address: UInt64, from requester: UInt64, at: UInt64 = 0) -> RouteFields<C> {
        RouteFields(idRouted: 0, isCompletion: 0, isConfig: 0, targetID: 0, address: Bits(address), requesterID: Bits(requester), addressType: Bits(at))
    }
    static func route(_ tlp: RouteFields<C>, from ingress: UInt64, _ ports: [DownstreamPort<C>]) -> UInt64 {
        PortRouting.route(tlp, ingress: Bits(ingress), ports: ports).value
    }

    @Test("ID routing by bus range; without ARI Forwarding only Device 0 on the secondary bus")
    func idRouting() {
        let ports = [Self.port(3, 3, ari: false), Self.port(4, 6, ari: true)]
        #expect(Self.route(Self.config(0x0300), from: 0, ports) == 1)
        #expect(Self.route(Self.config(0x0310), from: 0, ports) == PortRouting.unsupportedRequest, "03:02.0 unreachable without ARI")
        #expect(Self.route(Self.config(0x0410), from: 0, ports) == 2, "04:02.0 reachable with ARI Forwarding")
        #expect(Self.route(Self.config(0x0500), from: 0, ports) == 2, "bus 5 inside [4, 6]")
        #expect(Self.route(Self.config(0x0700), from: 0, ports) == PortRouting.unsupportedRequest)
    }

    @Test("ACS: redirect, completion redirect, upstream forwarding, source validation, translation blocking, direct translated")
    func acs() {
        let windows = [(UInt64(0x1000_0000), UInt64(0x100F_FFFF)), (UInt64(0x2000_0000), UInt64(0x200F_FFFF))]
        func ports(_ acs: UInt64) -> [DownstreamPort<C>] { [Self.port(3, 3, mem: windows[0], acs: acs), Self.port(4, 4, mem: windows[1], acs: acs)] }
        let peer = Self.write(0x2000_0100, from: 0x0301)
        #expect(Self.route(peer, from: 1, ports(0)) == 2, "no ACS: straight to the peer port")
        #expect(Self.route(peer, from: 1, ports(0x04)) == PortRouting.upstream, "RR: redirected up")
        #expect(Self.route(Self.write(0x2000_0100, from: 0x0301, at: 2), from: 1, ports(0x44)) == 2, "DT lets translated requests go direct")
        #expect(Self.route(Self.write(0x2000_0100, from: 0x0301, at: 2), from: 1, ports(0x06)) == PortRouting.acsViolation, "TB blocks translated")
        #expect(Self.route(Self.write(0x2000_0100, from: 0x0501), from: 1, ports(0x01)) == PortRouting.acsViolation, "SV: bus 5 is not below port 0")
        #expect(Self.route(Self.write(0x1000_0100, from: 0x0301), from: 1, ports(0)) == PortRouting.unsupportedRequest, "own window, no UF")
        #expect(Self.route(Self.write(0x1000_0100, from: 0x0301), from: 1, ports(0x10)) == PortRouting.upstream, "own window with UF")
        #expect(Self.route(Self.write(0x3000_0000, from: 0x0301), from: 1, ports(0)) == PortRouting.upstream, "unclaimed: up")
        let completion = RouteFields<C>(idRouted: 1, isCompletion: 1, isConfig: 0, targetID: 0x0400, address: 0, requesterID: 0x0300, addressType: 0)
        #expect(Self.route(completion, from: 1, ports(0)) == 2)
        #expect(Self.route(completion, from: 1, ports(0x08)) == PortRouting.upstream, "CR redirects peer completions")
        // RR is a control of the ingress port (PCIe Base 4.0 §6.12.1.1): set only on the egress
        // port it does not redirect, set only on the ingress port it does.
        let ingressOnly = [Self.port(3, 3, mem: windows[0], acs: 0x04), Self.port(4, 4, mem: windows[1], acs: 0)]
        let egressOnly = [Self.port(3, 3, mem: windows[0], acs: 0), Self.port(4, 4, mem: windows[1], acs: 0x04)]
        #expect(Self.route(peer, from: 1, ingressOnly) == PortRouting.upstream)
        #expect(Self.route(peer, from: 1, egressOnly) == 2)
    }
}
