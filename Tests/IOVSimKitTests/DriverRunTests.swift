import Foundation
import Host
import IOVSimKit
import NIC
import PCIe
import RTL
import Testing

/// The shipped models run as a hypervisor engineer would watch them: the VMM sets up, each VM's
/// VF drivers come up by the igbvf/ixgbevf sequences on the host CPU, frames go from the wire
/// to the VMs, between the VMs inside the NIC and from the VMs to the wire, and every frame
/// addressed to a VM is accounted for.
@Suite("Drivers and traffic on the shipped models", .serialized)
struct DriverRunTests {
    @Test("1,000,000 clocks with wire, VM-to-VM and VM-to-wire traffic: per VM, offered = delivered + dropped with a reason, none in flight, every delivered frame byte-identical to the one sent, nothing leaked, the guard silent",
          arguments: ["i82576.toml", "i82599.toml"])
    func accounting(_ model: String) throws {
        var options = Runner.Options()
        options.cycles = 1_000_000
        let summary = try Runner.run(file: Repository.model(model), options: options)
        #expect(summary.guardViolations == 0, "\(summary.host)")
        #expect(summary.host.contains("guard: no DMA write outside its VM's pages"))
        #expect(!summary.host.contains { $0.hasPrefix("note: ") && $0.contains("driver") }, "every VF driver came up: \(summary.host)")
        let file = try ModelLoader.load(path: Repository.model(model))
        for vm in file.vm ?? [] {
            var offered: UInt64 = 0, delivered: UInt64 = 0
            for function in vm.functions {
                let a = try #require(summary.accounts[function], "\(function) has a driver and an account")
                #expect(a.offered == a.delivered + a.dropped, "\(function): offered \(a.offered) = delivered \(a.delivered) + dropped \(a.dropped)")
                #expect(a.inFlight == 0, "\(function): \(a.inFlight) frames still in flight after the traffic ended")
                #expect(a.corrupted == 0 && a.leaked == 0, "\(function): \(a.corrupted) corrupted, \(a.leaked) leaked")
                #expect(a.delivered > 0, "\(function) received frames")
                offered += a.offered
                delivered += a.delivered
            }
            let line = try #require(summary.vms.first { $0.hasPrefix("\(vm.name): ") })
            #expect(line.contains("offered \(offered) = \(delivered) delivered + "), "\(line)")
            // Each drop in the line carries its stage and reason.
            if offered > delivered { #expect(line.contains(" dropped (") && line.contains(": "), "\(line)") }
            #expect(line.contains("+ 0 in flight") && line.hasSuffix("0 leaked, 0 corrupted"), "\(line)")
            #expect(!line.contains("IOTLB: no lookups") && line.contains("; 0 faults;"), "\(line)")
        }
        // Every kind of traffic moved: VM to VM looped inside the port, VMs to the wire.
        let port0 = try #require(summary.nic.first { $0.hasPrefix("nic0.port0:") })
        #expect(!port0.contains("tx: 0 to the wire") || model == "i82576.toml", "\(port0)")
        #expect(!port0.contains(", 0 looped back"), "\(port0)")
        #expect(summary.vms.contains { !$0.contains(", 0 to the wire)") }, "\(summary.vms)")
    }

    @Test("the driver sequences in the TLP log and the VCD: VF reset, mailbox exchange, ring set-up, then the first frame the VF writes into its VM",
          arguments: ["i82576.toml", "i82599.toml"])
    func sequences(_ model: String) throws {
        let log = temporaryPath("drivers.log"), vcd = temporaryPath("drivers.vcd")
        defer { for p in [log, vcd] { try? FileManager.default.removeItem(atPath: p) } }
        var options = Runner.Options()
        options.cycles = 100_000
        options.tlpLog = log
        options.vcd = vcd
        options.signals = ["top.vm1.*", "top.cpu.*", "top.nic0.pf0.driver.*"]
        var seen: Platform?
        options.clockObserver = { platform, _ in seen = platform }
        _ = try Runner.run(file: Repository.model(model), options: options)
        let platform = try #require(seen)
        let vf0 = try #require(platform.state().functions.first { $0.name == "nic0.pf0.vf0" })
        let bar0 = try #require(vf0.ranges.first { $0.label == "VF BAR0" }).base
        let family = try #require(platform.nics["nic0"]).registers.ports[0].map.family
        let view = VFRegisterWindow.viewOffsets(family: family)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        /// The first line where `kind` to VF 0's BAR0 + `offset` arrives at the VF.
        func first(_ kind: String, _ offset: Int) -> Int? {
            let address = "addr=0x\(String(bar0 + UInt64(offset), radix: 16)) "
            return lines.firstIndex { $0.contains(" nic0 link->pf0.vf0 \(kind) ") && $0.contains(address) }
        }
        let reset = try #require(first("MWr", view["CTRL"]!), "CTRL.RST written")
        let message = try #require(first("MWr", view["MBMEM"]!), "VF_RESET written into the mailbox memory")
        let poll = try #require(first("MRd", view["MAILBOX"]!), "the mailbox polled")
        let rdbal = try #require(VFRegisterWindow.queueRegisterOffset("RDBAL", queue: 0, family: family))
        let ring = try #require(first("MWr", rdbal), "RDBAL written")
        let rid = "req=\(BDF(vf0.rid)) "
        let frame = try #require(lines.firstIndex { $0.contains(" rc rp0->memory MWr ") && $0.contains(rid) }, "VF 0 writes a frame into vm1")
        #expect(reset < poll && poll < message && message < ring && ring < frame, "reset \(reset), mailbox \(poll)/\(message), rings \(ring), first frame \(frame)")
        // The PF answered over its mailbox between the VF's message and its ring set-up.
        let pfMailbox = lines[message..<ring].contains { $0.contains(" nic0 link->pf0 MRd ") }
        #expect(pfMailbox, "the PF read the message")

        // The VCD: the driver's phases in order, frames taken, the PF's answers.
        let file = VCDFile(try String(contentsOfFile: vcd, encoding: .utf8))
        let phases = try #require(file.changes["top.vm1.nic0.pf0.vf0.driver.phase"]).map(\.value)
        #expect(phases == [0, 1, 2, 3, 4, 5], "probe, reset, mailbox, rings, running: \(phases)")
        #expect((file.changes["top.vm1.nic0.pf0.vf0.driver.rx_frames"]?.last?.value ?? 0) > 0)
        #expect((file.changes["top.nic0.pf0.driver.mailbox_answered"]?.last?.value ?? 0) >= 2, "VF_RESET of each VF on the port")
    }

    @Test("a platform nobody holds goes away whole, host memory and drivers included: every program on the host CPU ends, no closure holds the simulator", arguments: ["i82576.toml", "i82599.toml"])
    func platformGoesAway(_ model: String) throws {
        weak var weakPlatform: Platform?
        weak var weakCPU: HostCPU?
        weak var weakDriver: VFDriver?
        weak var weakSimulator: Simulator?
        weak var weakMemory: HostMemory?
        do {
            let platform = try Platform(model: try ModelLoader.load(path: Repository.model(model)))
            platform.bringUp()
            platform.simulator.run(clocks: 50_000)
            #expect(platform.cpu.running > 0, "the drivers' loops and the mailbox services are running")
            #expect(platform.vfDrivers.values.allSatisfy { $0.phase == .running })
            weakPlatform = platform
            weakCPU = platform.cpu
            weakDriver = platform.vfDrivers.values.first
            weakSimulator = platform.simulator
            weakMemory = platform.host?.memory
        }
        // (Compared as flags: a failing #expect on the objects themselves would print their graphs.)
        let freed = [weakPlatform == nil, weakCPU == nil, weakDriver == nil, weakSimulator == nil, weakMemory == nil]
        #expect(freed == [true, true, true, true, true], "platform, CPU, a VF driver, simulator, host memory freed: \(freed)")
    }
}
