import Host
import PCIe
import Proofs
import RTL

extension Platform {
    /// The VMM's set-up after bring-up, when the platform has an IOMMU: each VM's memory from
    /// the host's (seeded, not contiguous), a domain per VM, the VM's functions assigned to it,
    /// and translation turned on by MMIO to the IOMMU's registers as intel-iommu does.
    func setUpHost() {
        guard let host else { return }
        let size = host.memory.size, reserved = UInt64(Platform.reservedHostMB / 2) << 20
        let vmm = VMM(memory: host.memory, pool: reserved..<(size - reserved), tableBase: size - reserved, tablePages: Int(reserved / HostMemory.pageSize),
                      seed: runSeed)
        let functions = state().functions
        for vm in model.vm ?? [] {
            do {
                let machine = try vmm.createVM(vm.name, bytes: UInt64(vm.memoryMB ?? 64) << 20)
                host.destinations[vm.name] = machine.destination
                vmm.sourceValidation[vm.name] = vm.sourceValidation.flatMap(VMM.SourceValidation.init(rawValue:))
                for name in vm.functions {
                    guard let rid = functions.first(where: { $0.name == name })?.rid else { continue }
                    let ats = (vm.ats ?? false) && atsControlOffset(rid) != nil
                    if vm.ats == true, !ats { hostNotes.append("\(vm.name): ats = true, but \(name) has no ATS capability: it sends untranslated requests only") }
                    try vmm.assign(requester: rid, to: vm.name, deviceTLB: ats)
                }
            } catch {
                hostNotes.append("\(vm.name): \(error)")
            }
        }
        // The VMM bugs the model asks for: guest pages mapped onto another VM's pages.
        for vm in model.vm ?? [] {
            for foreign in vm.mapForeign ?? [] {
                guard let page = vmm.machines[foreign.vm]?.pages[foreign.page] else { continue }
                do {
                    try vmm.remap(vm: vm.name, guestPage: UInt64(foreign.guestPage), toHostPage: page)
                } catch {
                    hostNotes.append("\(vm.name): \(error)")
                }
            }
        }
        let cpu = ConfigAccess(simulator: simulator, rootComplex: rootComplex)
        if !vmm.enableTranslation(write: { cpu.memoryWrite(IOMMURegisters.base + UInt64($0), $1) },
                                  read: { cpu.memoryRead(IOMMURegisters.base + UInt64($0)) ?? 0 }) {
            hostNotes.append("the IOMMU did not confirm the VMM's enable sequence")
        }
        // ATS on for the functions whose context entries allow it (intel-iommu pci_enable_ats:
        // ATS Control with Enable and STU 0, 4 KiB).
        for rid in vmm.deviceTLBs.sorted() {
            if let offset = atsControlOffset(rid) { _ = cpu.write(rid, offset, size: 2, 0x8000) }
        }
        configAccesses += cpu.accesses
        host.assignment = vmm.assignment
        self.vmm = vmm
        startDrivers()
    }

    /// The config offset of the ATS Control register of the function at `rid`, if it has ATS.
    func atsControlOffset(_ rid: UInt16) -> Int? {
        for endpoint in endpoints.values {
            if let function = endpoint.device.function(at: rid) { return endpoint.config(of: function)?.register(named: "ATS Control")?.offset }
        }
        return nil
    }

