import Host
import NIC
import PCIe

extension Platform {
    /// The drivers, once the VMM has set up: each PF's mailbox service (interrupt-driven, on the
    /// host's own vectors) and a VF driver in each VM for each VF assigned to it; then the clock
    /// runs until every VF driver is up (or gave up), at most `limit` clocks.
    func startDrivers(limit: UInt64 = 5_000_000) {
        guard let vmm else { return }
        for name in nics.keys.sorted() {
            let endpoint = endpoints[name]!
            for (p, pf) in endpoint.device.pfs.enumerated() where pf.vfEnable {
                guard let driver = pfProgramDriver(device: name, pf: p) else { continue }
                let vfs = pool(device: name, pf: p, vf: nil) ?? 0
                let service = PFMailboxService<ProgramRegisters>(driver: driver, pfMAC: macAddress(device: name, pf: p), vfMACs: (0..<vfs).map { macAddress(device: name, pf: p, vf: $0) })
                let vector = UInt8(0x30 + p), rid = endpoint.device.rid(ofPF: p)
                let program = PFMailboxProgram(service: service, cpu: cpu, vector: vector)
                let msix = model.device.pf[p].msix
                let table = msix.flatMap { m in
                    pf.definition.header.bars.first { $0.index == m.tableBAR }.map { $0.base(in: pf.config, at: Type0Header.barOffset + 4 * m.tableBAR) + UInt64(m.tableOffset) }
                }
                let entry = vmm.interruptEntry(requester: rid, vector: vector, destination: VMM.hostDestination)
                mailboxServices["\(name).pf\(p)"] = program
                cpu.start("\(name).pf\(p) driver: mailbox service") {
                    await program.run(rid: rid, msixTable: table, msixCapability: msix?.offset, entry: entry)
                }
            }
        }
        for vm in model.vm ?? [] {
            guard let machine = vmm.machines[vm.name] else { continue }
            for (k, text) in vm.functions.enumerated() {
                guard let function = FunctionName(text, model: model), let vf = function.vf, let endpoint = endpoints[function.device],
                      let nic = nics[function.device], pool(device: function.device, pf: function.pf, vf: vf) != nil,
                      let rid = rid(device: function.device, pf: function.pf, vf: vf), let msix = model.device.pf[function.pf].sriov?.vf.msix,
                      let bar0 = endpoint.device.pfs[function.pf].vfAperture(vf: vf, bar: 0),
                      let table = endpoint.device.pfs[function.pf].vfAperture(vf: vf, bar: msix.tableBAR) else {
                    hostNotes.append("\(vm.name): no VF driver for \(text) (not a VF with a pool, BAR0 and MSI-X)")
                    continue
                }
                let setup = VFDriver.Setup(name: "\(vm.name): \(text)", rid: rid, vf: vf, map: nic.registers.ports[function.pf].map, bar0: bar0.base,
                                           msixTable: table.base + UInt64(msix.tableOffset), msixCapability: msix.offset)
                let driver = VFDriver(setup, cpu: cpu, memory: GuestMemory(vmm: vmm, vm: vm.name), destination: machine.destination,
                                      queueVector: UInt8(0x40 + 2 * k), mailboxVector: UInt8(0x41 + 2 * k))
                driver.forward = vm.forward == "macswap"
                vfDrivers[text] = driver
                cpu.start("\(vm.name): \(text) driver") { await driver.run(interruptEntry: vmm.interruptEntry) }
            }
        }
        startVMMEvents()
        runUntil(limit: limit) { !vfDrivers.values.contains { $0.phase != .running && $0.phase != .failed } }
        for (name, driver) in vfDrivers.sorted(by: { $0.key < $1.key }) where driver.phase != .running {
            hostNotes.append("\(name): the VF driver is not up (\(driver.failure ?? "still in \(driver.phase)"))")
        }
    }

    /// The model's VMM events as one program on the host CPU: at each event's clock, the guest
    /// page leaves the VM's domain, then the IOTLB invalidation asked for, by MMIO to the
    /// IOMMU's registers (or none).
    func startVMMEvents() {
        guard let vmm else { return }
        let events = (model.vm ?? []).flatMap { vm in (vm.events ?? []).map { (vm: vm.name, event: $0) } }.sorted { $0.event.clock < $1.event.clock }
        guard !events.isEmpty else { return }
        let cpu = self.cpu!, simulator = self.simulator
        cpu.start("vmm: events") { [unowned self] in
            for (vm, event) in events {
                if event.clock > simulator.now { await cpu.delay(event.clock - simulator.now) }
                if cpu.halted { return }
                let guestPage = UInt64(event.unmap)
                var line = "clock \(simulator.now): \(vm) guest page \(guestPage) unmapped"
                do {
                    if let page = try vmm.unmap(vm: vm, guestPage: guestPage) { line += " (host page 0x\(String(page << 12, radix: 16)) freed)" }
                } catch {
                    line += ": \(error)"
                }
                if let scope = VMM.Invalidation(rawValue: event.invalidate ?? "page") {
                    let done = await vmm.invalidateIOTLB(scope, vm: vm, guestPage: guestPage,
                                                         write: { cpu.store(IOMMURegisters.base + UInt64($0), $1) },
                                                         read: { await cpu.load(IOMMURegisters.base + UInt64($0)) })
                    if cpu.halted { return }
                    line += done ? "; \(scope == .page ? "page-selective" : scope == .domain ? "domain" : "global") IOTLB invalidation" : "; the IOTLB invalidation did not complete"
                    // The ATCs of the VM's functions with ATS (intel-iommu: after the IOTLB).
                    if vmm.deviceTLBs.contains(where: { vmm.assignment[$0] == vm }) {
                        let late = await vmm.invalidateDeviceTLBs(vm: vm, guestPage: guestPage, write: { cpu.store(IOMMURegisters.base + UInt64($0), $1) },
                                                                  read: { await cpu.load(IOMMURegisters.base + UInt64($0)) })
                        if cpu.halted { return }
                        line += late.isEmpty ? "; device-TLB invalidation completed"
                            : "; device-TLB invalidation not completed by \(late.map { BDF($0).description }.joined(separator: ", ")) (its ATC may still translate it)"
                    }
                } else {
                    line += "; no IOTLB invalidation (the IOTLB may still translate it)"
                }
                vmmEvents.append(line)
            }
        }
    }

    /// The model's traffic from now: the pcaps and generators on the wires (`frames`, made before
    /// bring-up) and what the VMs send.
    func startTraffic(_ frames: NICTraffic) throws {
        VMTraffic.start(self)
        try frames.start()
    }

    /// The model's own traffic (its generators and `[[traffic]]`) for a caller that drives the
    /// simulator itself (a benchmark): call before `bringUp()`, and what it returns after it.
    public func prepareModelTraffic() throws -> () throws -> Void {
        let frames = try NICTraffic(platform: self, pcapIn: [])
        return { [unowned self] in try self.startTraffic(frames) }
    }

    /// Stops every program on the host CPU (the end of a run): the drivers leave their loops,
    /// nothing stays suspended.
    public func stopDrivers() {
        for driver in vfDrivers.values { driver.stopped = true }
        for service in mailboxServices.values { service.stopped = true }
        cpu.halt()
    }
}
