import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// Config space between the endpoint, which applies a config write in its tick, and the NIC's
/// logic, which asks it whether a function may master the bus, its MSI-X control, its routing
/// ID (`DeviceFunctions`): a change made in a clock reaches the NIC's logic in the next,
/// whichever ticks first (DESIGN.md §3).
@Suite("Config space between a config write and the NIC's logic within a clock")
struct ConfigClockTests {
    final class Side: Component {
        let path: String
        var plan: [UInt64: () -> Void] = [:]
        init(_ path: String) { self.path = path }
        func tick(_ simulator: Simulator) { plan[simulator.now]?() }
    }

    @Test("Bus Master Enable written in clock 10 (the 82599's PF 0): the DMA engine's view has it from clock 11",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func busMasterNextClock(order: Simulator.TickOrder) throws {
        let (_, device) = try Repository.device("i82599.toml")
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        let endpoint = Endpoint(path: "top.ep", device: device)
        endpoint.clock = sim
        let software = Side("top.ep.config"), hardware = Side("top.nic.dma")
        sim.add(software)
        sim.add(hardware)
        let pf0 = SRIOVDevice.FunctionID.pf(0), before = endpoint.functionsVersion
        var seen: [(busMaster: Bool, version: UInt64)] = []
        // Command: Memory Space Enable and Bus Master Enable (PCIe Base 4.0 §7.5.1.1.3).
        software.plan[10] = { _ = endpoint.device.configWrite(rid: endpoint.routingID(pf0), offset: 4, size: 2, value: 0x0006) }
        for clock: UInt64 in [10, 11] {
            hardware.plan[clock] = { seen.append((endpoint.busMasterEnabled(pf0), endpoint.functionsVersion)) }
            sim.wake(hardware, at: clock)
        }
        sim.wake(software, at: 10)
        sim.run(clocks: 20)
        #expect(seen.map(\.busMaster) == [false, true], "Bus Master Enable as the NIC's logic saw it at clocks 10 and 11")
        #expect(seen.first?.version == before && seen.last?.version != before)
        // Between clocks the device is as written.
        #expect(endpoint.busMasterEnabled(pf0) && endpoint.functionsVersion == endpoint.configVersion)
    }
}