    /// The summary's host lines: the IOMMU's work, the interrupts delivered, the guard.
    func hostReport() -> [String] {
        guard let host else { return [] }
        let iommu = host.iommu, tlb = iommu.iotlb
        var lines = ["host: IOMMU \(iommu.translationEnabled ? "on" : "off"): \(iommu.translations) translations, IOTLB \(tlb.hits) hits / \(tlb.misses) misses, "
            + "\(iommu.faults.count) faults recorded\(iommu.primaryFaultOverflow ? " (and more: PFO)" : ""), \(rootComplex.counters.translationFaults) requests blocked; "
            + "\(host.interrupts.values.reduce(0, +)) interrupts delivered"]
        for name in (vmm?.machines.keys.sorted() ?? []) {
            let machine = vmm!.machines[name]!
            let assigned = vmm!.assignment.filter { $0.value == name }.keys.sorted().map { BDF($0).description }
            lines.append("  \(name): \(machine.bytes >> 20) MiB in \(machine.pages.count) host pages, domain \(machine.domain), functions \(assigned.joined(separator: ", "))")
        }
        for event in vmmEvents { lines.append("  VMM: \(event)") }
        for fault in iommu.faults.prefix(3) { lines.append("  fault: \(fault)") }
        if host.violations.isEmpty {
            lines.append("guard: no DMA write outside its VM's pages")
        } else {
            let n = host.violationReports, dwords = host.violatingDwords
            lines.append("guard: \(dwords) dword\(dwords == 1 ? "" : "s") written into pages of another owner (\(n) report\(n == 1 ? "" : "s")); first: \(host.violations[0])")
        }
        if let first = host.interruptViolations.first {
            let n = host.interruptViolationCount
            lines.append("guard: \(n) interrupt\(n == 1 ? "" : "s") raised at another VM's destination; first: \(first)")
        }
        for note in hostNotes { lines.append("note: \(note)") }
        return lines
    }
}

extension Platform {
    /// The IOMMU's tables and caches now, for the DMA- and interrupt-isolation proofs: for each
    /// function the VMM assigned, the pages its walk can read (`DMAState.tablePages`) and their
    /// contents, the owner of every VM page, the IOTLB and the context cache, the interrupt
    /// remapping table and each VM's interrupt destination.
    func dmaState(_ functions: [PlatformState.Function]) -> DMAState? {
        guard let host, let vmm else { return nil }
        let memory = host.memory, iommu = host.iommu, root = iommu.rootTable & SecondLevelTranslation.addressMask
        var pages: [UInt64: [UInt64]] = [:]
        var assigned: [DMAState.Function] = []
        let assignment = vmm.assignment.sorted(by: { $0.key < $1.key })
        // The pages the functions' walks and the interrupt remapping read.
        let read = DMAState.tablePages(rids: assignment.map(\.key), rootTable: root, read64: memory.read64)
            .union(DMAState.interruptTablePages(base: iommu.interruptTable, sizeField: iommu.interruptTableSize))
        for page in read where page << 12 < memory.size { pages[page] = (0..<512).map { memory.read64(page << 12 + 8 * UInt64($0)) } }
        for (rid, vm) in assignment {
            let name = functions.first { $0.rid == rid }?.name ?? BDF(rid).description
            assigned.append(DMAState.Function(name: name, rid: rid, vm: vm))
        }
        var owners: [UInt64: String] = [:]
        for machine in vmm.machines.values {
            for page in machine.pages { if case .vm(let name) = memory.owner(ofPage: page) { owners[page] = name } }
        }
        var state = DMAState(translationEnabled: iommu.translationEnabled, rootTable: root, memorySize: memory.size, functions: assigned,
                             pages: pages, owners: owners, iotlb: iommu.iotlb.entries, contexts: iommu.iotlb.cachedContexts, clock: simulator.now)
        state.interruptRemapping = iommu.interruptRemappingEnabled
        state.interruptTable = iommu.interruptTable
        state.interruptTableSize = iommu.interruptTableSize
        state.destinations = host.destinations
        state.deviceTLBs = vmm.deviceTLBs
        // NICs by name: a dictionary's order differs between processes.
        for name in nics.keys.sorted() {
            for (rid, cache) in nics[name]!.dma.requester.atc.sorted(by: { $0.key < $1.key }) {
                state.atc += cache.entries.map { DMAState.ATCEntry(requester: rid, entry: $0) }
            }
        }
        return state
    }
}
